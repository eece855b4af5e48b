package io.streamgate.gateway.metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The gateway's own meters (the verification library's are in
 * {@link io.streamgate.filters.metrics.StreamGateMetrics}); tags come from route names
 * and enums only.
 *
 * <table>
 * <caption>Meters</caption>
 * <tr><th>name (Prometheus)</th><th>type</th><th>tags</th><th>meaning</th></tr>
 * <tr><td>streamgate_upstream_seconds</td><td>timer</td><td>route, status</td>
 *     <td>upstream exchange time to response headers; status 2xx..5xx or error</td></tr>
 * <tr><td>streamgate_websocket_sessions_active</td><td>gauge</td><td>route</td><td>open relayed WebSocket sessions</td></tr>
 * <tr><td>streamgate_websocket_sessions_total</td><td>counter</td><td>route</td><td>relayed WebSocket sessions opened</td></tr>
 * <tr><td>streamgate_hls_rewrites_total</td><td>counter</td><td>route</td><td>playlists rewritten</td></tr>
 * <tr><td>streamgate_hls_sessions_total</td><td>counter</td><td>route, result</td>
 *     <td>session credentials issued, accepted or rejected</td></tr>
 * <tr><td>streamgate_hls_shield_total</td><td>counter</td><td>route, outcome</td>
 *     <td>playlist requests by origin-shield outcome: fetched, coalesced, reused</td></tr>
 * <tr><td>streamgate_claim_headers_omitted_total</td><td>counter</td><td>route</td>
 *     <td>claim values not sendable as a header (not a scalar, too long)</td></tr>
 * <tr><td>streamgate_relayed_bytes_total</td><td>counter</td><td>route, direction</td>
 *     <td>WebSocket payload bytes relayed, direction downstream|upstream</td></tr>
 * </table>
 */
public final class GatewayMetrics {
    private static final String[] STATUS = {"error", "1xx", "2xx", "3xx", "4xx", "5xx"};
    private static final String[] SHIELD = {"fetched", "coalesced", "reused"};
    private static final String[] SESSION = {"issued", "accepted", "rejected"};

    private final MeterRegistry registry;
    private final Map<String, RouteMeters> routes = new ConcurrentHashMap<>();

    public GatewayMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /**
     * A route's meters, registered on first use and then resolved by one map lookup of the
     * route's name (no key building, no allocation per request); hot paths may hold it.
     */
    public RouteMeters route(String route) {
        RouteMeters m = routes.get(route);
        return m != null ? m : routes.computeIfAbsent(route, r -> new RouteMeters(registry, r));
    }

    /** Upstream exchange time to response headers; {@code status} 0 for a failed exchange. */
    public void upstream(String route, int status, long nanos) {
        route(route).upstream(status, nanos);
    }

    /** The active-sessions counter of a route (a gauge reads it). */
    public AtomicInteger websocketSessions(String route) {
        return route(route).websocketActive;
    }

    /**
     * A playlist request served by the origin shield: {@code fetched} (one upstream request),
     * {@code coalesced} (joined one in flight) or {@code reused} (within its max-age). Upstream
     * requests saved = coalesced + reused.
     */
    public void hlsShield(String route, String outcome) {
        route(route).shield[index(SHIELD, outcome)].increment();
    }

    /** A claimHeaders value that could not be sent (not a scalar, or too long) and was omitted. */
    public void claimHeaderOmitted(String route) {
        route(route).claimHeadersOmitted.increment();
    }

    public void websocketOpened(String route) {
        route(route).websocketOpened.increment();
    }

    public void hlsRewrite(String route) {
        route(route).hlsRewrites.increment();
    }

    /** @param result issued, accepted or rejected */
    public void hlsSession(String route, String result) {
        route(route).hlsSessions[index(SESSION, result)].increment();
    }

    /** @param direction downstream or upstream */
    public Counter relayedBytes(String route, String direction) {
        RouteMeters m = route(route);
        return "downstream".equals(direction) ? m.bytesDownstream : m.bytesUpstream;
    }

    private static int index(String[] values, String v) {
        for (int i = 0; i < values.length; i++) {
            if (values[i].equals(v)) {
                return i;
            }
        }
        throw new IllegalArgumentException("unknown tag value " + v);
    }

    /** Every meter of one route, registered once. */
    public static final class RouteMeters {
        private final Timer[] upstream = new Timer[STATUS.length];
        private final Counter[] shield = new Counter[SHIELD.length];
        private final Counter[] hlsSessions = new Counter[SESSION.length];
        private final Counter hlsRewrites;
        private final Counter claimHeadersOmitted;
        private final Counter websocketOpened;
        private final Counter bytesDownstream;
        private final Counter bytesUpstream;
        private final AtomicInteger websocketActive = new AtomicInteger();

        RouteMeters(MeterRegistry registry, String route) {
            for (int i = 0; i < STATUS.length; i++) {
                upstream[i] = Timer.builder("streamgate.upstream").description("Upstream exchange time to response headers")
                        .tag("route", route).tag("status", STATUS[i]).publishPercentileHistogram().register(registry);
            }
            for (int i = 0; i < SHIELD.length; i++) {
                shield[i] = Counter.builder("streamgate.hls.shield").description("Playlist requests by origin-shield outcome")
                        .tag("route", route).tag("outcome", SHIELD[i]).register(registry);
            }
            for (int i = 0; i < SESSION.length; i++) {
                hlsSessions[i] = Counter.builder("streamgate.hls.sessions").description("HLS session credentials")
                        .tag("route", route).tag("result", SESSION[i]).register(registry);
            }
            hlsRewrites = Counter.builder("streamgate.hls.rewrites").description("HLS playlists rewritten")
                    .tag("route", route).register(registry);
            claimHeadersOmitted = Counter.builder("streamgate.claim.headers.omitted")
                    .description("Claim header values omitted (not sendable)").tag("route", route).register(registry);
            websocketOpened = Counter.builder("streamgate.websocket.sessions")
                    .description("Relayed WebSocket sessions opened").tag("route", route).register(registry);
            bytesDownstream = Counter.builder("streamgate.relayed.bytes").description("WebSocket payload bytes relayed")
                    .tag("route", route).tag("direction", "downstream").register(registry);
            bytesUpstream = Counter.builder("streamgate.relayed.bytes").description("WebSocket payload bytes relayed")
                    .tag("route", route).tag("direction", "upstream").register(registry);
            Gauge.builder("streamgate.websocket.sessions.active", websocketActive, AtomicInteger::get)
                    .description("Open relayed WebSocket sessions").tag("route", route).register(registry);
        }

        /** @param outcome the ordinal of fetched, coalesced, reused (PlaylistShield.Outcome's order) */
        public void shield(int outcome) {
            shield[outcome].increment();
        }

        /** @param status the upstream's status, 0 for a failed exchange */
        public void upstream(int status, long nanos) {
            int i = status <= 0 || status >= 600 ? 0 : status / 100;
            upstream[i].record(nanos, TimeUnit.NANOSECONDS);
        }
    }
}
