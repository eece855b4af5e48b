package io.streamgate.filters;

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

    /** True when the raw (still percent-encoded) path is in canonical form. */
    public static boolean isCanonical(String rawPath) {
        if (rawPath == null || rawPath.isEmpty() || rawPath.charAt(0) != '/') {
            return false;
        }
        String lower = rawPath.toLowerCase(java.util.Locale.ROOT);
        if (lower.indexOf(';') >= 0 || lower.contains("%2f") || lower.contains("%5c") || lower.indexOf('\\') >= 0
                || lower.contains("%00") || lower.contains("%3b")) {
            return false;
        }
        int i = 1;
        int n = lower.length();
        while (i <= n) {
            int slash = lower.indexOf('/', i);
            int end = slash < 0 ? n : slash;
            String seg = lower.substring(i, end).replace("%2e", ".");
            if (seg.equals(".") || seg.equals("..") || (seg.isEmpty() && slash >= 0)) {
                return false;
            }
            if (slash < 0) {
                break;
            }
            i = slash + 1;
        }
        return true;
    }
}
