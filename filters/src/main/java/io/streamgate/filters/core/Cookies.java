package io.streamgate.filters.core;

import java.util.List;

/** Reading and editing {@code Cookie} request headers (RFC 6265 §4.2 syntax). */
public final class Cookies {
    private Cookies() {
    }

    /** The value of cookie {@code name} in any of the given Cookie header lines; null when absent. */
    public static String value(List<String> cookieHeaders, String name) {
        for (String h : cookieHeaders) {
            for (String part : h.split(";")) {
                int eq = part.indexOf('=');
                if (eq > 0 && part.substring(0, eq).trim().equals(name)) {
                    String v = part.substring(eq + 1).trim();
                    if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
                        v = v.substring(1, v.length() - 1);
                    }
                    return v;
                }
            }
        }
        return null;
    }

    /** A Cookie header line without cookie {@code name}; null when nothing is left. */
    public static String remove(String cookieHeader, String name) {
        StringBuilder sb = new StringBuilder();
        for (String part : cookieHeader.split(";")) {
            int eq = part.indexOf('=');
            String n = (eq > 0 ? part.substring(0, eq) : part).trim();
            if (n.isEmpty() || n.equals(name)) {
                continue;
            }
            if (sb.length() > 0) {
                sb.append("; ");
            }
            sb.append(part.trim());
        }
        return sb.length() == 0 ? null : sb.toString();
    }
}
