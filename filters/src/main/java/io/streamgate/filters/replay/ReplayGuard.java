package io.streamgate.filters.replay;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.streamgate.filters.DenialReason;
import io.streamgate.filters.metrics.StreamGateMetrics;
import io.streamgate.filters.verify.Claims;

/**
 * One-time use by {@code (iss, jti)}: the last check of the pipeline, run only for tokens
 * that passed everything else — recording a jti for a token that was going to be refused
 * anyway would let anyone burn another viewer's token by sending it with a wrong path.
 *
 * <p>A store failure or timeout is {@code replay_store_unavailable} with
 * {@code onStoreError: deny}, or admits the request (counted and logged at most once a
 * minute) with {@code allow}.
 */
public final class ReplayGuard {
    private static final Logger LOG = LoggerFactory.getLogger(ReplayGuard.class);
    private static final CompletableFuture<DenialReason> ADMIT = CompletableFuture.completedFuture(null);

    private final ReplayMode mode;
    private final ReplayStore store;
    private final boolean allowOnStoreError;
    private final long leewayMillis;
    private final long timeoutMillis;
    private final StreamGateMetrics metrics;
    private final int maxSessions;
    private final long leaseMillis;
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
        this.maxSessions = maxSessions;
        this.leaseMillis = lease.toMillis();
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

    /**
     * Admits the token or says why not; completes with null when admitted. With mode
     * {@code once}, admission consumes the jti.
     */
    public CompletionStage<DenialReason> admit(Claims claims, long nowMillis) {
        if (mode == ReplayMode.OFF) {
            return ADMIT;
        }
        if (claims.jti() == null || claims.jti().isEmpty()) {
            return CompletableFuture.completedFuture(DenialReason.MISSING_CLAIM);
        }
        if (mode == ReplayMode.LIMIT) {
            // The gateway takes a lease per session (WebSocket connection, HLS viewer session):
            // see acquireLease. A single request is no session and is not limited.
            return ADMIT;
        }
        long expiresAt = claims.exp() == Claims.ABSENT ? nowMillis + Duration.ofDays(1).toMillis()
                : claims.exp() * 1000 + leewayMillis;
        CompletableFuture<Boolean> op;
        try {
            op = store.markUsed(key(claims), expiresAt).toCompletableFuture();
        } catch (RuntimeException e) {
            op = CompletableFuture.failedFuture(e);
        }
        if (op.isDone() && !op.isCompletedExceptionally()) {
            return CompletableFuture.completedFuture(recorded(op.join()));
        }
        return op.orTimeout(timeoutMillis, TimeUnit.MILLISECONDS)
                .handle((first, error) -> error != null ? storeError(error) : recorded(first));
    }

    /** The lease period of mode {@code limit}. */
    public Duration lease() {
        return Duration.ofMillis(leaseMillis);
    }

    /**
     * Mode {@code limit}: takes one of the token's {@code maxSessions} session leases for
     * {@code sessionId}. Completes with null when granted, {@code session_limit} when all are
     * held, or what {@code onStoreError} says when the store fails.
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

    /** Releases a session's lease; failures are ignored (the lease lapses by itself). */
    public void releaseLease(Claims claims, String sessionId) {
        if (mode != ReplayMode.LIMIT || claims.jti() == null) {
            return;
        }
        try {
            store.release(key(claims), sessionId).whenComplete((x, e) -> metrics.replay("release", e == null ? "ok" : "error"));
        } catch (RuntimeException e) {
            metrics.replay("release", "error");
        }
    }

    private CompletionStage<DenialReason> lease(String op, String iss, String jti, long exp, String sessionId,
                                                boolean renew) {
        if (mode != ReplayMode.LIMIT) {
            return ADMIT;
        }
        if (jti == null || jti.isEmpty()) {
            return CompletableFuture.completedFuture(DenialReason.MISSING_CLAIM);
        }
        long expiresAt = exp == Claims.ABSENT ? Long.MAX_VALUE / 2 : exp * 1000 + leewayMillis;
        String key = key(iss, jti);
        CompletableFuture<Boolean> f;
        try {
            f = (renew ? store.renew(key, sessionId, maxSessions, leaseMillis, expiresAt)
                    : store.acquire(key, sessionId, maxSessions, leaseMillis, expiresAt)).toCompletableFuture();
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        return f.orTimeout(timeoutMillis, TimeUnit.MILLISECONDS).handle((granted, error) -> {
            if (error != null) {
                return storeError(op, error);
            }
            metrics.replay(op, granted ? "granted" : "limit");
            return granted ? null : DenialReason.SESSION_LIMIT;
        });
    }

    private DenialReason recorded(boolean first) {
        metrics.replay("once", first ? "first" : "replayed");
        return first ? null : DenialReason.REPLAYED;
    }

    /** What a store failure means under {@code onStoreError}. */
    public DenialReason storeError(Throwable error) {
        return storeError("once", error);
    }

    private DenialReason storeError(String op, Throwable error) {
        metrics.replay(op, "error");
        metrics.replayStoreError(allowOnStoreError ? "allow" : "deny");
        long now = System.currentTimeMillis();
        if (now - lastErrorLogMillis > 60_000) {
            lastErrorLogMillis = now;
            Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                    ? error.getCause() : error;
            LOG.warn("replay store {} failed ({}); {} requests while it fails", store.name(),
                    cause.getClass().getSimpleName(), allowOnStoreError ? "admitting" : "refusing");
        }
        return allowOnStoreError ? null : DenialReason.REPLAY_STORE_UNAVAILABLE;
    }
}
