package io.streamgate.filters.session;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import io.streamgate.filters.metrics.StreamGateMetrics;

/**
 * The session side of a gateway replica: session ids, the shared record of each session, the
 * revocations in force and the sessions that ended.
 *
 * <p><b>Per-request checks are local.</b> A {@link RevocationIndex} (hash lookups) and a
 * bounded map of ended sessions ({@code sid} to {@link SessionState}, kept {@code endedWindow}:
 * longer than any credential issued before the end can live without a playlist that would be
 * refused) answer every request and every segment without a store call.
 *
 * <p><b>Propagation by change.</b> At {@link #start()} the replica reads the stored revocations
 * and replays the change log of the last {@code endedWindow}; then every {@code poll} it reads
 * the changes after its cursor and applies them one by one on its own thread — never on the
 * store client's I/O thread — telling its {@link SessionListener}s. Neither a check nor a
 * change costs more with more revocations stored. A change made here is applied here at once.
 * After a store outage longer than {@link #RESYNC_AFTER}, the replica reloads the snapshot
 * (the log may have been trimmed meanwhile); revocations applied here alone during the outage
 * ({@code onStoreError: allow}) are kept until their ttl.
 *
 * <p>Time comes from the injected clock, polling from the injected scheduler (or a daemon
 * thread of its own, stopped by {@link #close()}).
 */
