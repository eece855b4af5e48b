package io.streamgate.filters.session;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Shared session and revocation state: in this process ({@link MemorySessionStore}) or in the
 * replay store's Redis ({@code io.streamgate.filters.redis.RedisSessionStore}), so that every replica renews, revokes and
 * ends the same sessions. Every state change is one atomic operation (a Lua script in Redis,
 * a compare-and-set in memory); caps only move forward; a session's state leaves
 * {@link SessionState#OPEN} once and never returns. Everything is bounded: records and
 * indexes in time ({@code keepMillis}) and per key ({@link #MAX_PER_INDEX}), revocations by
 * their ttl and count, the change log by length.
 */
public interface SessionStore extends AutoCloseable {
    /** How many sessions one token (or one jti) indexes: the newest ones. */
    int MAX_PER_INDEX = 64;

    /**
     * Records a session opened now (never overwrites one with the same sid), indexed under
     * {@code tokenKey} (a renewal by {@code previous} finds it) and its {@code jti} (a revocation
     * of that jti ends it), all kept for {@code keepMillis}.
     */
    CompletionStage<Void> open(SessionRecord session, String tokenKey, long keepMillis);

    /** The session, or null when unknown or lapsed. */
    CompletionStage<SessionRecord> get(String sid);

    /**
     * Atomically, when the session is {@link SessionState#OPEN}: moves its cap to
     * {@code newCap} if that is later, appends {@code jti} to its chain and indexes the session
     * under {@code tokenKey} and {@code jti}. Completes with the record after the change, the
     * unchanged record when it is no longer open, or null when it is unknown.
     */
    CompletionStage<SessionRecord> renew(String sid, long newCap, String jti, String tokenKey, long keepMillis);

    /**
     * Atomically moves an open session to {@code state} and, when it moved (or the session is
     * unknown here), appends a {@link SessionChange#ended} to the change log — except for
     * {@link SessionState#ENDED}: a session that ended by itself ended where it lived, and no
     * other replica has anything to do. Completes with the state it had before ({@link
     * SessionState#OPEN} when this call ended it), or null when unknown.
     */
    CompletionStage<SessionState> end(String sid, SessionState state);

    /**
     * Appends {@link SessionChange#ended} to the change log (again): for an end whose record
     * changed but whose log entry failed. Replicas apply it idempotently.
     */
    CompletionStage<Void> announce(String sid, SessionState state);

    /** The sessions opened or renewed by a token key, newest first (at most {@code limit}). */
    CompletionStage<List<String>> sessionsOf(String tokenKey, int limit);

    /** The sessions whose chain holds {@code jti} (any issuer), newest first (at most {@code limit}). */
    CompletionStage<List<String>> sessionsWithJti(String jti, int limit);

    /** Stores a revocation and appends it to the change log. */
    CompletionStage<Void> addRevocation(Revocation r);

    /** Lifts a revocation (appending the change); true when it existed. */
    CompletionStage<Boolean> removeRevocation(String id);

    /** Every stored revocation still in force: the snapshot a replica starts from. */
    CompletionStage<List<Revocation>> revocations();

    /**
     * A cursor just before the changes of the last {@code windowMillis}, by the store's own
     * clock (a replica starting replays that window); never past the newest change.
     */
    CompletionStage<String> cursorBefore(long windowMillis);

    /** Up to {@code max} changes after {@code cursor}, and the cursor to read on from. */
    CompletionStage<Changes> changesSince(String cursor, int max);

    /** {@code memory} or {@code redis}. */
    String name();

    @Override
    default void close() {
    }

    /** A page of the change log. */
    record Changes(List<SessionChange> changes, String cursor) {
    }

    /** Thrown (in a failed stage) when a store holds as many revocations as it may. */
    final class FullException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public FullException(String what) {
            super(what, null, false, false);
        }
    }
}
