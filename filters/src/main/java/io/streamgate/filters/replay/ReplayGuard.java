package io.streamgate.filters.replay;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.streamgate.filters.DenialReason;
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
    private volatile long lastErrorLogMillis;

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

    static String key(String issuer, String jti) {
        String iss = issuer == null ? "" : issuer;
        return iss.length() + ":" + iss + jti;
    }

    /** A fresh owner or session id (random, unique across replicas). */
    static String newId() {
        return UUID.randomUUID().toString();
    }

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
        if (claims.jti() == null || claims.jti().isEmpty()) {
            return CompletableFuture.completedFuture(ReplayDecision.deny(DenialReason.MISSING_CLAIM));
        }
        String key = key(claims);
        if (mode == ReplayMode.LIMIT) {
            long expiresAt = leaseExpiry(claims.exp());
            Lease lease = new Lease(key, newId());
            return decide("acquire", () -> store.acquire(key, lease.sessionId, maxSessions, leaseMillis, expiresAt),
                    lease, lease::undo, "granted", "limit", DenialReason.SESSION_LIMIT);
        }
        long expiresAt = claims.exp() == Claims.ABSENT ? nowMillis + Duration.ofDays(1).toMillis()
                : claims.exp() * 1000 + leewayMillis;
        Reservation r = new Reservation(key, newId(), expiresAt);
        return decide("once", () -> store.reserve(key, r.owner, reservationMillis, expiresAt),
                r, r::undo, "first", "replayed", DenialReason.REPLAYED);
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
     * Mode {@code limit}: takes one of the token's {@code maxSessions} session leases for
     * {@code sessionId}. Completes with null when granted, {@code session_limit} when all are
     * held, or what {@code onStoreError} says when the store fails. (The {@link Admission} of
     * {@link #admit} already holds a lease; this is for a caller that manages its own.)
     */
    public CompletionStage<DenialReason> acquireLease(Claims claims, String sessionId) {
        return lease("acquire", claims.iss(), claims.jti(), claims.exp(), sessionId, false);
    }

    /** Renews a lease this session holds (or retakes it when it lapsed and there is room). */
    public CompletionStage<DenialReason> renewLease(Claims claims, String sessionId) {
        return lease("renew", claims.iss(), claims.jti(), claims.exp(), sessionId, true);
    }

    /**
     * Renews a lease known only by the token's issuer, jti and exp (an HLS session credential
     * carries those, not the claims).
     *
     * @param exp epoch seconds, or {@link Claims#ABSENT}
     */
    public CompletionStage<DenialReason> renewLease(String iss, String jti, long exp, String sessionId) {
        return lease("renew", iss, jti, exp, sessionId, true);
    }

    /** Releases a session's lease; failures are counted and otherwise ignored (the lease lapses by itself). */
    public void releaseLease(Claims claims, String sessionId) {
        if (mode != ReplayMode.LIMIT || claims.jti() == null) {
            return;
        }
        String key = key(claims);
        settle("release", () -> store.releaseLease(key, sessionId), x -> "ok");
    }

    private long leaseExpiry(long exp) {
        return exp == Claims.ABSENT ? Long.MAX_VALUE / 2 : exp * 1000 + leewayMillis;
    }

    private CompletionStage<DenialReason> lease(String op, String iss, String jti, long exp, String sessionId,
                                                boolean renew) {
        if (mode != ReplayMode.LIMIT) {
            return ADMIT_LEASE;
        }
        if (jti == null || jti.isEmpty()) {
            return CompletableFuture.completedFuture(DenialReason.MISSING_CLAIM);
        }
        long expiresAt = leaseExpiry(exp);
        String key = key(iss, jti);
        if (!renew) {
            Lease lease = new Lease(key, sessionId);
            return decide(op, () -> store.acquire(key, sessionId, maxSessions, leaseMillis, expiresAt), lease,
                    lease::undo, "granted", "limit", DenialReason.SESSION_LIMIT).thenApply(ReplayDecision::denied);
        }
        // A renewal that timed out is not undone: the session held the lease before it.
        CompletableFuture<Boolean> f;
        try {
            f = store.renew(key, sessionId, maxSessions, leaseMillis, expiresAt).toCompletableFuture();
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        return f.copy().orTimeout(timeoutMillis, TimeUnit.MILLISECONDS).handle((granted, error) -> {
            if (error != null) {
                return storeError(op, error);
            }
            metrics.replay(op, granted ? "granted" : "limit");
            return granted ? null : DenialReason.SESSION_LIMIT;
        });
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

    private boolean logNow() {
        long now = System.currentTimeMillis();
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

        /** The session is open (kept until {@link #release()}); no store call. */
        @Override
        public void commit() {
            state.compareAndSet(OPEN, COMMITTED);
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
        public String toString() {
            return "Admission[lease, " + stateName(state.get()) + "]";
        }
    }

    private static String stateName(int s) {
        return s == OPEN ? "reserved" : s == COMMITTED ? "committed" : "released";
    }
}
