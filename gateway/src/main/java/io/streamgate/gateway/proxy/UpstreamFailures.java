package io.streamgate.gateway.proxy;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;

import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpException;

import io.streamgate.filters.core.DenialReason;

/**
 * The one map from a failed upstream call to what the viewer is told, for every route type
 * (HTTP, HLS playlists and segments, WebSocket upgrades): a full upstream queue is
 * {@code 503 upstream_overloaded}, a timeout anywhere in the cause chain {@code 504
 * upstream_timeout}, anything else (refused, reset, closed, malformed answer) {@code 502
 * upstream_unavailable}; a viewer's own broken request body is {@code 400 malformed_request}.
 */
public final class UpstreamFailures {
    private UpstreamFailures() {
    }

    /** The denial for an upstream exchange that failed before the viewer got anything. */
    public static DenialReason of(Result result) {
        Throwable requestFailure = result.getRequestFailure();
        if (requestFailure != null && causedByBadRequest(requestFailure)) {
            return DenialReason.MALFORMED_REQUEST; // the viewer's body was broken (bad chunking)
        }
        return of(result.getFailure());
    }

    /** The denial for an upstream call that failed with {@code failure}. */
    public static DenialReason of(Throwable failure) {
        for (Throwable c = failure; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof RejectedExecutionException) {
                return DenialReason.UPSTREAM_OVERLOADED; // the route's upstream queue is full
            }
            if (c instanceof TimeoutException || c instanceof java.net.SocketTimeoutException) {
                return DenialReason.UPSTREAM_TIMEOUT;
            }
        }
        return DenialReason.UPSTREAM_UNAVAILABLE;
    }

    private static boolean causedByBadRequest(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof HttpException h && h.getCode() / 100 == 4) {
                return true; // bad chunking (400), a body slower than listen.minBodyRate (408)
            }
            if (c instanceof java.io.EOFException) {
                return true; // the viewer's body ended early
            }
        }
        return false;
    }
}
