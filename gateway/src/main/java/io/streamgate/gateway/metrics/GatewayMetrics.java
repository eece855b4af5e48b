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
 * <tr><td>streamgate_relayed_bytes_total</td><td>counter</td><td>route, direction</td>
 *     <td>WebSocket payload bytes relayed, direction downstream|upstream</td></tr>
 * </table>
 */
public final class GatewayMetrics {
    private final MeterRegistry registry;
    private final Map<String, Timer> upstream = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> wsActive = new ConcurrentHashMap<>();
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    public GatewayMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public void upstream(String route, int status, long nanos) {
        String s = status <= 0 ? "error" : (status / 100) + "xx";
        upstream.computeIfAbsent(route + '\0' + s, k -> Timer.builder("streamgate.upstream")
                .description("Upstream exchange time to response headers").tag("route", route).tag("status", s)
                .publishPercentileHistogram().register(registry)).record(nanos, TimeUnit.NANOSECONDS);
    }

    /** The active-sessions counter of a route (a gauge reads it). */
    public AtomicInteger websocketSessions(String route) {
        return wsActive.computeIfAbsent(route, r -> {
            AtomicInteger n = new AtomicInteger();
            Gauge.builder("streamgate.websocket.sessions.active", n, AtomicInteger::get)
                    .description("Open relayed WebSocket sessions").tag("route", r).register(registry);
            return n;
        });
    }

    /**
     * A playlist request served by the origin shield: {@code fetched} (one upstream request),
     * {@code coalesced} (joined one in flight) or {@code reused} (within its max-age). Upstream
     * requests saved = coalesced + reused.
     */
    public void hlsShield(String route, String outcome) {
        counters.computeIfAbsent("streamgate.hls.shield\0" + route + '\0' + outcome, k -> Counter
                .builder("streamgate.hls.shield").description("Playlist requests by origin-shield outcome")
                .tag("route", route).tag("outcome", outcome).register(registry)).increment();
    }

    /** A claimHeaders value that could not be sent (not a scalar, or too long) and was omitted. */
    public void claimHeaderOmitted(String route) {
        counter("streamgate.claim.headers.omitted", "Claim header values omitted (not sendable)", route, null).increment();
    }

    public void websocketOpened(String route) {
        counter("streamgate.websocket.sessions", "Relayed WebSocket sessions opened", route, null).increment();
    }

    public void hlsRewrite(String route) {
        counter("streamgate.hls.rewrites", "HLS playlists rewritten", route, null).increment();
    }

    /** @param result issued, accepted or rejected */
    public void hlsSession(String route, String result) {
        counters.computeIfAbsent("streamgate.hls.sessions\0" + route + '\0' + result, k -> Counter
                .builder("streamgate.hls.sessions").description("HLS session credentials").tag("route", route)
                .tag("result", result).register(registry)).increment();
    }

    public Counter relayedBytes(String route, String direction) {
        return counter("streamgate.relayed.bytes", "WebSocket payload bytes relayed", route, direction);
    }

    private Counter counter(String name, String description, String route, String direction) {
        return counters.computeIfAbsent(name + '\0' + route + '\0' + direction, k -> {
            Counter.Builder b = Counter.builder(name).description(description).tag("route", route);
            if (direction != null) {
                b.tag("direction", direction);
            }
            return b.register(registry);
        });
    }
}
