package io.streamgate.filters.replay;

/**
 * What an allowed decision reserved, and must be settled by whoever forwards the request:
 * {@link #commit()} once the origin accepted it (an upstream response with status &lt; 500, or
 * the upstream's {@code 101}), {@link #release()} when it did not (the gateway answered 5xx
 * itself, the viewer went away first) or, for a session, when the session ended.
 *
 * <p>Why a reservation and not a side effect of the decision: a one-time token consumed
 * before the origin answered is lost for good when the origin fails for a moment at event
 * start, and every viewer retrying gets {@code 401 replayed}. Reserved first, the jti is
 * held against concurrent first uses (exactly one is admitted, on one replica or several)
 * but becomes permanent only on commit.
 *
 * <p>Both methods are idempotent and never throw; store failures are counted and logged by
 * the implementation. For a one-time reservation, {@code release()} after {@code commit()}
 * does nothing (the use is consumed). For a session lease ({@code replay.mode: limit}),
 * {@code commit()} marks the session open and {@code release()} ends it.
 */
public interface Admission {
    /** Nothing reserved: replay protection off, or a request that needs none. */
    Admission NONE = new Admission() {
        @Override
        public void commit() {
        }

        @Override
        public void release() {
        }

        @Override
        public String toString() {
            return "Admission[none]";
        }
    };

    /** The origin accepted the request: make the reservation permanent (idempotent). */
    void commit();

    /** The origin did not accept it, or the session ended: drop what is still ours (idempotent). */
    void release();

    /** Under {@code replay.mode: limit}, the id of the session lease this admission holds; else null. */
    default String leaseId() {
        return null;
    }

    /** Under {@code replay.mode: limit}, the key the lease is counted under ({@code replay.limitBy}); else null. */
    default String limitKey() {
        return null;
    }
}
