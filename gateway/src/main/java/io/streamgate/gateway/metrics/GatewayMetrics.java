package io.streamgate.gateway.metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.streamgate.gateway.logging.LogCounters;

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
 * <tr><td>streamgate_sessions_active</td><td>gauge</td><td>route, kind</td>
 *     <td>live viewer sessions: kind websocket (open relays) or hls (sessions that fetched a
 *     playlist within {@code hls.sessionTtl})</td></tr>
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
 * <tr><td>streamgate_config_reloads_total</td><td>counter</td><td>result</td>
 *     <td>configuration reloads (SIGHUP, POST /reload): applied|rejected (an invalid config
 *     changes nothing)</td></tr>
 * <tr><td>streamgate_log_lines_dropped_total</td><td>counter</td><td>reason</td>
 *     <td>log lines lost: queue_full (the asynchronous appender's queue was full; it never
 *     blocks)</td></tr>
 * <tr><td>streamgate_log_values_redacted_total</td><td>counter</td><td></td>
 *     <td>token- or credential-shaped runs masked in log lines (the line is kept)</td></tr>
 * <tr><td>streamgate_connections_refused_total</td><td>counter</td><td>reason</td>
 *     <td>connections the gateway refused or cut to keep its listeners for others:
 *     client_share (one address over {@code listen.maxConnectionsPerClient}, closed at accept),
 *     min_body_rate (a body slower than {@code listen.minBodyRate}, answered 408 and closed)</td></tr>
 * </table>
 */
public final class GatewayMetrics {
    private static final String[] STATUS = {"error", "1xx", "2xx", "3xx", "4xx", "5xx"};
    private static final String[] SHIELD = {"fetched", "coalesced", "reused"};
    private static final String[] SESSION = {"issued", "accepted", "rejected"};

    private final MeterRegistry registry;
    private final Map<String, RouteMeters> routes = new ConcurrentHashMap<>();
    private final Counter refusedClientShare;
    private final Counter refusedMinBodyRate;

    public GatewayMetrics(MeterRegistry registry) {
        this.registry = registry;
        configReloads("applied");
        configReloads("rejected");
        // logging's own losses, process-wide (Logback's context is one per process)
        FunctionCounter.builder("streamgate.log.lines.dropped", LogCounters.class, c -> LogCounters.linesDropped())
                .description("Log lines dropped: the asynchronous appender's queue was full")
                .tag("reason", "queue_full").register(registry);
        FunctionCounter.builder("streamgate.log.values.redacted", LogCounters.class, c -> LogCounters.valuesRedacted())
                .description("Token- or credential-shaped values masked in log lines").register(registry);
        refusedClientShare = connectionsRefused("client_share");
        refusedMinBodyRate = connectionsRefused("min_body_rate");
    }

    private Counter connectionsRefused(String reason) {
        return Counter.builder("streamgate.connections.refused")
                .description("Connections refused or cut to keep the listeners for others").tag("reason", reason)
                .register(registry);
    }

    /** A new connection closed at accept: its address already held {@code listen.maxConnectionsPerClient}. */
    public void connectionRefusedOverClientShare() {
        refusedClientShare.increment();
    }

    /** A request body slower than {@code listen.minBodyRate}: answered 408, its connection closed. */
    public void connectionCutForSlowBody() {
        refusedMinBodyRate.increment();
    }

    private Counter configReloads(String result) {
        return Counter.builder("streamgate.config.reloads").description("Configuration reloads")
                .tag("result", result).register(registry);
    }

    /** Counts a configuration reload, {@code applied} or not (rejected). */
    public void configReload(boolean applied) {
        configReloads(applied ? "applied" : "rejected").increment();
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
        return route(route).websocketActive();
    }

    /**
     * A playlist request served by the origin shield: {@code fetched} (one upstream request),
     * {@code coalesced} (joined one in flight) or {@code reused} (within its max-age). Upstream
     * requests saved = coalesced + reused.
     */
    public void hlsShield(String route, String outcome) {
        route(route).shield(index(SHIELD, outcome));
    }

    /** A claimHeaders value that could not be sent (not a scalar, or too long) and was omitted. */
    public void claimHeaderOmitted(String route) {
        route(route).claimHeaderOmitted();
    }

    public void websocketOpened(String route) {
        route(route).websocketOpened();
    }

    public void hlsRewrite(String route) {
        route(route).hlsRewrite();
    }

    /** @param result issued, accepted or rejected */
    public void hlsSession(String route, String result) {
        route(route).hlsSession(index(SESSION, result));
    }

    /** @param direction downstream or upstream */
    public Counter relayedBytes(String route, String direction) {
        return route(route).bytes("downstream".equals(direction));
    }

    private static int index(String[] values, String v) {
        for (int i = 0; i < values.length; i++) {
            if (values[i].equals(v)) {
                return i;
            }
        }
        throw new IllegalArgumentException("unknown tag value " + v);
    }

