package io.streamgate.filters.servlet;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * CORS for browser players: every response, denials included, allows the request's origin
 * (or {@code *}) and exposes {@code WWW-Authenticate}, so a player can read why it was
 * refused. Credentials are not allowed cross-origin: tokens travel in the URL or a header.
 */
public final class Cors {
    static final String EXPOSED = "WWW-Authenticate, X-Request-Id";

    private Cors() {
    }

    public static void apply(HttpServletRequest request, HttpServletResponse response) {
        String origin = request.getHeader("Origin");
        if (origin != null && !origin.isEmpty() && isPrintable(origin)) {
            response.setHeader("Access-Control-Allow-Origin", origin);
            response.addHeader("Vary", "Origin");
        } else {
            response.setHeader("Access-Control-Allow-Origin", "*");
        }
        response.setHeader("Access-Control-Expose-Headers", EXPOSED);
    }

    /** True for a CORS preflight, which browsers send without credentials and must not be authenticated. */
    public static boolean isPreflight(HttpServletRequest request) {
        return "OPTIONS".equals(request.getMethod()) && request.getHeader("Origin") != null
                && request.getHeader("Access-Control-Request-Method") != null;
    }

    public static void preflight(HttpServletRequest request, HttpServletResponse response) {
        apply(request, response);
        response.setStatus(HttpServletResponse.SC_NO_CONTENT);
        response.setHeader("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
        String requested = request.getHeader("Access-Control-Request-Headers");
        if (requested != null && isPrintable(requested)) {
            response.setHeader("Access-Control-Allow-Headers", requested);
        }
        response.setHeader("Access-Control-Max-Age", "600");
    }

    private static boolean isPrintable(String s) {
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
