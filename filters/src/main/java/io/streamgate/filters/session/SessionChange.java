package io.streamgate.filters.session;

/**
 * One entry of the store's change log, which every replica reads from where it last stopped:
 * a revocation added or lifted, or a session ended (revoked, evicted, ended). Replicas apply
 * changes to their local indexes one by one, so the cost of a change does not depend on how
 * many revocations are stored.
 *
 * @param revocation the revocation added ({@link Type#REVOCATION_ADDED}), else null
 * @param id         the revocation lifted ({@link Type#REVOCATION_LIFTED}) or the session ended
 *                   ({@link Type#SESSION_ENDED}, its sid)
 * @param state      the session's final state ({@link Type#SESSION_ENDED}), else null
 */
public record SessionChange(Type type, Revocation revocation, String id, SessionState state) {
    public enum Type {
        REVOCATION_ADDED, REVOCATION_LIFTED, SESSION_ENDED
    }

    public static SessionChange added(Revocation r) {
        return new SessionChange(Type.REVOCATION_ADDED, r, r.id(), null);
    }

    public static SessionChange lifted(String id) {
        return new SessionChange(Type.REVOCATION_LIFTED, null, id, null);
    }

    public static SessionChange ended(String sid, SessionState state) {
        return new SessionChange(Type.SESSION_ENDED, null, sid, state);
    }
}
