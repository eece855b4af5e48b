package io.streamgate.filters.session;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;

/**
 * Sessions and revocations of one process (revocations last until their ttl or a restart).
 * Bounded: at most {@code maxSessions} session records and token indexes (least recently
 * used go first: a forgotten session simply cannot be renewed), and revocations expire.
 */
public final class MemorySessionStore implements SessionStore {
    private record Timed<T>(T value, long untilMillis) {
    }

    private final Clock clock;
    private final Cache<String, Timed<SessionRecord>> sessions;
    private final Cache<String, Timed<Set<String>>> byToken;
    private final Map<String, Revocation> revocations = new ConcurrentHashMap<>();
    private final AtomicLong version = new AtomicLong();

    public MemorySessionStore(Clock clock, long maxSessions) {
        this.clock = clock;
        this.sessions = timed(clock, maxSessions);
        this.byToken = timed(clock, maxSessions);
    }

    private static <T> Cache<String, Timed<T>> timed(Clock clock, long max) {
        return Caffeine.newBuilder()
                .maximumSize(max)
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .executor(Runnable::run)
                .expireAfter(new Expiry<String, Timed<T>>() {
                    @Override
                    public long expireAfterCreate(String k, Timed<T> v, long t) {
                        return TimeUnit.MILLISECONDS.toNanos(Math.max(0, v.untilMillis() - clock.millis()));
                    }

                    @Override
                    public long expireAfterUpdate(String k, Timed<T> v, long t, long d) {
                        return expireAfterCreate(k, v, t);
                    }

                    @Override
                    public long expireAfterRead(String k, Timed<T> v, long t, long d) {
                        return d;
                    }
                })
                .build();
    }

    @Override
    public CompletionStage<Void> put(SessionRecord session, String tokenKey, long ttlMillis) {
        long until = clock.millis() + Math.max(1, ttlMillis);
        sessions.put(session.sid(), new Timed<>(session, until));
        byToken.asMap().compute(tokenKey, (k, old) -> {
            Set<String> sids = old == null ? ConcurrentHashMap.newKeySet() : old.value();
            sids.add(session.sid());
            return new Timed<>(sids, Math.max(until, old == null ? 0 : old.untilMillis()));
        });
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<SessionRecord> get(String sid) {
        Timed<SessionRecord> t = sessions.getIfPresent(sid);
        return CompletableFuture.completedFuture(t == null ? null : t.value());
    }

    @Override
    public CompletionStage<List<String>> sessionsOf(String tokenKey, int limit) {
        Timed<Set<String>> t = byToken.getIfPresent(tokenKey);
        List<String> out = new ArrayList<>();
        if (t != null) {
            for (String sid : t.value()) {
                if (out.size() == limit) {
                    break;
                }
                out.add(sid);
            }
        }
        return CompletableFuture.completedFuture(out);
    }

    @Override
    public CompletionStage<Void> addRevocation(Revocation r) {
        revocations.put(r.id(), r);
        version.incrementAndGet();
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Boolean> removeRevocation(String id) {
        boolean removed = revocations.remove(id) != null;
        version.incrementAndGet();
        return CompletableFuture.completedFuture(removed);
    }

    @Override
    public CompletionStage<List<Revocation>> revocations() {
        long now = clock.millis();
        revocations.values().removeIf(r -> r.untilMillis() <= now);
        return CompletableFuture.completedFuture(List.copyOf(revocations.values()));
    }

    @Override
    public CompletionStage<Long> revocationVersion() {
        return CompletableFuture.completedFuture(version.get());
    }

    @Override
    public String name() {
        return "memory";
    }
}
