package io.streamgate.filters.replay;

import java.util.concurrent.CompletionStage;

/**
 * Where replay state lives: in this process ({@link MemoryReplayStore}) or shared by every
 * replica (Redis). Every operation is asynchronous and atomic, so a remote store never blocks
 * a request thread and two replicas can never both admit a one-time token. Every entry
 * expires by itself ({@code expiresAtMillis}: the token's exp plus leeway), so the store
 * stays bounded by the tokens still alive.
 */
public interface ReplayStore extends AutoCloseable {
    /** Records the first use of {@code key}; completes with true when this call was the first. */
    CompletionStage<Boolean> markUsed(String key, long expiresAtMillis);

    /**
     * Takes one of at most {@code maxSessions} leases on {@code key} for {@code sessionId},
     * lasting {@code leaseMillis} (and never past {@code expiresAtMillis}); completes with false
     * when all are held. Lapsed leases free themselves.
     */
    CompletionStage<Boolean> acquire(String key, String sessionId, int maxSessions, long leaseMillis,
                                     long expiresAtMillis);

    /** Extends a lease this session holds; completes with false when it had lapsed and could not be retaken. */
    CompletionStage<Boolean> renew(String key, String sessionId, int maxSessions, long leaseMillis,
                                   long expiresAtMillis);

    /** Releases a lease. */
    CompletionStage<Void> release(String key, String sessionId);

    /** Completes normally when the store answers. */
    CompletionStage<Void> ping();

    /** {@code memory} or {@code redis}: for logs and metrics. */
    String name();

    @Override
    default void close() {
    }
}
