package io.streamgate.gateway.logging;

import java.time.Duration;
import java.time.Instant;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

import io.streamgate.filters.core.DenialReason;

/**
 * The gateway's request-level lines, all written from the one place a request finishes
 * (the edge's completion callback) or a relayed session ends:
 * <ul>
 *   <li>with {@code log.access: true}, on the {@value #LOGGER} logger at INFO, one line per
 *       request or WebSocket upgrade ({@link #request}) and one per ended WebSocket session
 *       ({@link #sessionEnded}). The fields are SLF4J 2 key/value pairs: {@code key="value"}
 *       after the message in text, top-level fields in JSON (numbers as numbers). Values are
 *       never taken from a token or a credential: the path is the canonical one and its query
 *       has every configured token parameter and {@code sg_session} removed, under any
 *       spelling (the caller's job, see {@code AccessRecord}), the rest are ids, codes and
 *       numbers;</li>
 *   <li>always, denials and upstream failures at the default level, rate-limited per reason
 *       <em>and client</em> ({@link Throttle}): within {@link #DENIAL_INTERVAL}, at most one
 *       line per reason per client, for at most {@link #DENIAL_CLIENTS} clients, with the count
 *       of lines held back; so one viewer's denials cannot hide another's. INFO for a viewer's
 *       denial (4xx), WARN for the gateway's or the origin's failures (5xx: {@code
 *       upstream_unavailable} 502, {@code upstream_timeout} 504, {@code upstream_overloaded}
 *       and the stores' 503). Each carries the route, request id, path (as on the access
 *       line), client and, when known, the token's {@code sub}.</li>
 * </ul>
 */
public final class AccessLog {
    /** The access logger's name. */
    public static final String LOGGER = "streamgate.access";
    /** The logger of the rate-limited denial and upstream-failure lines. */
    public static final String DENIALS = "streamgate.denials";
    public static final Duration DENIAL_INTERVAL = Duration.ofSeconds(10);
    /** Distinct clients per denial reason that get a line within one interval. */
    public static final int DENIAL_CLIENTS = 16;
    /** The {@code reason} of a request that was not denied. */
    public static final String NO_REASON = "-";

    private static final Logger ACCESS = LoggerFactory.getLogger(LOGGER);
    private static final Logger DENIED = LoggerFactory.getLogger(DENIALS);

    private final boolean enabled;
    private final Throttle throttle;

    public AccessLog(boolean enabled) {
        this(enabled, new Throttle(DenialReason.values().length, DENIAL_CLIENTS, DENIAL_INTERVAL, System::nanoTime));
    }

    AccessLog(boolean enabled, Throttle throttle) {
        this.enabled = enabled;
        this.throttle = throttle;
    }

    /** True when access lines are written ({@code log.access: true} and the logger enabled). */
    public boolean enabled() {
        return enabled && ACCESS.isInfoEnabled();
    }

    /**
     * One request or upgrade finished; {@code reason} is the denial code or {@link #NO_REASON};
     * {@code sid} (the session it belongs to) and {@code traceId} (its W3C trace) are left out
     * when null.
     */
    public void request(String requestId, String route, String method, String path, int status, String reason,
                        String client, long durationMs, long bytes, String sid, String traceId) {
        LoggingEventBuilder b = ACCESS.atInfo().setMessage("request")
                .addKeyValue("requestId", requestId)
                .addKeyValue("route", route)
                .addKeyValue("method", method)
                .addKeyValue("path", path)
                .addKeyValue("status", status)
                .addKeyValue("reason", reason)
                .addKeyValue("client", client)
                .addKeyValue("durationMs", durationMs)
                .addKeyValue("bytes", bytes);
        if (sid != null) {
            b = b.addKeyValue("sid", sid);
        }
        if (traceId != null) {
            b = b.addKeyValue("traceId", traceId);
        }
        b.log();
    }

    /**
     * One relayed session ended. {@code sid} comes from one place ({@code SessionIds}),
     * {@code bytes} counts both directions' payloads, {@code end} says why it ended.
     */
    public void sessionEnded(String sid, String route, String sub, long startMillis, long durationMs, long bytesDown,
                             long bytesUp, String end) {
        if (!enabled()) {
            return;
        }
        LoggingEventBuilder b = ACCESS.atInfo().setMessage("session ended")
                .addKeyValue("sid", sid)
                .addKeyValue("route", route)
                .addKeyValue("sub", sub == null ? "-" : sub)
                .addKeyValue("start", Instant.ofEpochMilli(startMillis).toString())
                .addKeyValue("durationMs", durationMs)
                .addKeyValue("bytes", bytesDown + bytesUp)
                .addKeyValue("bytesDown", bytesDown)
                .addKeyValue("bytesUp", bytesUp)
                .addKeyValue("end", end);
        b.log();
    }

    /**
     * Whether a denial line for {@code reason} and {@code client} is written now: -1 when not
     * (the logger is off for it, or it is held back and counted), else how many such lines
     * were held back since the last one. Call {@link #denied} with that count when it is not -1.
     */
    public long admitDenial(DenialReason reason, String client) {
        boolean failure = reason.status() >= 500;
        if (failure ? !DENIED.isWarnEnabled() : !DENIED.isInfoEnabled()) {
            return -1;
        }
        return throttle.admit(reason.ordinal(), client);
    }

    /**
     * A denial or an upstream failure that {@link #admitDenial} let through; {@code sub} is the
     * token's subject when known (else null), {@code held} what {@code admitDenial} returned.
     */
    public void denied(DenialReason reason, String route, String requestId, String path, String client, String sub,
                       long held) {
        boolean failure = reason.status() >= 500;
        String what = failure ? "upstream or store failure" : "denied";
        String more = held == 0 ? "" : "; " + held + " more since the last such line";
        LoggingEventBuilder b = (failure ? DENIED.atWarn() : DENIED.atInfo())
                .setMessage(what + ": " + reason.status() + " " + reason.code() + " on route " + route + " (request "
                        + requestId + ")" + more)
                .addKeyValue("requestId", requestId)
                .addKeyValue("route", route)
                .addKeyValue("status", reason.status())
                .addKeyValue("reason", reason.code())
                .addKeyValue("path", path)
                .addKeyValue("client", client);
        if (sub != null) {
            b = b.addKeyValue("sub", sub);
        }
        b.addKeyValue("held", held).log();
    }
}
