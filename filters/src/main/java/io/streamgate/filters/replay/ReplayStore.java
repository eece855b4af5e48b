package io.streamgate.filters.replay;

import java.util.concurrent.CompletionStage;

/**
 * Where replay state lives: in this process ({@link MemoryReplayStore}) or shared by every
 * replica (Redis). Every operation is asynchronous and atomic, so a remote store never blocks
 * a request thread and two replicas can never both admit a one-time token. Every entry
 * expires by itself, so the store stays bounded by the tokens (and reservations) still alive.
 *
 * <p>One-time use is a two-step, owner-checked protocol: {@link #reserve} holds a key for a
 * short time for one owner (a random id per request), then {@link #commit} makes it
 * permanent (the origin accepted the request) or {@link #releaseIfOwner} frees it (it did
 * not). A reservation neither committed nor released lapses by itself, so a crashed replica
 * never burns a token for good. Owner checks make a late or repeated call harmless: nobody
 * can commit or free someone else's reservation.
 */
public interface ReplayStore extends AutoCloseable {
    /**
     * Reserves {@code key} for {@code owner} for {@code reserveMillis} (never past
     * {@code expiresAtMillis}); completes with true when this call took it, false when it is
     * reserved by someone else or already consumed.
     */
    CompletionStage<Boolean> reserve(String key, String owner, long reserveMillis, long expiresAtMillis);

    /**
     * Consumes {@code key} until {@code expiresAtMillis} (the token's exp plus leeway) when it is
     * reserved by {@code owner}, already consumed by {@code owner}, or free again (the
     * reservation lapsed and nobody took it); completes with false when someone else holds it.
     */
    CompletionStage<Boolean> commit(String key, String owner, long expiresAtMillis);

    /**
     * Whether {@code key} is reserved or consumed, taking nothing: a {@code HEAD} is refused as
     * replayed by a used token but does not use one. A plain read: probing with a reservation
     * would, for its moment, refuse a concurrent {@code GET} of the same token as replayed.
     */
    CompletionStage<Boolean> isTaken(String key);

    /**
     * Frees {@code key} when it is still reserved (not consumed) by {@code owner}; completes with
     * true when something was freed. A consumed key or another owner's reservation is left alone.
     */
    CompletionStage<Boolean> releaseIfOwner(String key, String owner);

    /**
     * Takes one of at most {@code maxSessions} leases on {@code key} for {@code sessionId},
     * lasting {@code leaseMillis} (and never past {@code expiresAtMillis}); completes with false
     * when all are held. Lapsed leases free themselves.
     */
    CompletionStage<Boolean> acquire(String key, String sessionId, int maxSessions, long leaseMillis,
                                     long expiresAtMillis);

    /**
     * Like {@link #acquire}, but when all leases are held by others, the oldest session's
     * lease (by when it was first taken) is dropped to make room ({@code onLimit: evict-oldest}).
     * Completes with null when refused (only when the token is past its end), {@code ""} when
     * granted with nobody evicted, else the evicted session's id.
     */
    default CompletionStage<String> acquireEvicting(String key, String sessionId, int maxSessions, long leaseMillis,
                                                    long expiresAtMillis) {
        return acquire(key, sessionId, maxSessions, leaseMillis, expiresAtMillis).thenApply(ok -> ok ? "" : null);
    }

    /** Extends a lease this session holds; completes with false when it had lapsed and could not be retaken. */
    CompletionStage<Boolean> renew(String key, String sessionId, int maxSessions, long leaseMillis,
                                   long expiresAtMillis);

    /** Releases a session lease (only {@code sessionId}'s, so a late call never frees another session). */
    CompletionStage<Void> releaseLease(String key, String sessionId);

    /** Completes normally when the store answers. */
    CompletionStage<Void> ping();

    /** {@code memory} or {@code redis}: for logs and metrics. */
    String name();

    @Override
    default void close() {
    }
}
