package io.streamgate.filters.session;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;

/**
 * Sessions, revocations and the change log of one process (revocations last until their ttl
 * or a restart). Every change to a record is one {@code compute} on its entry. Bounded: at
 * most {@code maxSessions} records and as many index entries (least recently used go first:
 * a forgotten session cannot be renewed, and its credentials lapse by themselves), each index
 * at most {@link #MAX_PER_INDEX} sessions, at most {@code maxRevocations} revocations (a
 * further one fails with {@link FullException}), the change log at most {@code maxChanges}.
 */
public final class MemorySessionStore implements SessionStore {
    private record Timed<T>(T value, long untilMillis) {
    }

    private record Logged(long seq, long atMillis, SessionChange change) {
    }

    private final Clock clock;
    private final Cache<String, Timed<SessionRecord>> sessions;
    private final Cache<String, Timed<LinkedHashSet<String>>> indexes;
    private final Map<String, Revocation> revocations = new ConcurrentHashMap<>();
    private final int maxRevocations;
    private final int maxChanges;
    private final java.util.TreeMap<Long, Logged> log = new java.util.TreeMap<>();
    private long seq;

    public MemorySessionStore(Clock clock, long maxSessions) {
        this(clock, maxSessions, 1_000_000, 200_000);
    }

    public MemorySessionStore(Clock clock, long maxSessions, int maxRevocations, int maxChanges) {
        this.clock = clock;
        this.sessions = timed(clock, maxSessions);
        this.indexes = timed(clock, maxSessions);
        this.maxRevocations = maxRevocations;
        this.maxChanges = maxChanges;
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

    private static <T> CompletionStage<T> done(T v) {
        return CompletableFuture.completedFuture(v);
    }

    @Override
    public CompletionStage<Void> open(SessionRecord session, String tokenKey, long keepMillis) {
        long until = clock.millis() + Math.max(1, keepMillis);
        sessions.asMap().putIfAbsent(session.sid(), new Timed<>(session, until));
        index(session.sid(), tokenKey, session.jti(), until);
        return done(null);
    }

    private void index(String sid, String tokenKey, String jti, long until) {
        if (tokenKey != null && !tokenKey.isEmpty()) {
            index("t" + tokenKey, sid, until);
        }
        if (jti != null && !jti.isEmpty()) {
            index("j" + jti, sid, until);
        }
    }

    private void index(String key, String sid, long until) {
        indexes.asMap().compute(key, (k, old) -> {
            LinkedHashSet<String> sids = old == null ? new LinkedHashSet<>() : new LinkedHashSet<>(old.value());
            sids.remove(sid);
            sids.add(sid); // newest last
            while (sids.size() > MAX_PER_INDEX) {
                sids.remove(sids.iterator().next());
            }
            return new Timed<>(sids, Math.max(until, old == null ? 0 : old.untilMillis()));
        });
    }

    @Override
    public CompletionStage<SessionRecord> get(String sid) {
        Timed<SessionRecord> t = sessions.getIfPresent(sid);
        return done(t == null ? null : t.value());
    }

    @Override
    public CompletionStage<SessionRecord> renew(String sid, long newCap, String jti, String tokenKey,
                                                long keepMillis) {
        SessionRecord[] out = {null};
        sessions.asMap().computeIfPresent(sid, (k, t) -> {
            if (t.value().state() != SessionState.OPEN) {
                out[0] = t.value();
                return t;
            }
            out[0] = t.value().renewed(newCap, jti);
            return new Timed<>(out[0], t.untilMillis()); // the record's life is fixed when it opens
        });
        if (out[0] != null && out[0].state() == SessionState.OPEN) {
            Timed<SessionRecord> t = sessions.getIfPresent(sid);
            index(sid, tokenKey, jti, t == null ? clock.millis() + keepMillis : t.untilMillis());
        }
        return done(out[0]);
    }

    @Override
    public CompletionStage<SessionState> end(String sid, SessionState state) {
        SessionState[] before = {null};
        sessions.asMap().computeIfPresent(sid, (k, t) -> {
            before[0] = t.value().state();
            return before[0] == SessionState.OPEN ? new Timed<>(t.value().withState(state), t.untilMillis()) : t;
        });
        if ((before[0] == null || before[0] == SessionState.OPEN) && state != SessionState.ENDED) {
            append(SessionChange.ended(sid, state)); // ENDED ended where it lived: nothing to tell
        }
        return done(before[0]);
    }

    @Override
    public CompletionStage<Void> announce(String sid, SessionState state) {
        append(SessionChange.ended(sid, state));
        return done(null);
    }

    @Override
    public CompletionStage<List<String>> sessionsOf(String tokenKey, int limit) {
        return done(newest("t" + tokenKey, limit));
    }

    @Override
    public CompletionStage<List<String>> sessionsWithJti(String jti, int limit) {
        return done(newest("j" + jti, limit));
    }

    private List<String> newest(String key, int limit) {
        Timed<LinkedHashSet<String>> t = indexes.getIfPresent(key);
        List<String> out = new ArrayList<>();
        if (t != null) {
            List<String> all = new ArrayList<>(t.value());
            for (int i = all.size() - 1; i >= 0 && out.size() < limit; i--) {
                out.add(all.get(i));
            }
        }
        return out;
    }

    @Override
    public CompletionStage<Void> addRevocation(Revocation r) {
        synchronized (revocations) {
            if (revocations.size() >= maxRevocations && !revocations.containsKey(r.id())) {
                long now = clock.millis();
                revocations.values().removeIf(x -> x.untilMillis() <= now); // only when full: adds stay O(1)
                if (revocations.size() >= maxRevocations) {
                    return CompletableFuture.failedFuture(new FullException("revocation store full"));
                }
            }
            revocations.put(r.id(), r);
            append(SessionChange.added(r));
        }
        return done(null);
    }

    @Override
    public CompletionStage<Boolean> removeRevocation(String id) {
        boolean removed = revocations.remove(id) != null;
        if (removed) {
            append(SessionChange.lifted(id));
        }
        return done(removed);
    }

    @Override
    public CompletionStage<List<Revocation>> revocations() {
        long now = clock.millis();
        List<Revocation> out = new ArrayList<>();
        for (Revocation r : revocations.values()) {
            if (r.untilMillis() > now) {
                out.add(r);
            }
        }
        return done(out);
    }

    private synchronized void append(SessionChange c) {
        seq++;
        log.put(seq, new Logged(seq, clock.millis(), c));
        while (log.size() > maxChanges) {
            log.pollFirstEntry();
        }
    }

    @Override
    public synchronized CompletionStage<String> cursorBefore(long windowMillis) {
        long millis = clock.millis() - windowMillis;
        long c = seq;
        for (Logged l : log.descendingMap().values()) {
            if (l.atMillis() < millis) {
                break;
            }
            c = l.seq() - 1;
        }
        return done(Long.toString(c));
    }

    @Override
    public synchronized CompletionStage<Changes> changesSince(String cursor, int max) {
        long after;
        try {
            after = Long.parseLong(cursor);
        } catch (NumberFormatException e) {
            after = seq;
        }
        List<SessionChange> out = new ArrayList<>();
        long last = after;
        for (Logged l : log.tailMap(after, false).values()) {
            if (out.size() == max) {
                break;
            }
            out.add(l.change());
            last = l.seq();
        }
        return done(new Changes(out, Long.toString(last)));
    }

    @Override
    public String name() {
        return "memory";
    }
}