public final class Sessions implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Sessions.class);
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    /** How many sessions of one token a renewal by {@code previous} moves at most. */
    public static final int MAX_SESSIONS_PER_RENEWAL = SessionStore.MAX_PER_INDEX;
    /** An outage after which the snapshot is read again. */
    public static final Duration RESYNC_AFTER = Duration.ofSeconds(30);
    private static final int PAGE = 1000;
    /** Pages read per poll at most: a burst is caught up over a few polls, never in one long stall. */
    private static final int PAGES_PER_POLL = 50;
    /** Pages replayed at a (re)load at most: the log holds about 200 of them. */
    private static final int MAX_REPLAY_PAGES = 400;
    /** Ends the store missed, kept for another try (the oldest first; beyond this, dropped and logged). */
    private static final int MAX_PENDING_ENDS = 10_000;
    private final java.util.ArrayDeque<PendingEnd> pendingEnds = new java.util.ArrayDeque<>();

    private final SessionStore store;
    private final Clock clock;
    private final StreamGateMetrics metrics;
    private final long pollMillis;
    private final Duration timeout;
    private final ScheduledExecutorService scheduler;
    private final boolean ownScheduler;
    private final List<SessionListener> listeners = new CopyOnWriteArrayList<>();
    private final ThreadLocal<SecureRandom> random = ThreadLocal.withInitial(SecureRandom::new);
    private volatile RevocationIndex index = new RevocationIndex();
    /** Revocations applied on this replica alone (the store failed, {@code onStoreError: allow}). */
    private final Map<String, Revocation> local = new ConcurrentHashMap<>();
    private final Cache<String, SessionState> ended;
    /** Records read back from the store: old URLs of a renewed session cost one store call a second, not one per segment. */
    private final Cache<String, SessionRecord> current;
    private final Object applying = new Object();
    private final long endedWindowMillis;
    private volatile long maxAgeMillis = Duration.ofHours(12).toMillis();
    private volatile String cursor;
    private volatile long failingSince = -1;
    private volatile boolean resync;
    private volatile long lastErrorLog = Long.MIN_VALUE;
    private volatile boolean started;
    private volatile boolean closed;
    private ScheduledFuture<?> polling;

    /**
     * @param poll        how often the change log is read (a change reaches every replica within it)
     * @param timeout     the bound of one store call
     * @param endedWindow how long an ended session is remembered here (at least {@code
     *                    hls.sessionTtl} + 1 min: the longest a credential issued before the end lives)
     * @param scheduler   where polling runs, or null for a daemon thread of its own
     */
    public Sessions(SessionStore store, Clock clock, StreamGateMetrics metrics, Duration poll, Duration timeout,
                    Duration endedWindow, ScheduledExecutorService scheduler) {
        this.store = store;
        this.clock = clock;
        this.metrics = metrics;
        this.pollMillis = poll.toMillis();
        this.timeout = timeout;
        this.ownScheduler = scheduler == null;
        this.endedWindowMillis = endedWindow.toMillis();
        this.scheduler = scheduler != null ? scheduler : Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "streamgate-sessions");
            t.setDaemon(true);
            return t;
        });
        this.ended = Caffeine.newBuilder().maximumSize(2_000_000).expireAfterWrite(endedWindow)
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis())).executor(Runnable::run).build();
        this.current = Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(Duration.ofSeconds(1))
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis())).executor(Runnable::run).build();
        metrics.revocationsActive(() -> index.size());
    }

    public Sessions(SessionStore store, Clock clock, StreamGateMetrics metrics, Duration poll, Duration timeout) {
        this(store, clock, metrics, poll, timeout, Duration.ofMinutes(11), null);
    }

    /** In-memory sessions for one process (tests, the servlet Filter, {@code replay.store: memory}). */
    public static Sessions inMemory(Clock clock, StreamGateMetrics metrics) {
        return new Sessions(new MemorySessionStore(clock, 1_000_000), clock, metrics, Duration.ofMillis(250),
                Duration.ofSeconds(1));
    }

    public SessionStore store() {
        return store;
    }

    /** {@code hls.sessionMaxAge}: how long a session may live, so how long its record is kept (+ 1 min). */
    public void maxAge(Duration maxAge) {
        this.maxAgeMillis = maxAge.toMillis();
    }

    public Duration maxAge() {
        return Duration.ofMillis(maxAgeMillis);
    }

    /**
     * Loads the stored revocations and the recent changes (bounded wait; a store that fails
     * now is read again by the next poll) and starts polling. Idempotent; does nothing once closed.
     */
    public synchronized void start() {
        if (started || closed) {
            return;
        }
        started = true;
        resync = true;
        pollNow();
        polling = scheduler.scheduleWithFixedDelay(this::pollNow, pollMillis, pollMillis, TimeUnit.MILLISECONDS);
    }

    /**
     * Reads and applies what changed since the last poll (the scheduled task; tests call it to
     * step). Store calls are awaited (bounded) without holding the lock that orders changes,
     * so a change made here meanwhile is never held up by a slow store.
     */
    public void pollNow() {
        if (closed) {
            return;
        }
        try {
            if (resync) {
                load();
                resync = false;
            }
            retryEnds();
            for (int page = 0; page < PAGES_PER_POLL; page++) {
                String from = cursor;
                SessionStore.Changes c = await(store.changesSince(from, PAGE));
                synchronized (applying) {
                    if (!from.equals(cursor)) {
                        break; // a reload moved the cursor meanwhile: read again from there next time
                    }
                    c.changes().forEach(this::apply);
                    cursor = c.cursor();
                }
                if (c.changes().size() < PAGE) {
                    break;
                }
            }
            index.prune(clock.millis());
            failingSince = -1;
        } catch (Exception e) {
            long now = clock.millis();
            if (failingSince < 0) {
                failingSince = now;
            } else if (now - failingSince > RESYNC_AFTER.toMillis() || cursor == null) {
                resync = true;
            }
            if (cursor == null) {
                resync = true;
            }
            storeFailed("read session changes", e);
        }
    }

    /**
     * The snapshot: the stored revocations, with the changes of the recent window replayed on
     * top, built beside the index in use and swapped in whole — a check never sees a half-built
     * index. Listeners hear only of revocations the replica did not have (not of one added and
     * lifted within the window); ends in the window are remembered.
     */
    private void load() throws Exception {
        String from = await(store.cursorBefore(endedWindowMillis));
        List<Revocation> stored = await(store.revocations());
        long now = clock.millis();
        RevocationIndex fresh = new RevocationIndex();
        for (Revocation r : stored) {
            if (r.untilMillis() > now) {
                fresh.add(r); // adding by id is idempotent: the replay may add it again
            }
        }
        String c = from;
        for (int page = 0; page < MAX_REPLAY_PAGES; page++) {
            SessionStore.Changes changes = await(store.changesSince(c, PAGE));
            for (SessionChange change : changes.changes()) {
                switch (change.type()) {
                    case REVOCATION_ADDED -> fresh.add(change.revocation());
                    case REVOCATION_LIFTED -> fresh.remove(change.id());
                    case SESSION_ENDED -> endedHere(change.id(), change.state());
                }
            }
            c = changes.cursor();
            if (changes.changes().size() < PAGE) {
                break;
            }
        }
        fresh.prune(now);
        synchronized (applying) {
            local.values().removeIf(r -> r.untilMillis() <= now);
            local.values().forEach(fresh::add);
            java.util.Set<String> known = new java.util.HashSet<>();
            index.all().forEach(r -> known.add(r.id()));
            index = fresh;
            cursor = c;
            for (Revocation r : fresh.all()) {
                if (!known.contains(r.id())) {
                    tell(l -> l.revocationAdded(r));
                }
            }
        }
    }

    private <T> T await(CompletionStage<T> s) throws Exception {
        return s.toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void apply(SessionChange c) {
        switch (c.type()) {
            case REVOCATION_ADDED -> {
                if (index.add(c.revocation())) { // not one this replica made (and applied) itself
                    tell(l -> l.revocationAdded(c.revocation()));
                }
            }
            case REVOCATION_LIFTED -> {
                index.remove(c.id());
                local.remove(c.id());
            }
            case SESSION_ENDED -> endedHere(c.id(), c.state());
        }
    }

    private void endedHere(String sid, SessionState state) {
        SessionState was = ended.asMap().putIfAbsent(sid, state);
        current.invalidate(sid);
        if (was == null) {
            tell(l -> l.sessionEnded(sid, state));
        } else {
            ended.put(sid, was); // remembered again for the full window, first state kept
        }
    }

    private void tell(java.util.function.Consumer<SessionListener> event) {
        for (SessionListener l : listeners) {
            try {
                event.accept(l);
            } catch (RuntimeException e) {
                LOG.warn("session listener failed", e);
            }
        }
    }

    public void listen(SessionListener listener) {
        listeners.add(listener);
    }

    /** A fresh opaque session id: 128 random bits, base64url. */
    public String newSid() {
        byte[] b = new byte[16];
        random.get().nextBytes(b);
        return B64.encodeToString(b);
    }

    // ---- per-request checks: local, no store call ----

    /** The revocations in force here. */
    public RevocationIndex index() {
        return index;
    }

    /** The state of a session known here to have ended, or null (open, or not known to have ended). */
    public SessionState endedState(String sid) {
        return sid == null ? null : ended.getIfPresent(sid);
    }

    /**
     * Why a live session may not go on, or null: the state it ended in, or {@link
     * SessionState#REVOKED} when a revocation matches it.
     *
     * @param iat the opening token's iat, or -1
     */
    public SessionState refusal(String sid, String iss, String sub, String jti, long iat) {
        SessionState s = endedState(sid);
        if (s != null) {
            return s;
        }
        if (index.match(iss, sub, jti, sid, iat, clock.millis()) == null) {
            return null;
        }
        if (sid != null && ended.asMap().putIfAbsent(sid, SessionState.REVOKED) == null) {
            // a session a revocation refused is over for good: lifting the revocation, or its
            // ttl running out, does not bring it back (once per session here; the store's
            // compare-and-set keeps the first final state)
            recordEnd(sid, SessionState.REVOKED);
        }
        return SessionState.REVOKED;
    }

    // ---- records ----

    /** How long a record opened at {@code openedAt} (epoch seconds) is kept from now: its maximum age + 1 min. */
    public long keepMillis(long openedAt) {
        return Math.max(1000, openedAt * 1000 + maxAgeMillis + 60_000 - clock.millis());
    }

    /** A session's cap: the token's {@code exp} (or none), never past {@code openedAt + sessionMaxAge}. */
    public long cap(long exp, long openedAt) {
        long max = openedAt + maxAgeMillis / 1000;
        return exp <= 0 || exp == Long.MAX_VALUE ? max : Math.min(exp, max);
    }

    /**
     * Records a session opened now (its answer went out 2xx), indexed under its token key.
     * Best effort: a failed write is logged; the session plays (its credential carries what it
     * needs) but a renewal by {@code previous} does not find it.
     */
    public void opened(SessionRecord session, String tokenKey) {
        bounded(store.open(session, tokenKey, keepMillis(session.openedAt()))).whenComplete((x, e) -> {
            if (e != null) {
                storeFailed("record a session", e);
            }
        });
    }

    /** The stored record of a session, or null. */
    public CompletionStage<SessionRecord> record(String sid) {
        return bounded(store.get(sid));
    }

    /**
     * The stored record, read at most once a second per session (the old URLs of a renewed
     * session reach their cap together). Fails when the store does: the caller follows {@code onStoreError}.
     */
    public CompletionStage<SessionRecord> current(String sid) {
        SessionRecord r = current.getIfPresent(sid);
        if (r != null) {
            return CompletableFuture.completedFuture(r);
        }
        return bounded(store.get(sid)).thenApply(this::seen);
    }

    /** A record read from the store: cached a second, and remembered here when it ended. */
    private SessionRecord seen(SessionRecord rec) {
        if (rec != null) {
            current.put(rec.sid(), rec);
            if (rec.state() != SessionState.OPEN) {
                ended.asMap().putIfAbsent(rec.sid(), rec.state());
            }
        }
        return rec;
    }

    /** The sessions a token opened or renewed (newest first). */
    public CompletionStage<List<String>> sessionsOf(String tokenKey) {
        return bounded(store.sessionsOf(tokenKey, MAX_SESSIONS_PER_RENEWAL));
    }

    /**
     * Renews one session: atomically, while it is open, its cap moves to {@code newCap} if later
     * and {@code jti} joins its chain. Completes with the record after the change (check its
     * state), or null when the store does not know the session; fails when the store does.
     */
    public CompletionStage<SessionRecord> renew(String sid, long newCap, String jti, String tokenKey,
                                                long openedAt) {
        return bounded(store.renew(sid, newCap, jti, tokenKey, keepMillis(openedAt))).thenApply(this::seen);
    }

    /**
     * Ends a session on every replica: here at once, elsewhere by the change log. A final state
     * already reached stays. Completes when the store has it (or failed: the end still holds here).
     */
    public CompletionStage<Void> end(String sid, SessionState state) {
        CompletableFuture<Void> here = off(() -> endedHere(sid, state));
        return CompletableFuture.allOf(here, recordEnd(sid, state));
    }

    /**
     * The store's side of an end: the record's state, and the change every replica reads. A
     * failure (the store down, or the log entry lost after the record changed) is kept and tried
     * again by each poll until the store has both, so no other replica misses the end.
     */
    private CompletableFuture<Void> recordEnd(String sid, SessionState state) {
        return bounded(store.end(sid, state)).handle((was, e) -> {
            if (e != null) {
                storeFailed("end a session", e);
                pending(new PendingEnd(sid, state));
            }
            return (Void) null;
        }).toCompletableFuture();
    }

    private record PendingEnd(String sid, SessionState state) {
    }

    private void pending(PendingEnd p) {
        synchronized (pendingEnds) {
            if (pendingEnds.size() < MAX_PENDING_ENDS) {
                pendingEnds.addLast(p);
            }
        }
    }

    /** Tries the ends the store missed again: the record's state, then the log entry (again). */
    private void retryEnds() throws Exception {
        for (int i = 0; i < MAX_PENDING_ENDS; i++) {
            PendingEnd p;
            synchronized (pendingEnds) {
                p = pendingEnds.peekFirst();
            }
            if (p == null) {
                return;
            }
            SessionState was = await(store.end(p.sid(), p.state()));
            if (was == p.state() && was != SessionState.ENDED) {
                await(store.announce(p.sid(), p.state())); // ended by the failed try: its entry may be missing
            }
            synchronized (pendingEnds) {
                pendingEnds.pollFirst();
            }
        }
    }

    /**
     * Runs a local change on the replica's own thread — never on a store client's I/O thread
     * (where a revocation's or an eviction's answer arrives) nor a request's: listeners close
     * WebSocket sessions there. Inline once closed.
     */
    private CompletableFuture<Void> off(Runnable change) {
        Runnable ordered = () -> {
            synchronized (applying) {
                change.run();
            }
        };
        if (!closed) {
            try {
                return CompletableFuture.runAsync(ordered, scheduler);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closing: apply here
            }
        }
        ordered.run();
        return CompletableFuture.completedFuture(null);
    }

    /** Ends a session evicted by {@code onLimit: evict-oldest}, or that lost its lease to another. */
    public CompletionStage<Void> evict(String sid) {
        metrics.eviction();
        return end(sid, SessionState.EVICTED);
    }

    // ---- revocations ----

    /**
     * Stores a revocation and applies it here at once (other replicas within one poll). A
     * {@code jti} revocation also ends, for good, every session whose chain holds that jti
     * (the token that opened it or any that renewed it). Fails when the store does (nothing
     * changed then); the sessions are ended before it completes.
     */
    public CompletionStage<Revocation> revoke(Revocation r) {
        return again(() -> store.addRevocation(r)).thenCompose(x -> off(() -> applyHere(r))).thenCompose(x -> {
            if (r.kind() == Revocation.Kind.SID) {
                return end(r.value(), SessionState.REVOKED).thenApply(y -> r);
            }
            if (r.kind() != Revocation.Kind.JTI) {
                return CompletableFuture.completedFuture(r); // sessions it matches end at their next request
            }
            return endChains(r).handle((y, e) -> {
                if (e != null) {
                    storeFailed("end the sessions of a revoked jti", e);
                }
                return r;
            });
        });
    }

    private CompletionStage<Void> endChains(Revocation r) {
        return bounded(store.sessionsWithJti(r.value(), SessionStore.MAX_PER_INDEX)).thenCompose(sids -> {
            List<CompletableFuture<Void>> ends = new ArrayList<>();
            for (String sid : sids) {
                // the jti index holds every session the jti opened or renewed (the record's chain
                // keeps only the first and newest ids of a long session)
                ends.add(record(sid).thenCompose(rec -> rec != null && rec.state() == SessionState.OPEN
                        && (r.iss() == null || r.iss().equals(rec.iss()))
                        ? end(sid, SessionState.REVOKED) : CompletableFuture.<Void>completedFuture(null))
                        .toCompletableFuture());
            }
            return CompletableFuture.allOf(ends.toArray(new CompletableFuture[0]));
        });
    }

    private void applyHere(Revocation r) {
        if (index.add(r)) { // not already read from the log
            tell(l -> l.revocationAdded(r));
        }
    }

    /** Applies a revocation on this replica only (the store is unavailable and {@code onStoreError: allow}); kept until its ttl. */
    public CompletionStage<Void> revokeLocally(Revocation r) {
        local.put(r.id(), r);
        return off(() -> applyHere(r));
    }

    /** Lifts a revocation; sessions it ended stay ended. */
    public CompletionStage<Boolean> lift(String id) {
        boolean[] unknown = {false};
        return again(() -> {
            CompletionStage<Boolean> call = store.removeRevocation(id);
            return call.whenComplete((x, e) -> unknown[0] |= e != null);
        }).thenCompose(removed -> off(() -> index.remove(id))
                // a first try that timed out may have removed it, leaving nothing for the second: gone all the same
                .thenApply(x -> local.remove(id) != null || removed || unknown[0]));
    }

    public CompletionStage<List<Revocation>> revocations() {
        return bounded(store.revocations());
    }

    /**
     * An idempotent admin write (a revocation stored or lifted by id), tried a second time when
     * the first failed or timed out — a timed-out call may have been carried out all the same,
     * so its outcome is resolved by doing it again rather than answered as "nothing changed".
     */
    private <T> CompletionStage<T> again(java.util.function.Supplier<CompletionStage<T>> write) {
        return bounded(write.get()).exceptionallyCompose(e -> {
            Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            return c instanceof SessionStore.FullException ? CompletableFuture.failedFuture(c) : bounded(write.get());
        });
    }

    private <T> CompletionStage<T> bounded(CompletionStage<T> s) {
        return s.toCompletableFuture().copy().orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void storeFailed(String what, Throwable e) {
        long now = clock.millis();
        if (now - lastErrorLog > 60_000) {
            lastErrorLog = now;
            Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            LOG.warn("session store {}: cannot {} ({}); keeping what this replica knows", store.name(), what,
                    c.getClass().getSimpleName());
        }
    }

    /** For logs: the store's name. */
    @Override
    public String toString() {
        return "Sessions[" + store.name() + "]";
    }

    /** Stops polling (and the thread of its own, if any). Idempotent; a later {@link #start()} does nothing. */
    @Override
    public synchronized void close() {
        closed = true;
        if (polling != null) {
            polling.cancel(false);
        }
        if (ownScheduler) {
            scheduler.shutdownNow();
        }
    }
}
