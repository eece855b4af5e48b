package io.streamgate.filters.metrics;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamgate.filters.core.DenialReason;

/**
 * Every meter of the verification library, declared here and nowhere else. Names are
 * dot-separated so that Prometheus shows them as {@code streamgate_...}. Tag values come only
 * from enums and configuration names (route names, key source paths), never from request
 * data, and never contain a token.
 *
 * <table>
 * <caption>Meters</caption>
 * <tr><th>name (Prometheus)</th><th>type</th><th>tags</th><th>meaning</th></tr>
 * <tr><td>streamgate_decisions_total</td><td>counter</td><td>route, result, reason</td>
 *     <td>authorisation decisions; result allowed|denied, reason a contract code or "ok"</td></tr>
 * <tr><td>streamgate_verification_seconds</td><td>timer</td><td>cache</td>
 *     <td>time to verify a token (signature and claims); cache hit|miss</td></tr>
 * <tr><td>streamgate_token_cache_requests_total</td><td>counter</td><td>result</td>
 *     <td>verified-token cache lookups, hit|miss</td></tr>
 * <tr><td>streamgate_keys_fetches_total</td><td>counter</td><td>source, result</td>
 *     <td>JWKS fetches and re-reads of a changed key file, success|failure</td></tr>
 * <tr><td>streamgate_keys_loaded</td><td>gauge</td><td>source</td>
 *     <td>keys currently usable from a source (a JWKS URL or a key file, tagged with its config
 *     path, e.g. keys[0]; last good set kept on failure)</td></tr>
 * <tr><td>streamgate_replay_operations_total</td><td>counter</td><td>op, result</td>
 *     <td>replay store operations: op once (reserve; first|replayed|error), peek (a HEAD's read; unused|replayed|error), commit (ok|lost|error),
 *     release (ok|error), undo (a reservation or lease of unknown outcome deleted if ours; ok|error),
 *     acquire and renew (granted|limit|error)</td></tr>
 * <tr><td>streamgate_replay_store_errors_total</td><td>counter</td><td>action</td>
 *     <td>replay store failures and what was done (deny|allow)</td></tr>
 * <tr><td>streamgate_session_renewals_total</td><td>counter</td><td>result</td>
 *     <td>renewals: renewed, or the denial reason code</td></tr>
 * <tr><td>streamgate_revocations_active</td><td>gauge</td><td></td>
 *     <td>revocations (and evictions) in force in this replica's index</td></tr>
 * <tr><td>streamgate_revocations_applied_total</td><td>counter</td><td>kind, reason</td>
 *     <td>requests refused and live sessions ended by a revocation or eviction; kind
 *     request|hls|websocket, reason revoked|session_limit</td></tr>
 * <tr><td>streamgate_session_evictions_total</td><td>counter</td><td></td>
 *     <td>sessions ended by {@code onLimit: evict-oldest}</td></tr>
 * </table>
 */
public final class StreamGateMetrics {
    private static final DenialReason[] REASONS = DenialReason.values();

    private final MeterRegistry registry;
    private final Map<String, RouteMeters> routes = new ConcurrentHashMap<>();
    private final Timer verifyHit;
    private final Timer verifyMiss;
    private final Counter cacheHit;
    private final Counter cacheMiss;
    private final Map<String, Counter> keyFetches = new ConcurrentHashMap<>();
    private final Map<String, AtomicReference<Supplier<Number>>> keysLoaded = new ConcurrentHashMap<>();
    private final Map<String, Counter> replayOps = new ConcurrentHashMap<>();
    private final Map<String, Counter> replayErrors = new ConcurrentHashMap<>();
    private final Map<String, Counter> sessionOps = new ConcurrentHashMap<>();