    /**
     * Every meter of one route. Each is registered on its first use (a route never shows the
     * shield counters of another type, nor timers of statuses its origin never answered), then
     * read from a field or an array slot: no lookup by name per request.
     */
    public static final class RouteMeters {
        private final MeterRegistry registry;
        private final String route;
        private final Timer[] upstream = new Timer[STATUS.length];
        private final Counter[] shield = new Counter[SHIELD.length];
        private final Counter[] hlsSessions = new Counter[SESSION.length];
        private volatile Counter hlsRewrites;
        private volatile Counter claimHeadersOmitted;
        private volatile Counter websocketOpened;
        private volatile Counter bytesDownstream;
        private volatile Counter bytesUpstream;
        private final AtomicInteger websocketActive = new AtomicInteger();
        private volatile boolean gauge;

        RouteMeters(MeterRegistry registry, String route) {
            this.registry = registry;
            this.route = route;
        }

        private synchronized Timer upstreamTimer(int i) {
            if (upstream[i] == null) {
                upstream[i] = Timer.builder("streamgate.upstream").description("Upstream exchange time to response headers")
                        .tag("route", route).tag("status", STATUS[i]).publishPercentileHistogram().register(registry);
            }
            return upstream[i];
        }

        private synchronized Counter slot(Counter[] slots, int i, String name, String description, String tag,
                                          String[] values) {
            if (slots[i] == null) {
                slots[i] = Counter.builder(name).description(description).tag("route", route).tag(tag, values[i])
                        .register(registry);
            }
            return slots[i];
        }

        private Counter counter(String name, String description, String direction) {
            Counter.Builder b = Counter.builder(name).description(description).tag("route", route);
            if (direction != null) {
                b.tag("direction", direction);
            }
            return b.register(registry); // the registry returns the existing meter when there is one
        }

        /** @param outcome the ordinal of fetched, coalesced, reused (PlaylistShield.Outcome's order) */
        public void shield(int outcome) {
            Counter c = shield[outcome];
            (c != null ? c : slot(shield, outcome, "streamgate.hls.shield", "Playlist requests by origin-shield outcome",
                    "outcome", SHIELD)).increment();
        }

        void hlsSession(int result) {
            Counter c = hlsSessions[result];
            (c != null ? c : slot(hlsSessions, result, "streamgate.hls.sessions", "HLS session credentials", "result",
                    SESSION)).increment();
        }

        void hlsRewrite() {
            Counter c = hlsRewrites;
            if (c == null) {
                hlsRewrites = c = counter("streamgate.hls.rewrites", "HLS playlists rewritten", null);
            }
            c.increment();
        }

        void claimHeaderOmitted() {
            Counter c = claimHeadersOmitted;
            if (c == null) {
                claimHeadersOmitted = c = counter("streamgate.claim.headers.omitted",
                        "Claim header values omitted (not sendable)", null);
            }
            c.increment();
        }

        void websocketOpened() {
            Counter c = websocketOpened;
            if (c == null) {
                websocketOpened = c = counter("streamgate.websocket.sessions", "Relayed WebSocket sessions opened", null);
            }
            c.increment();
        }

        Counter bytes(boolean downstream) {
            Counter c = downstream ? bytesDownstream : bytesUpstream;
            if (c == null) {
                c = counter("streamgate.relayed.bytes", "WebSocket payload bytes relayed",
                        downstream ? "downstream" : "upstream");
                if (downstream) {
                    bytesDownstream = c;
                } else {
                    bytesUpstream = c;
                }
            }
            return c;
        }

        synchronized AtomicInteger websocketActive() {
            if (!gauge) {
                Gauge.builder("streamgate.websocket.sessions.active", websocketActive, AtomicInteger::get)
                        .description("Open relayed WebSocket sessions").tag("route", route).register(registry);
                sessionsActive("websocket", websocketActive::get);
                gauge = true;
            }
            return websocketActive;
        }

        private final java.util.concurrent.atomic.AtomicReference<com.github.benmanes.caffeine.cache.Cache<String, Boolean>>
                liveHls = new java.util.concurrent.atomic.AtomicReference<>();
        private java.time.Duration liveHlsTtl;

        /**
         * The HLS sessions of this route seen within {@code ttl} (a playlist or segment), for the
         * live-sessions gauge: one per route name for the life of the process, so the gauge keeps
         * counting across reloads (a changed {@code hls.sessionTtl} starts a new count).
         */
        public synchronized com.github.benmanes.caffeine.cache.Cache<String, Boolean> liveHls(java.time.Duration ttl) {
            if (liveHls.get() == null || !ttl.equals(liveHlsTtl)) {
                liveHlsTtl = ttl;
                boolean first = liveHls.get() == null;
                liveHls.set(com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumSize(500_000)
                        .expireAfterWrite(ttl).executor(Runnable::run).build());
                if (first) {
                    sessionsActive("hls", () -> liveHls.get().estimatedSize());
                }
            }
            return liveHls.get();
        }

        /** Registers the live-sessions gauge of one kind (hls, websocket) of this route. */
        public void sessionsActive(String kind, java.util.function.Supplier<Number> count) {
            Gauge.builder("streamgate.sessions.active", count).description("Live viewer sessions")
                    .tag("route", route).tag("kind", kind).strongReference(true).register(registry);
        }

        /** @param status the upstream's status, 0 for a failed exchange */
        public void upstream(int status, long nanos) {
            int i = status <= 0 || status >= 600 ? 0 : status / 100;
            Timer t = upstream[i];
            (t != null ? t : upstreamTimer(i)).record(nanos, TimeUnit.NANOSECONDS);
        }
    }
}
