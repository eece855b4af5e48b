package io.streamgate.filters.core;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/** Reading and editing raw query strings without parsing them into maps. */
public final class QueryString {
    private QueryString() {
    }

    /** The first value of {@code name} in a raw query, percent-decoded; null when absent. */
    public static String first(String rawQuery, String name) {
        int at = next(rawQuery, name, 0);
        if (at < 0) {
            return null;
        }
        int amp = rawQuery.indexOf('&', at);
        int end = amp < 0 ? rawQuery.length() : amp;
        int eq = rawQuery.indexOf('=', at);
        return eq >= 0 && eq < end ? decode(rawQuery.substring(eq + 1, end)) : "";
    }

    /** Where the next parameter named {@code name} (decoded) starts at or after {@code from}; -1 when none. */
    private static int next(String rawQuery, String name, int from) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return -1;
        }
        int i = from;
        int n = rawQuery.length();
        while (i <= n) {
            int amp = rawQuery.indexOf('&', i);
            int end = amp < 0 ? n : amp;
            int eq = rawQuery.indexOf('=', i);
            int nameEnd = eq >= 0 && eq < end ? eq : end;
            if (nameMatches(rawQuery, i, nameEnd, name)) {
                return i;
            }
            if (amp < 0) {
                return -1;
            }
            i = amp + 1;
        }
        return -1;
    }

    /** The raw query with every {@code name} parameter removed; null when nothing is left. */
    public static String remove(String rawQuery, String name) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return null;
        }
        StringBuilder sb = new StringBuilder(rawQuery.length());
        int i = 0;
        int n = rawQuery.length();
        while (i <= n) {
            int amp = rawQuery.indexOf('&', i);
            int end = amp < 0 ? n : amp;
            int eq = rawQuery.indexOf('=', i);
            int nameEnd = eq >= 0 && eq < end ? eq : end;
            if (end > i && !nameMatches(rawQuery, i, nameEnd, name)) {
                if (sb.length() > 0) {
                    sb.append('&');
                }
                sb.append(rawQuery, i, end);
            }
            if (amp < 0) {
                break;
            }
            i = amp + 1;
        }
        return sb.length() == 0 ? null : sb.toString();
    }

    /**
     * The raw query without any parameter whose name, percent-decoded, is {@code name} in any
     * case ({@code SG_SESSION}, {@code sg%5Fsession}); the same string when there is none, null
     * when nothing is left. For a parameter that must appear once, as the one who adds it wrote it.
     */
    public static String removeIgnoringCase(String rawQuery, String name) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return rawQuery;
        }
        StringBuilder sb = null;
        int i = 0;
        int n = rawQuery.length();
        while (i <= n) {
            int amp = rawQuery.indexOf('&', i);
            int end = amp < 0 ? n : amp;
            int eq = rawQuery.indexOf('=', i);
            int nameEnd = eq >= 0 && eq < end ? eq : end;
            boolean match = nameMatchesIgnoringCase(rawQuery, i, nameEnd, name);
            if (match && sb == null) {
                sb = new StringBuilder(rawQuery.length());
                sb.append(rawQuery, 0, Math.max(0, i - 1)); // what came before, without the '&' that led here
            } else if (!match && sb != null && end > i) {
                if (sb.length() > 0) {
                    sb.append('&');
                }
                sb.append(rawQuery, i, end);
            }
            if (amp < 0) {
                break;
            }
            i = amp + 1;
        }
        if (sb == null) {
            return rawQuery;
        }
        return sb.length() == 0 ? null : sb.toString();
    }

    /**
     * A URL or relative reference (without fragment) whose query is without any parameter named
     * {@code name} in any case or encoding ({@link #removeIgnoringCase}); the same string when
     * there is none. A {@code ?} left with nothing after it stays.
     */
    public static String removeFromUrlIgnoringCase(String url, String name) {
        int q = url.indexOf('?');
        if (q < 0) {
            return url;
        }
        String query = url.substring(q + 1);
        String kept = removeIgnoringCase(query, name);
        return kept == query ? url : url.substring(0, q + 1) + (kept == null ? "" : kept);
    }

    /**
     * {@link #nameMatches} in any case: compared in place (no allocation: it runs on every
     * proxied request's query), decoded only when the name holds an escape.
     */
    private static boolean nameMatchesIgnoringCase(String q, int from, int to, String name) {
        int len = to - from;
        if (len < name.length()) {
            return false; // decoding only shortens
        }
        if (len == name.length() && q.regionMatches(true, from, name, 0, len)) {
            return true;
        }
        for (int j = from; j < to; j++) {
            char c = q.charAt(j);
            if (c == '%' || c == '+') {
                return decode(q.substring(from, to)).equalsIgnoreCase(name);
            }
        }
        return false;
    }

    private static boolean nameMatches(String q, int from, int to, String name) {
        int len = to - from;
        if (len == name.length() && q.regionMatches(from, name, 0, len)) {
            return true;
        }
        // An encoded name (rare): compare decoded.
        for (int j = from; j < to; j++) {
            char c = q.charAt(j);
            if (c == '%' || c == '+') {
                return name.equals(decode(q.substring(from, to)));
            }
        }
        return false;
    }

    /** Percent-decodes a path segment ({@code +} stays a plus); returns it unchanged when malformed. */
    public static String decodePath(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }

    static String decode(String s) {
        for (int j = 0; j < s.length(); j++) {
            char c = s.charAt(j);
            if (c == '%' || c == '+') {
                try {
                    return URLDecoder.decode(s, StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    return s; // a broken escape: leave it for the shape check to refuse
                }
            }
        }
        return s;
    }

    /**
     * How many parameters of a raw query are named {@code name} once decoded: {@code
     * stream%6Eame=x} counts as {@code streamname}. A rule may only read a parameter that
     * appears once, or the origin could read another copy than the rule checked.
     */
    public static int count(String rawQuery, String name) {
        int count = 0;
        for (int at = next(rawQuery, name, 0); at >= 0; ) {
            count++;
            int amp = rawQuery.indexOf('&', at);
            at = amp < 0 ? -1 : next(rawQuery, name, amp + 1);
        }
        return count;
    }

    /**
     * True when a raw query holds only characters a URI query may carry (RFC 3986) and every
     * {@code %} starts a valid escape. Anything else ({@code <}, {@code >}, a space, a quote,
     * a raw non-ASCII byte) makes the request malformed: it would be forwarded differently by
     * every hop.
     */
    public static boolean isWellFormed(String rawQuery) {
        if (rawQuery == null) {
            return true;
        }
        int n = rawQuery.length();
        for (int i = 0; i < n; i++) {
            char c = rawQuery.charAt(i);
            if (c == '%') {
                if (i + 2 >= n || Character.digit(rawQuery.charAt(i + 1), 16) < 0
                        || Character.digit(rawQuery.charAt(i + 2), 16) < 0) {
                    return false;
                }
                i += 2;
            } else if (c >= 0x80 || !QUERY_CHAR[c]) {
                return false;
            }
        }
        return true;
    }

    /**
     * A URL (e.g. a {@code Referer}) with its query edited by {@code edit} (which gets the raw
     * query and returns the new one, null or empty for none); the fragment is dropped. Null
     * when the query is not well formed: such a URL is better dropped than forwarded.
     */
    public static String editUrlQuery(String url, java.util.function.UnaryOperator<String> edit) {
        int q = url.indexOf('?');
        if (q < 0) {
            return url;
        }
        int hash = url.indexOf('#', q);
        String query = hash < 0 ? url.substring(q + 1) : url.substring(q + 1, hash);
        if (!isWellFormed(query)) {
            return null;
        }
        String edited = edit.apply(query);
        return url.substring(0, q) + (edited == null || edited.isEmpty() ? "" : "?" + edited);
    }

    private static final boolean[] QUERY_CHAR = new boolean[128];

    static {
        for (char c = 'a'; c <= 'z'; c++) {
            QUERY_CHAR[c] = true;
        }
        for (char c = 'A'; c <= 'Z'; c++) {
            QUERY_CHAR[c] = true;
        }
        for (char c = '0'; c <= '9'; c++) {
            QUERY_CHAR[c] = true;
        }
        for (char c : "-._~!$&'()*+,;=:@/?".toCharArray()) {
            QUERY_CHAR[c] = true;
        }
    }
}
