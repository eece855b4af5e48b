package io.streamgate.gateway.edge;

import java.nio.ByteBuffer;
import java.util.List;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import io.streamgate.filters.core.DenialReason;
import io.streamgate.filters.http.CorsPolicy;
import io.streamgate.filters.http.Denial;

/** Writes the gateway's own answers (denials, preflights, CORS) on Jetty core responses. */
public final class Answers {
    private Answers() {
    }

    /** CORS headers every response carries, set before anything else is written. */
    public static void cors(Request request, Response response) {
        String origin = request.getHeaders().get(HttpHeader.ORIGIN);
        HttpFields.Mutable h = response.getHeaders();
        h.put(HttpHeader.ACCESS_CONTROL_ALLOW_ORIGIN, CorsPolicy.allowOrigin(origin));
        if (CorsPolicy.variesByOrigin(origin)) {
            h.add(HttpHeader.VARY, "Origin");
        }
        h.put(HttpHeader.ACCESS_CONTROL_EXPOSE_HEADERS, CorsPolicy.EXPOSED);
    }

    /** 204 for a CORS preflight, allowing the route's methods. Never proxied, no token needed. */
    public static void preflight(Request request, Response response, Callback callback, List<String> methods) {
        response.setStatus(204);
        HttpFields.Mutable h = response.getHeaders();
        h.put(HttpHeader.ACCESS_CONTROL_ALLOW_METHODS, CorsPolicy.allowMethods(methods));
        h.put(HttpHeader.ACCESS_CONTROL_ALLOW_HEADERS,
                CorsPolicy.allowHeaders(request.getHeaders().get(HttpHeader.ACCESS_CONTROL_REQUEST_HEADERS)));
        h.put(HttpHeader.ACCESS_CONTROL_MAX_AGE, CorsPolicy.MAX_AGE_SECONDS);
        response.write(true, null, callback);
    }

    /**
     * The contract's denial. Headers set earlier (CORS) stay; a response already committed
     * (the origin's answer under way) is aborted instead.
     */
    public static void deny(Request request, Response response, Callback callback, DenialReason reason,
                            String requestId, List<String> allow) {
        AccessRecord record = AccessRecord.of(request);
        if (record != null) {
            record.denied(reason); // for the access line and the rate-limited denial line
        }
        if (response.isCommitted()) {
            callback.failed(new java.io.IOException("denied after commit: " + reason.code()));
            return;
        }
        response.setStatus(reason.status());
        HttpFields.Mutable h = response.getHeaders();
        h.put(AccessRecord.REQUEST_ID, requestId);
        String challenge = Denial.challenge(reason);
        if (challenge != null) {
            h.put(HttpHeader.WWW_AUTHENTICATE, challenge);
        }
        String retryAfter = Denial.retryAfter(reason);
        if (retryAfter != null) {
            h.put(HttpHeader.RETRY_AFTER, retryAfter);
        }
        if (allow != null) {
            h.put(HttpHeader.ALLOW, Denial.allow(allow));
        }
        h.put(HttpHeader.CACHE_CONTROL, "no-store");
        h.put(HttpHeader.CONTENT_TYPE, "application/json");
        byte[] body = Denial.body(reason, requestId);
        h.put(HttpHeader.CONTENT_LENGTH, body.length);
        boolean head = "HEAD".equals(request.getMethod());
        response.write(true, head ? null : ByteBuffer.wrap(body), callback);
    }

    public static void deny(Request request, Response response, Callback callback, DenialReason reason,
                            String requestId) {
        deny(request, response, callback, reason, requestId, null);
    }

    /**
     * Runs {@code answer} after reading and discarding a request body the gateway refuses
     * (at most 1 MiB, by its Content-Length): a client still sending it would otherwise meet
     * a connection reset instead of the answer. A larger or unsized body is answered at once.
     */
    public static void drainThen(Request request, Runnable answer) {
        long length = request.getLength();
        if (length < 0 || length > 1 << 20) {
            answer.run();
            return;
        }
        org.eclipse.jetty.io.Content.Source.consumeAll(request, Callback.from(answer, x -> answer.run()));
    }

    /** A JSON answer of the gateway's own (renewal, admin API): never cached. */
    public static void json(Response response, Callback callback, int status, String json) {
        response.setStatus(status);
        HttpFields.Mutable h = response.getHeaders();
        h.put(HttpHeader.CACHE_CONTROL, "no-store");
        h.put(HttpHeader.CONTENT_TYPE, "application/json");
        byte[] body = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        h.put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    /** 500 for the gateway's own failures (bugs): JSON, no stack, nothing of the request. */
    public static void serverError(Request request, Response response, Callback callback, String requestId) {
        AccessRecord record = AccessRecord.of(request);
        if (record != null) {
            record.serverError();
        }
        if (response.isCommitted()) {
            callback.failed(new IllegalStateException("server error after commit"));
            return;
        }
        response.setStatus(500);
        HttpFields.Mutable h = response.getHeaders();
        h.put(AccessRecord.REQUEST_ID, requestId);
        h.put(HttpHeader.CACHE_CONTROL, "no-store");
        h.put(HttpHeader.CONTENT_TYPE, "application/json");
        byte[] body = ("{\"error\":\"server_error\",\"reason\":\"internal\",\"requestId\":\"" + requestId + "\"}")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        response.write(true, ByteBuffer.wrap(body), callback);
    }
}
