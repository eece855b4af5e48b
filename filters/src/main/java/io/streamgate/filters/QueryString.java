package io.streamgate.filters;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/** Reading and editing raw query strings without parsing them into maps. */
public final class QueryString {
    private QueryString() {
    }

    /** The first value of {@code name} in a raw query, percent-decoded; null when absent. */
    public static String first(String rawQuery, String name) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return null;
        }
        int i = 0;
        int n = rawQuery.length();
        while (i <= n) {
            int amp = rawQuery.indexOf('&', i);
            int end = amp < 0 ? n : amp;
            int eq = rawQuery.indexOf('=', i);
            int nameEnd = eq >= 0 && eq < end ? eq : end;
            if (nameMatches(rawQuery, i, nameEnd, name)) {
                String v = nameEnd == end ? "" : rawQuery.substring(nameEnd + 1, end);
                return decode(v);
            }
            if (amp < 0) {
                break;
            }
            i = amp + 1;
        }
        return null;
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
}
