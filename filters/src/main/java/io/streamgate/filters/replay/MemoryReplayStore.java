package io.streamgate.filters.replay;

import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;

/**
 * Replay state of one gateway process. Entries expire with their tokens. When full it
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

    private final Clock clock;
    private final long maxEntries;
    private final Cache<String, Long> used;
    private final ConcurrentHashMap<String, Map<String, Long>> leases = new ConcurrentHashMap<>();

    public MemoryReplayStore(Clock clock, long maxEntries) {
        this.clock = clock;
        this.maxEntries = maxEntries;
        this.used = Caffeine.newBuilder()
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .executor(Runnable::run)
                .expireAfter(new Expiry<String, Long>() {
                    @Override
                    public long expireAfterCreate(String key, Long expiresAt, long currentTime) {
                        return TimeUnit.MILLISECONDS.toNanos(Math.max(0, expiresAt - clock.millis()));
                    }

                    @Override
                    public long expireAfterUpdate(String key, Long expiresAt, long currentTime, long currentDuration) {
                        return currentDuration;
                    }

                    @Override
                    public long expireAfterRead(String key, Long expiresAt, long currentTime, long currentDuration) {
                        return currentDuration;
                    }
                })
                .build();
    }

    @Override
    public CompletionStage<Boolean> markUsed(String key, long expiresAtMillis) {
        if (used.estimatedSize() >= maxEntries) {
            used.cleanUp();
            if (used.estimatedSize() >= maxEntries) {
                // A key already recorded is a replay whatever the fill level: answer that rather
                // than fail, or onStoreError=allow would admit a replayed token while full.
                if (used.getIfPresent(key) != null) {
                    return CompletableFuture.completedFuture(false);
                }
                return CompletableFuture.failedFuture(new StoreFullException());
            }
        }
        return CompletableFuture.completedFuture(used.asMap().putIfAbsent(key, expiresAtMillis) == null);
    }

    @Override
    public CompletionStage<Boolean> acquire(String key, String sessionId, int maxSessions, long leaseMillis,
                                            long expiresAtMillis) {
        if (!leases.containsKey(key) && leases.size() >= maxEntries) {
            pruneAll();
            if (leases.size() >= maxEntries) {
                return CompletableFuture.failedFuture(new StoreFullException());
            }
        }
        long now = clock.millis();
        long until = Math.min(now + leaseMillis, expiresAtMillis);
        boolean[] granted = {false};
        leases.compute(key, (k, held) -> {
            Map<String, Long> m = held == null ? new HashMap<>() : held;
            m.values().removeIf(t -> t <= now);
            if (m.containsKey(sessionId) || m.size() < maxSessions) {
                m.put(sessionId, until);
                granted[0] = true;
            }
            return m.isEmpty() ? null : m;
        });
        return CompletableFuture.completedFuture(granted[0]);
    }

    @Override
    public CompletionStage<Boolean> renew(String key, String sessionId, int maxSessions, long leaseMillis,
                                          long expiresAtMillis) {
        return acquire(key, sessionId, maxSessions, leaseMillis, expiresAtMillis);
    }

    @Override
    public CompletionStage<Void> release(String key, String sessionId) {
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
