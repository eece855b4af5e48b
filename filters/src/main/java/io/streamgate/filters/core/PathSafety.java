package io.streamgate.filters.core;

/**
 * Request paths the gateway accepts: no {@code .} or {@code ..} segments (plain or
 * percent-encoded), no empty segments, no {@code ;} path parameters, no encoded slash or
 * backslash. Containers route on the normalised path while rules, session prefixes and the
 * upstream URL would see the raw one; refusing the ambiguous forms keeps all of them equal
 * ({@code /live/ev1/../ev2/x} must not pass a rule granting {@code ev1}).
 */
public final class PathSafety {
    private PathSafety() {
    }

    /**
     * True when the raw (still percent-encoded) path has a canonical form: the same rule as
     * {@link #canonical}, so the servlet Filter and the gateway refuse exactly the same paths.
     */
    public static boolean isCanonical(String rawPath) {
        return canonical(rawPath) != null;
    }

    /**
     * The one canonical spelling of a request path, or null when the path is refused. Every
     * percent-escape is decoded once and the path is re-encoded the same way for everybody:
     * unreserved characters and {@code !$&'()*+,=:@} literal, everything else as {@code %XX}
     * (upper case). So {@code /l%69ve/ev1} and {@code /live/ev1} are one path, for routing,
     * rules ({@code {path.N}}), session binding and the upstream URI alike, while
     * {@code /live/a%2520b} stays a literal {@code %20} in a segment. Refused: no leading slash,
     * a broken escape, an encoded {@code /} or {@code \}, control characters, {@code ;}
     * (raw or encoded), and {@code .}, {@code ..} or empty segments (a trailing slash is fine).
     */
    public static String canonical(String rawPath) {
        if (rawPath == null || rawPath.isEmpty() || rawPath.charAt(0) != '/' || rawPath.length() > 8192) {
            return null;
        }
        int n = rawPath.length();
        boolean plain = true;
        for (int i = 0; i < n && plain; i++) {
            char c = rawPath.charAt(i);
            plain = c < 0x80 && LITERAL[c] && c != '%';
        }
        String decodedForm;
        if (plain) {
            decodedForm = rawPath; // the common case: nothing to decode or encode
        } else {
            StringBuilder sb = new StringBuilder(n + 16);
            byte[] utf8 = rawPath.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            for (int i = 0; i < utf8.length; i++) {
                int b = utf8[i] & 0xff;
                if (b == '%') {
                    if (i + 2 >= utf8.length) {
                        return null;
                    }
                    int hi = Character.digit(utf8[i + 1], 16);
                    int lo = Character.digit(utf8[i + 2], 16);
                    if (hi < 0 || lo < 0) {
                        return null;
                    }
                    b = hi << 4 | lo;
                    i += 2;
                    if (b == '/' || b == '\\') {
                        return null; // an encoded separator would mean another path to someone
                    }
                } else if (b == '\\') {
                    return null;
                }
                if (b < 0x20 || b == 0x7f || b == ';') {
                    return null;
                }
                if (b < 0x80 && LITERAL[b] && b != '%') {
                    sb.append((char) b);
                } else {
                    sb.append('%').append(HEX[b >> 4]).append(HEX[b & 15]);
                }
            }
            decodedForm = sb.toString();
        }
        if (decodedForm.indexOf(';') >= 0) {
            return null;
        }
        int i = 1;
        int len = decodedForm.length();
        while (i <= len) {
            int slash = decodedForm.indexOf('/', i);
            int end = slash < 0 ? len : slash;
            int segLength = end - i;
            if ((segLength == 0 && slash >= 0)
                    || (segLength == 1 && decodedForm.charAt(i) == '.')
                    || (segLength == 2 && decodedForm.charAt(i) == '.' && decodedForm.charAt(i + 1) == '.')) {
                return null;
            }
            if (slash < 0) {
                break;
            }
            i = slash + 1;
        }
        return decodedForm;
    }

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();
    /** Characters kept literal in a canonical path: RFC 3986 unreserved, sub-delims, ':', '@', '/'. */
    private static final boolean[] LITERAL = new boolean[128];

    static {
        for (char c = 'a'; c <= 'z'; c++) {
            LITERAL[c] = true;
        }
        for (char c = 'A'; c <= 'Z'; c++) {
            LITERAL[c] = true;
        }
        for (char c = '0'; c <= '9'; c++) {
            LITERAL[c] = true;
        }
        for (char c : "-._~!$&'()*+,=:@/".toCharArray()) {
            LITERAL[c] = true;
        }
    }
}
