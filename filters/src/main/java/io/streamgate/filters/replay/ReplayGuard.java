package io.streamgate.filters.replay;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.streamgate.filters.core.DenialReason;
import io.streamgate.filters.metrics.StreamGateMetrics;
import io.streamgate.filters.verify.Claims;

/**
 * Replay protection by {@code (iss, jti)}: the last check of the pipeline, run only for
 * tokens that passed everything else — reserving a jti for a token that was going to be
 * refused anyway would let anyone block another viewer's token by sending it with a wrong path.
 *
 * <p>{@code once}: {@link #admit} reserves the jti for a random owner id for a short term
 * (default 30 s) and hands back an {@link Admission}; {@code commit()} consumes the jti until
 * the token's exp plus leeway, {@code release()} frees it for a retry. A reservation neither
 * committed nor released lapses by itself. Two concurrent first uses, on one replica or
 * several, reserve exactly once.
 *
 * <p>{@code limit}: {@link #admit} takes one of the token's {@code maxSessions} session
 * leases under a fresh id ({@link Admission#leaseId()}); the caller renews it
 * ({@link #renewLease}) for as long as the session lasts, and {@code release()} ends it.
 *
 * <p>A store failure or timeout is {@code replay_store_unavailable} with
 * {@code onStoreError: deny}, or admits the request (counted and logged at most once a
 * minute) with {@code allow}. When a reservation or lease call timed out or failed after it
 * was sent, its outcome is unknown: the guard then deletes whatever it may have taken (only
 * if still ours), once at once and again if the call reports success late, so a call that
 * landed after the guard gave up never holds a token nobody was admitted with.
 */
public final class ReplayGuard {
    private static final Logger LOG = LoggerFactory.getLogger(ReplayGuard.class);
    private static final CompletableFuture<ReplayDecision> ADMIT = CompletableFuture.completedFuture(ReplayDecision.ADMITTED);
    private static final CompletableFuture<DenialReason> ADMIT_LEASE = CompletableFuture.completedFuture(null);
    /** Default term of a one-time reservation: long enough for an origin to answer. */
    public static final Duration DEFAULT_RESERVATION = Duration.ofSeconds(30);

    private final ReplayMode mode;
    private final ReplayStore store;
    private final boolean allowOnStoreError;
    private final long leewayMillis;
    private final long timeoutMillis;
    private final StreamGateMetrics metrics;
    private final int maxSessions;
    private final long leaseMillis;
    private final long reservationMillis;
    private volatile long lastErrorLogMillis = Long.MIN_VALUE / 2;
    private volatile java.time.Clock clock = java.time.Clock.systemUTC();
    private final Options options;
    private final io.streamgate.filters.rules.ClaimPath limitClaim;
    private volatile java.util.function.Consumer<String> evictions = sid -> { };

    /**
     * How tokens map to store keys.
     *
     * @param subjectScope {@code replay.jtiScope: subject}: one-time use, sessions and jti limits
     *                     are keyed by {@code (iss, sub, jti)} instead of {@code (iss, jti)}
     * @param limitBy      {@code replay.limitBy}: {@code jti}, {@code sub} or {@code claim:<path>}
     * @param evictOldest  {@code replay.onLimit: evict-oldest}
     */
    public record Options(boolean subjectScope, String limitBy, boolean evictOldest) {
        public static final Options DEFAULT = new Options(false, "jti", false);

        public Options {
            if (!limitBy.equals("jti") && !limitBy.equals("sub") && !limitBy.startsWith("claim:")) {
                throw new IllegalArgumentException("limitBy: jti, sub or claim:<path>");
            }
        }
    }

    public ReplayGuard(ReplayMode mode, ReplayStore store, boolean allowOnStoreError, Duration leeway,
                       Duration storeTimeout, StreamGateMetrics metrics) {
        this(mode, store, allowOnStoreError, leeway, storeTimeout, metrics, 1, Duration.ofSeconds(30));
    }

    /**
     * @param maxSessions for mode {@code limit}: concurrent sessions per jti
     * @param lease       for mode {@code limit}: how long a session's lease lasts unless renewed
     */
    public ReplayGuard(ReplayMode mode, ReplayStore store, boolean allowOnStoreError, Duration leeway,
                       Duration storeTimeout, StreamGateMetrics metrics, int maxSessions, Duration lease) {
        this(mode, store, allowOnStoreError, leeway, storeTimeout, metrics, maxSessions, lease, DEFAULT_RESERVATION);
    }

