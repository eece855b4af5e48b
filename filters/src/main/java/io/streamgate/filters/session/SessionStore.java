package io.streamgate.filters.session;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Shared session and revocation state: in this process ({@link MemorySessionStore}) or in the
 * replay store's Redis ({@link RedisSessionStore}), so every replica renews and revokes the
 * same sessions. Asynchronous and bounded like the replay store: every session entry expires
 * with its cap, every revocation with its ttl.
 */
public interface SessionStore extends AutoCloseable {
    /**
     * Records a session (or its new cap) and indexes it under the key of the token that
     * opened or last renewed it, both for {@code ttlMillis}.
     */
    CompletionStage<Void> put(SessionRecord session, String tokenKey, long ttlMillis);

    /** The session, or null when unknown or lapsed. */
    CompletionStage<SessionRecord> get(String sid);

    /** The sessions opened or last renewed by a token (at most {@code limit}). */
    CompletionStage<List<String>> sessionsOf(String tokenKey, int limit);

    /** Stores a revocation and bumps the version every replica polls. */
    CompletionStage<Void> addRevocation(Revocation r);

    /** Lifts a revocation; true when it existed. */
    CompletionStage<Boolean> removeRevocation(String id);

    /** Every stored revocation still in force. */
    CompletionStage<List<Revocation>> revocations();

    /** A number that changes whenever the revocations change (cheap to poll). */
    CompletionStage<Long> revocationVersion();

    /** {@code memory} or {@code redis}. */
    String name();

    @Override
    default void close() {
    }
}
