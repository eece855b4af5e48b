package io.streamgate.filters.servlet;

import java.util.List;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import io.streamgate.filters.http.CorsPolicy;

/** Writes {@link CorsPolicy} onto servlet responses. */
public final class Cors {
    /** Methods a filter-protected resource is read with. */
    public static final List<String> DEFAULT_METHODS = List.of("GET", "HEAD");

    private Cors() {
    }

    public static void apply(HttpServletRequest request, HttpServletResponse response) {
        String origin = request.getHeader("Origin");
        response.setHeader("Access-Control-Allow-Origin", CorsPolicy.allowOrigin(origin));
        if (CorsPolicy.variesByOrigin(origin)) {
            response.addHeader("Vary", "Origin");
        }
        response.setHeader("Access-Control-Expose-Headers", CorsPolicy.EXPOSED);
    }

    /** True for a CORS preflight, which browsers send without credentials and must not be authenticated. */
    public static boolean isPreflight(HttpServletRequest request) {
        return CorsPolicy.isPreflight(request.getMethod(), request.getHeader("Origin"),
                request.getHeader("Access-Control-Request-Method"));
    }

    public static void preflight(HttpServletRequest request, HttpServletResponse response) {
        preflight(request, response, DEFAULT_METHODS);
    }

    public static void preflight(HttpServletRequest request, HttpServletResponse response, List<String> methods) {
        apply(request, response);
        response.setStatus(HttpServletResponse.SC_NO_CONTENT);
        response.setHeader("Access-Control-Allow-Methods", CorsPolicy.allowMethods(methods));
        response.setHeader("Access-Control-Allow-Headers",
                CorsPolicy.allowHeaders(request.getHeader("Access-Control-Request-Headers")));
        response.setHeader("Access-Control-Max-Age", CorsPolicy.MAX_AGE_SECONDS);
    }
}
