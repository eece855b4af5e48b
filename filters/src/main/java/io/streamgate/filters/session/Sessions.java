package io.streamgate.filters.session;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import io.streamgate.filters.metrics.StreamGateMetrics;

/**
 * The session side of a gateway replica: session ids, the shared record of each session (so
 * that a renewal anywhere moves its cap), and the revocations in force.
 *
 * <p>Revocations are checked against a {@link RevocationIndex} held in memory: the check on
 * every request (and every segment) is a hash lookup, never a store call. The index is
 * loaded from the store at {@link #start()} and reloaded whenever the store's revocation
 * version changes, which a daemon thread polls every {@code poll} (500 ms by default, so a
 * revocation made at one replica is in force at every other within about half a second, and
 * a replica that starts later reads the stored list). Listeners registered with
 * {@link #onIndexChange} (the gateway's live WebSocket sessions) are told of every new index.
 *
 * <p>Store failures: a failed poll keeps the last index (a Redis blip neither lifts nor adds
 * revocations) and is logged at most once a minute; a failed revocation or renewal write is
 * reported to the caller, which follows {@code onStoreError}.
 */
public final class Sessions implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Sessions.class);
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    /** How many sessions of one token a renewal moves at most. */
    public static final int MAX_SESSIONS_PER_RENEWAL = 64;

    private final SessionStore store;
    private final Clock clock;
    private final StreamGateMetrics metrics;
    private final long pollMillis;
    private final Duration timeout;
    private final List<Consumer<RevocationIndex>> listeners = new CopyOnWriteArrayList<>();
    private final ThreadLocal<SecureRandom> random = ThreadLocal.withInitial(SecureRandom::new);
    /** Caps read back from the store, so that old URLs of a renewed session cost one store call a second, not one per segment. */
    private final Cache<String, Long> caps;
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile RevocationIndex index = RevocationIndex.EMPTY;
    private volatile long version = Long.MIN_VALUE;
    private volatile long lastErrorLog;
    private ScheduledExecutorService poller;

    public Sessions(SessionStore store, Clock clock, StreamGateMetrics metrics, Duration poll, Duration timeout) {
        this.store = store;
        this.clock = clock;
        this.metrics = metrics;
        this.pollMillis = poll.toMillis();
        this.timeout = timeout;
        this.caps = Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(Duration.ofSeconds(1))
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis())).executor(Runnable::run).build();
        metrics.revocationsActive(() -> index.size());
    }

    /** In-memory sessions for one process (tests, the servlet Filter, {@code replay.store: memory}). */
    public static Sessions inMemory(Clock clock, StreamGateMetrics metrics) {
        return new Sessions(new MemorySessionStore(clock, 1_000_000), clock, metrics, Duration.ofMillis(500),
                Duration.ofSeconds(1));
    }

    public SessionStore store() {
        return store;
    }

    /** Loads the stored revocations (bounded wait) and starts polling for changes. Idempotent. */
    public void start() {
        if (!started.compareAndSet(false, true)) {
            return;
        }
        try {
            refresh().toCompletableFuture().get(Math.max(1000, timeout.toMillis() * 4), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            storeFailed("load revocations", e);
        }
        poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "streamgate-revocations");
            t.setDaemon(true);
            return t;
        });
        poller.scheduleWithFixedDelay(this::poll, pollMillis, pollMillis, TimeUnit.MILLISECONDS);
    }

    private void poll() {
        try {
            store.revocationVersion().toCompletableFuture().orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .thenCompose(v -> v == version ? CompletableFuture.completedFuture(null) : refresh())
                    .exceptionally(e -> {
                        storeFailed("poll revocations", e);
                        return null;
                    }).get(timeout.toMillis() * 3, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            storeFailed("poll revocations", e);
        }
    }

    /** Reads the version, then the list, and installs the new index. */
    private CompletionStage<Void> refresh() {
        return store.revocationVersion().thenCompose(v -> store.revocations().thenAccept(list -> install(list, v)));
    }

    private synchronized void install(List<Revocation> list, long v) {
        if (v < version && version != Long.MIN_VALUE) {
            return; // an older read finishing late
        }
        version = v;
        RevocationIndex next = new RevocationIndex(list);
        index = next;
        for (Consumer<RevocationIndex> l : listeners) {
            try {
                l.accept(next);
            } catch (RuntimeException e) {
                LOG.warn("revocation listener failed", e);
            }
        }
    }

    /** The revocations in force now; read it once per check. */
    public RevocationIndex index() {
        return index;
    }

    /** Called with every new index (on the polling thread, or the thread that revoked). */
    public void onIndexChange(Consumer<RevocationIndex> listener) {
        listeners.add(listener);
    }

    /** A fresh opaque session id: 128 random bits, base64url. */
    public String newSid() {
        byte[] b = new byte[16];
        random.get().nextBytes(b);
        return B64.encodeToString(b);
    }

    /**
     * Records a session opened (or renewed) now, under the key of its token, until its cap.
     * Best effort: a failed write is logged; the session plays, but cannot be renewed elsewhere.
     */
    public void opened(SessionRecord session, String tokenKey) {
        long ttl = ttlMillis(session.cap());
        bounded(store.put(session, tokenKey, ttl)).whenComplete((x, e) -> {
            if (e != null) {
                storeFailed("record a session", e);
            }
        });
    }

    private long ttlMillis(long cap) {
        long until = cap == Long.MAX_VALUE ? clock.millis() + Duration.ofDays(1).toMillis() : cap * 1000;
        return Math.max(1000, until - clock.millis() + 60_000);
    }

    /** Stores the session's new cap (and indexes it under the renewing token); fails when the store does. */
    public CompletionStage<Void> renewed(SessionRecord renewed, String tokenKey) {
        caps.put(renewed.sid(), renewed.cap());
        return bounded(store.put(renewed, tokenKey, ttlMillis(renewed.cap())));
    }

    /** The stored record of a session, or null. */
    public CompletionStage<SessionRecord> record(String sid) {
        return bounded(store.get(sid));
    }

    /** The sessions a token opened or last renewed. */
    public CompletionStage<List<String>> sessionsOf(String tokenKey) {
        return bounded(store.sessionsOf(tokenKey, MAX_SESSIONS_PER_RENEWAL));
    }

    /**
     * The session's current cap in epoch seconds, or {@code fallback} when the store does not
     * know it (or fails): cached for a second per session.
     */
    public CompletionStage<Long> cap(String sid, long fallback) {
        Long c = caps.getIfPresent(sid);
        if (c != null) {
            return CompletableFuture.completedFuture(Math.max(c, fallback));
        }
        return bounded(store.get(sid)).handle((r, e) -> {
            long cap = r == null || e != null ? fallback : Math.max(r.cap(), fallback);
            if (e == null) {
                caps.put(sid, cap);
            }
            return cap;
        });
    }

    /** Stores a revocation and applies it here at once (other replicas within one poll). */
    public CompletionStage<Revocation> revoke(Revocation r) {
        return bounded(store.addRevocation(r)).thenCompose(x -> refresh()).thenApply(x -> r);
    }

    /** Applies a revocation on this replica only (the store is unavailable and {@code onStoreError: allow}). */
    public synchronized void revokeLocally(Revocation r) {
        List<Revocation> list = new java.util.ArrayList<>(index.all());
        list.add(r);
        install(list, version);
    }

    /** Ends a session evicted by {@code onLimit: evict-oldest}, on every replica. */
    public void evict(String sid, Duration ttl) {
        metrics.eviction();
        long now = clock.millis();
        Revocation r = new Revocation(newSid(), Revocation.Kind.SID, sid, null, now + ttl.toMillis(),
                Revocation.SESSION_LIMIT, now);
        revoke(r).whenComplete((x, e) -> {
            if (e != null) {
                storeFailed("record an eviction", e);
                revokeLocally(r);
            }
        });
    }

    public CompletionStage<Boolean> lift(String id) {
        return bounded(store.removeRevocation(id)).thenCompose(removed -> refresh().thenApply(x -> removed));
    }

    public CompletionStage<List<Revocation>> revocations() {
        return bounded(store.revocations());
    }

    private <T> CompletionStage<T> bounded(CompletionStage<T> s) {
        return s.toCompletableFuture().copy().orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void storeFailed(String what, Throwable e) {
        long now = System.currentTimeMillis();
        if (now - lastErrorLog > 60_000) {
            lastErrorLog = now;
            Throwable c = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
            LOG.warn("session store {}: cannot {} ({}); keeping the last known revocations", store.name(), what,
                    c.getClass().getSimpleName());
        }
    }

    /** For logs: the store's name. */
    @Override
    public String toString() {
        return "Sessions[" + store.name().toLowerCase(Locale.ROOT) + "]";
    }

    @Override
    public void close() {
        if (poller != null) {
            poller.shutdownNow();
        }
    }
}