    /**
     * @param maxSessions for mode {@code limit}: concurrent sessions per jti
     * @param lease       for mode {@code limit}: how long a session's lease lasts unless renewed
     * @param reservation for mode {@code once}: how long a jti stays reserved when its admission
     *                    is neither committed nor released (a crashed or stuck request)
     */
    public ReplayGuard(ReplayMode mode, ReplayStore store, boolean allowOnStoreError, Duration leeway,
                       Duration storeTimeout, StreamGateMetrics metrics, int maxSessions, Duration lease,
                       Duration reservation) {
        this(mode, store, allowOnStoreError, leeway, storeTimeout, metrics, maxSessions, lease, reservation,
                Options.DEFAULT);
    }

    /** @param options key scope, limit key and what a full limit does */
    public ReplayGuard(ReplayMode mode, ReplayStore store, boolean allowOnStoreError, Duration leeway,
                       Duration storeTimeout, StreamGateMetrics metrics, int maxSessions, Duration lease,
                       Duration reservation, Options options) {
        this.options = options;
        this.limitClaim = options.limitBy().startsWith("claim:")
                ? io.streamgate.filters.rules.ClaimPath.parse(options.limitBy().substring(6)) : null;
        if (reservation.toMillis() <= 0) {
            throw new IllegalArgumentException("reservation must be positive");
        }
        this.maxSessions = maxSessions;
        this.leaseMillis = lease.toMillis();
        this.reservationMillis = reservation.toMillis();
        this.mode = mode;
        this.store = store;
        this.allowOnStoreError = allowOnStoreError;
        this.leewayMillis = leeway.toMillis();
        this.timeoutMillis = storeTimeout.toMillis();
        this.metrics = metrics;
    }

    public static ReplayGuard off() {
        return new ReplayGuard(ReplayMode.OFF, null, false, Duration.ZERO, Duration.ofSeconds(1), StreamGateMetrics.noop());
    }

    public ReplayMode mode() {
        return mode;
    }

    public ReplayStore store() {
        return store;
    }

    /** The store key of a token: iss and jti, length-prefixed so that no two pairs collide. */
    public static String key(Claims c) {
        return key(c.iss(), c.jti());
    }

    /**
     * The one-time (and session) key of a token under this guard's {@code jtiScope}: {@code
     * (iss, jti)}, or {@code (iss, sub, jti)} for {@code subject}; null without a jti.
     */
    public String tokenKey(Claims c) {
        return tokenKey(c.iss(), c.sub(), c.jti());
    }

    public String tokenKey(String iss, String sub, String jti) {
        if (jti == null || jti.isEmpty()) {
            return null;
        }
        if (!options.subjectScope()) {
            return key(iss, jti);
        }
        String s = sub == null ? "" : sub;
        return key(iss, s.length() + ":" + s + jti);
    }

    /**
     * The key a token's concurrent sessions are counted under ({@code replay.limitBy}); null when
     * the token lacks what it names (the request is then {@code missing_claim}).
     */
    public String limitKey(Claims c) {
        String by = options.limitBy();
        if (by.equals("jti")) {
            String k = tokenKey(c);
            return k == null ? null : "j" + k;
        }
        String v;
        if (by.equals("sub")) {
            v = c.sub();
        } else {
            Object o = limitClaim.first(c.asMap());
            v = o == null || o instanceof java.util.Map || o instanceof java.util.List ? null : String.valueOf(o);
        }
        return v == null || v.isEmpty() ? null : (by.equals("sub") ? "s" : "c") + key(c.iss(), v);
    }

    public Options options() {
        return options;
    }

    /** Who ends a session evicted by {@code onLimit: evict-oldest} (given its id). */
    public void onEviction(java.util.function.Consumer<String> sink) {
        this.evictions = sink;
    }

    static String key(String issuer, String jti) {
        String iss = issuer == null ? "" : issuer;
        return iss.length() + ":" + iss + jti;
    }