    public StreamGateMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.verifyHit = verificationTimer("hit");
        this.verifyMiss = verificationTimer("miss");
        this.cacheHit = Counter.builder("streamgate.token.cache.requests").tag("result", "hit")
                .description("Verified-token cache lookups").register(registry);
        this.cacheMiss = Counter.builder("streamgate.token.cache.requests").tag("result", "miss")
                .description("Verified-token cache lookups").register(registry);
    }

    /** Meters that go nowhere, for library users who do not collect metrics. */
    public static StreamGateMetrics noop() {
        return new StreamGateMetrics(new SimpleMeterRegistry());
    }

    public MeterRegistry registry() {
        return registry;
    }

    private Timer verificationTimer(String cache) {
        return Timer.builder("streamgate.verification")
                .description("Token verification time (signature and claims)")
                .tag("cache", cache)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(500))
                .maximumExpectedValue(Duration.ofSeconds(2))
                .register(registry);
    }

    /** Decision counters of one route (created once per route name). */
    public RouteMeters route(String name) {
        RouteMeters m = routes.get(name);
        return m != null ? m : routes.computeIfAbsent(name, RouteMeters::new);
    }

    public Timer verification(boolean cacheHitResult) {
        return cacheHitResult ? verifyHit : verifyMiss;
    }

    public void tokenCache(boolean hit) {
        (hit ? cacheHit : cacheMiss).increment();
    }

    public void keyFetch(String source, boolean success) {
        String result = success ? "success" : "failure";
        keyFetches.computeIfAbsent(source + '\0' + result, k -> Counter.builder("streamgate.keys.fetches")
                .description("JWKS fetches").tag("source", source).tag("result", result)
                .register(registry)).increment();
    }

    /**
     * Points the gauge of keys loaded from a source at {@code count}: registered on the first
     * call, and on later calls for the same source (a reloaded configuration's key registry)
     * the gauge reads the new supplier, never a retired registry's.
     */
    public void keysLoaded(String source, Supplier<Number> count) {
        AtomicReference<Supplier<Number>> ref = keysLoaded.computeIfAbsent(source, s -> {
            AtomicReference<Supplier<Number>> r = new AtomicReference<>(count);
            Gauge.builder("streamgate.keys.loaded", r, x -> x.get().get().doubleValue())
                    .description("Keys currently usable from a source")
                    .tag("source", s).strongReference(true).register(registry);
            return r;
        });
        ref.set(count);
    }

    /** Removes the gauge of a source no longer configured (after a reload). */
    public void keysUnloaded(String source) {
        if (keysLoaded.remove(source) != null) {
            io.micrometer.core.instrument.Meter m = registry.find("streamgate.keys.loaded").tag("source", source).gauge();
            if (m != null) {
                registry.remove(m);
            }
        }
    }

    public void replay(String op, String result) {
        replayOps.computeIfAbsent(op + '\0' + result, k -> Counter.builder("streamgate.replay.operations")
                .description("Replay store operations").tag("op", op).tag("result", result)
                .register(registry)).increment();
    }

    public void replayStoreError(String action) {
        replayErrors.computeIfAbsent(action, k -> Counter.builder("streamgate.replay.store.errors")
                .description("Replay store failures, by what was done").tag("action", action)
                .register(registry)).increment();
    }

    public void sessionRenewal(String result) {
        sessionOps.computeIfAbsent("renewal\0" + result, k -> Counter.builder("streamgate.session.renewals")
                .description("Session renewals, by result").tag("result", result).register(registry)).increment();
    }

    /** A request refused, or a live session ended, by a revocation or an eviction. */
    public void revocationApplied(String kind, boolean eviction) {
        String reason = eviction ? "session_limit" : "revoked";
        sessionOps.computeIfAbsent("applied\0" + kind + '\0' + reason, k -> Counter.builder("streamgate.revocations.applied")
                .description("Requests refused and sessions ended by revocations and evictions")
                .tag("kind", kind).tag("reason", reason).register(registry)).increment();
    }

    public void eviction() {
        sessionOps.computeIfAbsent("eviction", k -> Counter.builder("streamgate.session.evictions")
                .description("Sessions ended by onLimit: evict-oldest").register(registry)).increment();
    }

    /** Registers the gauge of revocations in force. */
    public void revocationsActive(Supplier<Number> count) {
        Gauge.builder("streamgate.revocations.active", count).description("Revocations in force in this replica")
                .strongReference(true).register(registry);
    }

    /** The decision counters of one route, one per reason, created up front. */
    public final class RouteMeters {
        private final Counter allowed;
        private final Counter[] denied = new Counter[REASONS.length];

        private RouteMeters(String route) {
            allowed = decision(route, "allowed", "ok");
            for (DenialReason r : REASONS) {
                // Upstream failures are not authorisation decisions: the gateway meters them apart.
                if (r.status() < 500 || r.category() == DenialReason.Category.UNAVAILABLE) {
                    denied[r.ordinal()] = decision(route, "denied", r.code());
                }
            }
        }

        private Counter decision(String route, String result, String reason) {
            return Counter.builder("streamgate.decisions").description("Authorisation decisions")
                    .tag("route", route).tag("result", result).tag("reason", reason).register(registry);
        }

        public void allowed() {
            allowed.increment();
        }

        public void denied(DenialReason reason) {
            Counter c = denied[reason.ordinal()];
            if (c != null) {
                c.increment();
            }
        }
    }
}
