package io.streamgate.filters.http;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

import io.streamgate.filters.core.DenialReason;

/**
 * The contract's denial, as status, headers and body: {@code WWW-Authenticate} for 401/403
 * (RFC 6750), {@code Allow} for 405, {@code Retry-After} for overload, a JSON body
 * {@code {"error", "reason", "requestId"}} and {@code Cache-Control: no-store}. Every value
 * comes from the {@link DenialReason} enum or is generated here: nothing of the request is
 * echoed.
 */
public final class Denial {
    /** Seconds a client should wait after {@code upstream_overloaded}. */
    public static final String RETRY_AFTER_SECONDS = "1";

    private Denial() {
    }

    /** The {@code WWW-Authenticate} value, or null where none applies. */
    public static String challenge(DenialReason reason) {
        return switch (reason.category()) {
            case INVALID_TOKEN -> reason == DenialReason.MISSING_TOKEN
                    ? "Bearer realm=\"streamgate\""
                    : "Bearer realm=\"streamgate\", error=\"invalid_token\", error_description=\"" + reason.code() + "\"";
            case INSUFFICIENT_SCOPE -> "Bearer realm=\"streamgate\", error=\"insufficient_scope\", error_description=\""
                    + reason.code() + "\"";
            default -> null;
        };
    }

    /** {@code Retry-After} for a denial that a retry may cure soon, else null. */
    public static String retryAfter(DenialReason reason) {
        return reason == DenialReason.UPSTREAM_OVERLOADED ? RETRY_AFTER_SECONDS : null;
    }

    /** The JSON body. */
    public static String json(DenialReason reason, String requestId) {
        return "{\"error\":\"" + reason.error() + "\",\"reason\":\"" + reason.code() + "\",\"requestId\":\""
                + requestId + "\"}";
    }

    /** The JSON body as UTF-8. */
    public static byte[] body(DenialReason reason, String requestId) {
        return json(reason, requestId).getBytes(StandardCharsets.UTF_8);
    }

    /** A new request id: 16 hex digits. */
    public static String newRequestId() {
        long v = ThreadLocalRandom.current().nextLong();
        char[] c = new char[16];
        for (int i = 15; i >= 0; i--) {
            c[i] = HEX[(int) (v & 15)];
            v >>>= 4;
        }
        return new String(c);
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /** The {@code Allow} header value for a list of methods. */
    public static String allow(java.util.Collection<String> methods) {
        return String.join(", ", methods);
    }
}
