package io.streamgate.filters.servlet;

import java.io.IOException;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import io.streamgate.filters.core.DenialReason;
import io.streamgate.filters.http.Denial;

/**
 * Writes the contract's denial: status, {@code WWW-Authenticate} for 401/403 (RFC 6750),
 * a JSON body {@code {"error", "reason", "requestId"}}, CORS headers so a browser player can
 * read why it was refused, and {@code Cache-Control: no-store}. Every value written comes
 * from the {@link DenialReason} enum or is generated here: nothing of the request is echoed
 * but its {@code Origin} in the CORS header.
 */
public final class DenialResponse {
    /** Request attribute holding the request id (also sent as {@code X-Request-Id}). */
    public static final String REQUEST_ID_ATTRIBUTE = "io.streamgate.requestId";

    private DenialResponse() {
    }

    public static void write(HttpServletRequest request, HttpServletResponse response, DenialReason reason)
            throws IOException {
        write(request, response, reason, Cors.DEFAULT_METHODS);
    }

    /**
     * The denial, with {@code allow} as the {@code Allow} header of a {@code 405
     * method_not_allowed} (ignored for every other reason).
     */
    public static void write(HttpServletRequest request, HttpServletResponse response, DenialReason reason,
                             java.util.Collection<String> allow) throws IOException {
        if (response.isCommitted()) {
            return;
        }
        String requestId = requestId(request);
        response.resetBuffer();
        response.setStatus(reason.status());
        Cors.apply(request, response);
        response.setHeader("X-Request-Id", requestId);
        String challenge = Denial.challenge(reason);
        if (challenge != null) {
            response.setHeader("WWW-Authenticate", challenge);
        }
        String retryAfter = Denial.retryAfter(reason);
        if (retryAfter != null) {
            response.setHeader("Retry-After", retryAfter);
        }
        if (reason == DenialReason.METHOD_NOT_ALLOWED) {
            response.setHeader("Allow", Denial.allow(allow));
        }
        response.setHeader("Cache-Control", "no-store");
        response.setContentType("application/json");
        byte[] body = Denial.body(reason, requestId);
        response.setContentLength(body.length);
        if (!"HEAD".equals(request.getMethod())) {
            response.getOutputStream().write(body);
        }
        response.flushBuffer();
    }

    /**
     * 400 for a request path that is not in canonical form (dot segments, {@code ;} parameters):
     * {@code {"error":"invalid_request","reason":"malformed_path","requestId":...}}.
     */
    public static void writeMalformedPath(HttpServletRequest request, HttpServletResponse response) throws IOException {
        write(request, response, DenialReason.MALFORMED_PATH);
    }

    /** The {@code WWW-Authenticate} value, or null where none applies (503, 502, 504). */
    public static String challenge(DenialReason reason) {
        return Denial.challenge(reason);
    }

    /** The JSON body. */
    public static String json(DenialReason reason, String requestId) {
        return Denial.json(reason, requestId);
    }

    /** This request's id, generated once: 16 hex digits. */
    public static String requestId(HttpServletRequest request) {
        Object id = request.getAttribute(REQUEST_ID_ATTRIBUTE);
        if (id instanceof String s) {
            return s;
        }
        String generated = newRequestId();
        request.setAttribute(REQUEST_ID_ATTRIBUTE, generated);
        return generated;
    }

    public static String newRequestId() {
        return Denial.newRequestId();
    }
}
