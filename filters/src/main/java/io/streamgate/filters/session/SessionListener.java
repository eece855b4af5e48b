package io.streamgate.filters.session;

/**
 * Told of every change this replica applies, on the replica's change applier (never on a
 * store client's I/O thread): the gateway's live WebSocket relays end themselves here.
 * Implementations must not block.
 */
public interface SessionListener {
    /** A revocation now in force: end every live session it matches. */
    void revocationAdded(Revocation r);

    /** A session ended (revoked, evicted, ended) at this or another replica. */
    void sessionEnded(String sid, SessionState state);
}