    /** A fresh owner or session id (random, unique across replicas, opaque: 128 random bits). */
    static String newId() {
        byte[] b = new byte[16];
        IDS.get().nextBytes(b);
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static final ThreadLocal<java.security.SecureRandom> IDS =
            ThreadLocal.withInitial(java.security.SecureRandom::new);

    /**
     * Admits the token or says why not. Mode {@code once} reserves the jti and mode
     * {@code limit} takes a session lease: the decision's {@link Admission} must be committed
     * or released by the caller. Mode {@code off} admits with {@link Admission#NONE}. The stage
     * never completes exceptionally.
     */
    public CompletionStage<ReplayDecision> admit(Claims claims, long nowMillis) {
        if (mode == ReplayMode.OFF) {
            return ADMIT;
        }
        if (mode == ReplayMode.LIMIT) {
            String key = limitKey(claims);
            if (key == null) {
                return CompletableFuture.completedFuture(ReplayDecision.deny(DenialReason.MISSING_CLAIM));
            }
            long expiresAt = leaseExpiry(claims.exp());
            Lease lease = new Lease(key, newId());
            if (options.evictOldest()) {
                return decide("acquire", () -> store.acquireEvicting(key, lease.sessionId, maxSessions, leaseMillis,
                        expiresAt).thenApply(evicted -> {
                            if (evicted != null && !evicted.isEmpty()) {
                                lease.evicted = evicted; // ended when the new session opens (commit), not before
                            }
                            return evicted != null;
                        }), lease, lease::undo, "granted", "limit", DenialReason.SESSION_LIMIT);
            }
            return decide("acquire", () -> store.acquire(key, lease.sessionId, maxSessions, leaseMillis, expiresAt),
                    lease, lease::undo, "granted", "limit", DenialReason.SESSION_LIMIT);
        }
        String key = tokenKey(claims);
        if (key == null) {
            return CompletableFuture.completedFuture(ReplayDecision.deny(DenialReason.MISSING_CLAIM));
        }
        long expiresAt = claims.exp() == Claims.ABSENT ? nowMillis + Duration.ofDays(1).toMillis()
                : claims.exp() * 1000 + leewayMillis;
        Reservation r = new Reservation(key, newId(), expiresAt);
        return decide("once", () -> store.reserve(key, r.owner, reservationMillis, expiresAt),
                r, r::undo, "first", "replayed", DenialReason.REPLAYED);
    }

    /**
     * Checks the token as {@link #admit} would, taking nothing: for a {@code HEAD}, which
     * delivers no body and so must not use a one-time token nor hold a session. Mode
     * {@code once}: {@code replayed} when the jti is consumed (or reserved by a request under
     * way), else admitted; mode {@code limit}: admitted without a lease (a HEAD opens no
     * session, so the limit does not refuse it); {@code missing_claim} without the key either
     * counts by. Always {@link Admission#NONE}; a store failure is what {@code onStoreError} says.
     */
    public CompletionStage<ReplayDecision> peek(Claims claims) {
        if (mode == ReplayMode.OFF) {
            return ADMIT;
        }
        String key = mode == ReplayMode.LIMIT ? limitKey(claims) : tokenKey(claims);
        if (key == null) {
            return CompletableFuture.completedFuture(ReplayDecision.deny(DenialReason.MISSING_CLAIM));
        }
        if (mode == ReplayMode.LIMIT) {
            return ADMIT;
        }
        CompletableFuture<Boolean> f;
        try {
            f = store.isTaken(key).toCompletableFuture();
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        Function<Boolean, ReplayDecision> answered = taken -> {
            metrics.replay("peek", taken ? "replayed" : "unused");
            return taken ? ReplayDecision.deny(DenialReason.REPLAYED) : ReplayDecision.ADMITTED;
        };
        if (f.isDone() && !f.isCompletedExceptionally()) {
            return CompletableFuture.completedFuture(answered.apply(f.join()));
        }
        return f.copy().orTimeout(timeoutMillis, TimeUnit.MILLISECONDS).handle((taken, error) -> {
            if (error != null) {
                DenialReason r = storeError("peek", error);
                return r == null ? ReplayDecision.ADMITTED : ReplayDecision.deny(r);
            }
            return answered.apply(taken);
        });
    }

    /**
     * One bounded store call that takes something (a reservation or a lease). Answered at once:
     * decided at once. Failed at once (nothing was sent): nothing to undo. Timed out or failed
     * later: the outcome is unknown, so {@code undo} runs now and again should the call still
     * report success.
     */
    private CompletionStage<ReplayDecision> decide(String op, Supplier<CompletionStage<Boolean>> call,
                                                   Admission admission, Runnable undo, String taken, String refused,
                                                   DenialReason refusal) {
        CompletableFuture<Boolean> f;
        try {
            f = call.get().toCompletableFuture();
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        Function<Boolean, ReplayDecision> answered = ok -> {
            metrics.replay(op, ok ? taken : refused);
            return ok ? ReplayDecision.admitted(admission) : ReplayDecision.deny(refusal);
        };
        if (f.isDone()) {
            if (!f.isCompletedExceptionally()) {
                return CompletableFuture.completedFuture(answered.apply(f.join()));
            }
            return CompletableFuture.completedFuture(failed(op, cause(f), admission));
        }
        CompletableFuture<Boolean> call0 = f;
        return f.copy().orTimeout(timeoutMillis, TimeUnit.MILLISECONDS).handle((ok, error) -> {
            if (error == null) {
                return answered.apply(ok);
            }
            undo.run();
            call0.whenComplete((late, e) -> {
                if (Boolean.TRUE.equals(late)) {
                    undo.run();
                }
            });
            return failed(op, error, admission);
        });
    }

    private ReplayDecision failed(String op, Throwable error, Admission admission) {
        DenialReason r = storeError(op, error);
        return r == null ? ReplayDecision.admitted(admission) : ReplayDecision.deny(r);
    }

    private static Throwable cause(CompletableFuture<?> failed) {
        try {
            failed.join();
            return new IllegalStateException("not failed");
        } catch (CompletionException | java.util.concurrent.CancellationException e) {
            return e.getCause() != null ? e.getCause() : e;
        }
    }

    /** The lease period of mode {@code limit}. */
    public Duration lease() {
        return Duration.ofMillis(leaseMillis);
    }

    /** The reservation term of mode {@code once}. */
    public Duration reservation() {
        return Duration.ofMillis(reservationMillis);
    }

    /**
     * Renews a session's lease (or retakes it when it lapsed and there is room) until at most
     * {@code cap}, the session's current cap (epoch seconds, or {@link Claims#ABSENT}): a
     * renewed session's lease outlives the token that opened it. Completes with null when
     * kept, {@code session_limit} when lost, or what {@code onStoreError} says.
     */
    public CompletionStage<DenialReason> renewLease(String limitKey, long cap, String sessionId) {
        if (mode != ReplayMode.LIMIT || limitKey == null) {
            return ADMIT_LEASE;
        }
        long expiresAt = leaseExpiry(cap);
        // A renewal that timed out is not undone: the session held the lease before it.
        CompletableFuture<Boolean> f;
        try {
            f = store.renew(limitKey, sessionId, maxSessions, leaseMillis, expiresAt).toCompletableFuture();
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        return f.copy().orTimeout(timeoutMillis, TimeUnit.MILLISECONDS).handle((granted, error) -> {
            if (error != null) {
                return storeError("renew", error);
            }
            metrics.replay("renew", granted ? "granted" : "limit");
            return granted ? null : DenialReason.SESSION_LIMIT;
        });
    }

    private long leaseExpiry(long exp) {
        return exp == Claims.ABSENT || exp == Long.MAX_VALUE ? Long.MAX_VALUE / 2 : exp * 1000 + leewayMillis;
    }

    /**
     * One bounded settling call (commit, release, undo): the result is counted as
     * {@code op}/{@code result}, a failure or timeout as {@code op}/{@code error} and logged at
     * most once a minute. Never throws.
     */
    private <T> void settle(String op, Supplier<CompletionStage<T>> call, Function<T, String> result) {
        CompletableFuture<T> f;
        try {
            f = call.get().toCompletableFuture();
        } catch (RuntimeException e) {
            settleFailed(op, e);
            return;
        }
        if (f.isDone() && !f.isCompletedExceptionally()) {
            metrics.replay(op, result.apply(f.join()));
            return;
        }
        f.copy().orTimeout(timeoutMillis, TimeUnit.MILLISECONDS).whenComplete((v, e) -> {
            if (e != null) {
                settleFailed(op, e);
            } else {
                metrics.replay(op, result.apply(v));
            }
        });
    }

    private void settleFailed(String op, Throwable error) {
        metrics.replay(op, "error");
        if (logNow()) {
            LOG.warn("replay store {}: {} failed ({}); a reservation it left lapses by itself", store.name(), op,
                    unwrap(error).getClass().getSimpleName());
        }
    }

    /** {@code onStoreError: allow}: a store failure admits (counted and logged) rather than refuses. */
    public boolean allowsOnStoreError() {
        return allowOnStoreError;
    }

    /** What a store failure means under {@code onStoreError}. */
    public DenialReason storeError(Throwable error) {
        return storeError("once", error);
    }

    private DenialReason storeError(String op, Throwable error) {
        metrics.replay(op, "error");
        metrics.replayStoreError(allowOnStoreError ? "allow" : "deny");
        if (logNow()) {
            LOG.warn("replay store {} failed ({}); {} requests while it fails", store.name(),
                    unwrap(error).getClass().getSimpleName(), allowOnStoreError ? "admitting" : "refusing");
        }
        return allowOnStoreError ? null : DenialReason.REPLAY_STORE_UNAVAILABLE;
    }

    /** The clock of the log throttle (the gateway's; tests move it). */
    public ReplayGuard clock(java.time.Clock c) {
        this.clock = c;
        return this;
    }

    private boolean logNow() {
        long now = clock.millis();
        if (now - lastErrorLogMillis > 60_000) {
            lastErrorLogMillis = now;
            return true;
        }
        return false;
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    private static final int OPEN = 0;
    private static final int COMMITTED = 1;
    private static final int RELEASED = 2;

    /** Mode {@code once}: a jti reserved for {@link #owner}. */
    private final class Reservation implements Admission {
        final String key;
        final String owner;
        final long expiresAt;
        final AtomicInteger state = new AtomicInteger(OPEN);

        Reservation(String key, String owner, long expiresAt) {
            this.key = key;
            this.owner = owner;
            this.expiresAt = expiresAt;
        }

        @Override
        public void commit() {
            if (state.compareAndSet(OPEN, COMMITTED)) {
                settle("commit", () -> store.commit(key, owner, expiresAt), ours -> ours ? "ok" : "lost");
            }
        }

        @Override
        public void release() {
            if (state.compareAndSet(OPEN, RELEASED)) {
                settle("release", () -> store.releaseIfOwner(key, owner), x -> "ok");
            }
        }

        /** Deletes the reservation if a call of unknown outcome took it; leaves the admission's state alone. */
        void undo() {
            settle("undo", () -> store.releaseIfOwner(key, owner), x -> "ok");
        }

        @Override
        public String toString() {
            return "Admission[once, " + stateName(state.get()) + "]";
        }
    }

    /** Mode {@code limit}: a session lease held under {@link #sessionId}. */
    private final class Lease implements Admission {
        final String key;
        final String sessionId;
        final AtomicInteger state = new AtomicInteger(OPEN);

        Lease(String key, String sessionId) {
            this.key = key;
            this.sessionId = sessionId;
        }

        /**
         * The session whose lease was dropped to make room ({@code evict-oldest}), or null. It is
         * ended only when this session opens: a new request the origin refused (404, 5xx) ends
         * nobody — the older session's lease is gone, but it retakes it while there is room.
         */
        volatile String evicted;

        /** The session is open (kept until {@link #release()}); the session it displaced ends now. */
        @Override
        public void commit() {
            if (state.compareAndSet(OPEN, COMMITTED)) {
                String e = evicted;
                if (e != null) {
                    evictions.accept(e);
                }
            }
        }

        @Override
        public void release() {
            if (state.getAndSet(RELEASED) != RELEASED) {
                settle("release", () -> store.releaseLease(key, sessionId), x -> "ok");
            }
        }

        void undo() {
            settle("undo", () -> store.releaseLease(key, sessionId), x -> "ok");
        }

        @Override
        public String leaseId() {
            return sessionId;
        }

        @Override
        public String limitKey() {
            return key;
        }

        @Override
        public String toString() {
            return "Admission[lease, " + stateName(state.get()) + "]";
        }
    }

    private static String stateName(int s) {
        return s == OPEN ? "reserved" : s == COMMITTED ? "committed" : "released";
    }
}
