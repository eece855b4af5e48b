package io.streamgate.filters.http;

import java.util.Collection;

/**
 * CORS for browser players: every response, denials included, allows the request's origin
 * (or {@code *}) and exposes {@code WWW-Authenticate}, so a player can read why it was
 * refused. Credentials are not allowed cross-origin: tokens travel in the URL or a header.
 * A preflight ({@code OPTIONS} with {@code Access-Control-Request-Method}) is answered by
 * the gateway without a token: browsers never send credentials on it.
 */
public final class CorsPolicy {
    public static final String EXPOSED = "WWW-Authenticate, X-Request-Id";
    public static final String MAX_AGE_SECONDS = "600";
    /** Request headers a player may always send. */
    public static final String ALWAYS_ALLOWED_HEADERS = "Authorization";

    private CorsPolicy() {
    }

    /** {@code Access-Control-Allow-Origin} for the request's {@code Origin} header (may be null). */
    public static String allowOrigin(String origin) {
        return origin != null && !origin.isEmpty() && isPrintable(origin) ? origin : "*";
    }

    /** True when the allowed origin echoes the request's, so caches must {@code Vary: Origin}. */
    public static boolean variesByOrigin(String origin) {
        return !"*".equals(allowOrigin(origin));
    }

    public static boolean isPreflight(String method, String origin, String requestMethod) {
        return "OPTIONS".equals(method) && origin != null && requestMethod != null;
    }

    /** {@code Access-Control-Allow-Methods}: the route's methods. */
    public static String allowMethods(Collection<String> methods) {
        return String.join(", ", methods);
    }

    /** {@code Access-Control-Allow-Headers}: {@code Authorization} plus what was asked, when printable. */
    public static String allowHeaders(String requested) {
        if (requested == null || requested.isBlank() || !isPrintable(requested)) {
            return ALWAYS_ALLOWED_HEADERS;
        }
        StringBuilder sb = new StringBuilder(ALWAYS_ALLOWED_HEADERS);
        for (String h : requested.split(",")) {
            String name = h.trim();
            if (!name.isEmpty() && !name.equalsIgnoreCase(ALWAYS_ALLOWED_HEADERS)) {
                sb.append(", ").append(name);
            }
        }
        return sb.toString();
    }

    static boolean isPrintable(String s) {
        if (s.length() > 512) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }
}
