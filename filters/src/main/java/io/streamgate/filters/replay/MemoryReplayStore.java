package io.streamgate.filters.replay;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;

/**
 * Replay state of one gateway process: atomic per key (every operation is one
 * {@code compute}), answered at once. Entries expire with their tokens, reservations after
 * their short term, both by the injected clock. When full it
 * refuses new entries (the operation fails, and {@code onStoreError} decides) rather than
 * evicting old ones: forgetting a used jti early would let it be replayed.
 */
public final class MemoryReplayStore implements ReplayStore {
    /** Thrown (inside a failed future) when the store holds {@code maxEntries} live entries. */
    public static final class StoreFullException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        StoreFullException() {
            super("replay store full", null, false, false);
        }
    }

    /** A one-time entry: reserved by {@code owner} until {@code until}, or consumed until then. */
    private record Once(String owner, boolean consumed, long until) {
    }

    private final Clock clock;
    private final long maxEntries;
    private final Cache<String, Once> once;
    private final ConcurrentHashMap<String, Map<String, Long>> leases = new ConcurrentHashMap<>();

    public MemoryReplayStore(Clock clock, long maxEntries) {
        this.clock = clock;
        this.maxEntries = maxEntries;
        this.once = Caffeine.newBuilder()
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .executor(Runnable::run)
                .expireAfter(new Expiry<String, Once>() {
                    @Override
                    public long expireAfterCreate(String key, Once e, long currentTime) {
                        return remaining(e);
                    }

                    @Override
                    public long expireAfterUpdate(String key, Once e, long currentTime, long currentDuration) {
                        return remaining(e);
                    }

                    @Override
                    public long expireAfterRead(String key, Once e, long currentTime, long currentDuration) {
                        return currentDuration;
                    }
                })
                .build();
    }

    private long remaining(Once e) {
        return TimeUnit.MILLISECONDS.toNanos(Math.max(0, e.until() - clock.millis()));
    }

    /** The live entry of a key, or null (a lapsed one counts as absent even before Caffeine drops it). */
    private Once live(Once e, long now) {
        return e == null || e.until() <= now ? null : e;
    }

    /** True when a new key may not be added (the store is full); never evicts. */
    private boolean full(String key) {
        if (once.estimatedSize() < maxEntries) {
            return false;
        }
        once.cleanUp();
        return once.estimatedSize() >= maxEntries && live(once.getIfPresent(key), clock.millis()) == null;
    }

    @Override
    public CompletionStage<Boolean> reserve(String key, String owner, long reserveMillis, long expiresAtMillis) {
        long now = clock.millis();
        long until = Math.min(now + reserveMillis, expiresAtMillis);
        if (full(key)) {
            return CompletableFuture.failedFuture(new StoreFullException());
        }
        boolean[] taken = {false};
        once.asMap().compute(key, (k, e) -> {
            if (live(e, now) != null) {
                return e; // a known key stays an answer (false), full or not
            }
            taken[0] = true;
            if (until <= now) {
                return null; // the token is past its end (it cannot pass again): nothing to hold
            }
            return new Once(owner, false, until);
        });
        return CompletableFuture.completedFuture(taken[0]);
    }

    @Override
    public CompletionStage<Boolean> isTaken(String key) {
        return CompletableFuture.completedFuture(live(once.getIfPresent(key), clock.millis()) != null);
    }

    @Override
    public CompletionStage<Boolean> commit(String key, String owner, long expiresAtMillis) {
        long now = clock.millis();
        if (full(key)) {
            return CompletableFuture.failedFuture(new StoreFullException());
        }
        boolean[] ours = {false};
        once.asMap().compute(key, (k, e) -> {
            Once held = live(e, now);
            if (held != null && !held.owner().equals(owner)) {
                return e;
            }
            ours[0] = true;
            if (held != null && held.consumed()) {
                return held; // already consumed by us: the first commit's expiry stands
            }
            return expiresAtMillis <= now ? null : new Once(owner, true, expiresAtMillis);
        });
        return CompletableFuture.completedFuture(ours[0]);
    }

    @Override
    public CompletionStage<Boolean> releaseIfOwner(String key, String owner) {
        long now = clock.millis();
        boolean[] freed = {false};
        once.asMap().computeIfPresent(key, (k, e) -> {
            Once held = live(e, now);
            if (held == null) {
                return null;
            }
            if (!held.consumed() && held.owner().equals(owner)) {
                freed[0] = true;
                return null;
            }
            return e;
        });
        return CompletableFuture.completedFuture(freed[0]);
    }

    @Override
    public CompletionStage<Boolean> acquire(String key, String sessionId, int maxSessions, long leaseMillis,
                                            long expiresAtMillis) {
        return lease(key, sessionId, maxSessions, leaseMillis, expiresAtMillis, false).thenApply(r -> r != null);
    }

    @Override
    public CompletionStage<String> acquireEvicting(String key, String sessionId, int maxSessions, long leaseMillis,
                                                   long expiresAtMillis) {
        return lease(key, sessionId, maxSessions, leaseMillis, expiresAtMillis, true);
    }

    /**
     * Takes or renews a lease: {@code ""} when granted, the evicted session's id when granted
     * by evicting the oldest ({@code evict} only), null when refused.
     */
    private CompletableFuture<String> lease(String key, String sessionId, int maxSessions, long leaseMillis,
                                            long expiresAtMillis, boolean evict) {
        if (!leases.containsKey(key) && leases.size() >= maxEntries) {
            pruneAll();
            if (leases.size() >= maxEntries) {
                return CompletableFuture.failedFuture(new StoreFullException());
            }
        }
        long now = clock.millis();
        long until = Math.min(now + leaseMillis, expiresAtMillis);
        String[] result = {null};
        leases.compute(key, (k, held) -> {
            Map<String, Long> m = held == null ? new LinkedHashMap<>() : held;
            m.values().removeIf(t -> t <= now);
            if (evict && until <= now) {
                return m.isEmpty() ? null : m; // past the token's end: nothing to take, nobody to evict
            }
            if (m.containsKey(sessionId) || m.size() < maxSessions) {
                result[0] = "";
            } else if (evict) {
                // insertion order is the order sessions first took their lease: the first is the oldest
                String oldest = m.keySet().iterator().next();
                m.remove(oldest);
                result[0] = oldest;
            } else {
                return m.isEmpty() ? null : m;
            }
            m.put(sessionId, until);
            return m;
        });
        return CompletableFuture.completedFuture(result[0]);
    }

    @Override
    public CompletionStage<Boolean> renew(String key, String sessionId, int maxSessions, long leaseMillis,
                                          long expiresAtMillis) {
        return acquire(key, sessionId, maxSessions, leaseMillis, expiresAtMillis);
    }

    @Override
    public CompletionStage<Void> releaseLease(String key, String sessionId) {
        leases.computeIfPresent(key, (k, m) -> {
            m.remove(sessionId);
            return m.isEmpty() ? null : m;
        });
        return CompletableFuture.completedFuture(null);
    }

    private void pruneAll() {
        long now = clock.millis();
        for (String k : leases.keySet()) {
            leases.computeIfPresent(k, (key, m) -> {
                m.values().removeIf(t -> t <= now);
                return m.isEmpty() ? null : m;
            });
        }
    }

    @Override
    public CompletionStage<Void> ping() {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public String name() {
        return "memory";
    }
}
