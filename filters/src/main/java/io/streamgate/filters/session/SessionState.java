package io.streamgate.filters.session;

import java.util.Locale;

import io.streamgate.filters.core.DenialReason;

/**
 * Where a session is in its life. {@link #OPEN} is the only state that plays and the only
 * one a session leaves; every other state is final (a revoked or evicted session never comes
 * back: not by renewal, not when a revocation is lifted, not when time passes).
 */
public enum SessionState {
    /** Playing: its credentials are honoured up to its cap, renewals move the cap. */
    OPEN,
    /** Ended by a revocation of its {@code sid} or of any {@code jti} of its chain. */
    REVOKED,
    /** Ended by a sharing limit: evicted by {@code onLimit: evict-oldest}, or its lease lost to another session. */
    EVICTED,
    /** Ended by itself (a WebSocket closed, a lease released). */
    ENDED;

    /** The stored name: {@code open}, {@code revoked}, {@code evicted}, {@code ended}. */
    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Why a request or renewal of a session in this state is refused: {@code revoked},
     * {@code session_limit} (evicted, or its place went to another), {@code expired} (it ended by
     * itself); null for an open session.
     */
    public DenialReason denial() {
        return switch (this) {
            case OPEN -> null;
            case REVOKED -> DenialReason.REVOKED;
            case EVICTED -> DenialReason.SESSION_LIMIT;
            case ENDED -> DenialReason.EXPIRED;
        };
    }

    /** {@link #denial()} of a state that may be null (null: nothing refuses). */
    public static DenialReason denialOf(SessionState state) {
        return state == null ? null : state.denial();
    }

    /** The state of a stored name, or null. */
    public static SessionState of(String code) {
        if (code != null) {
            for (SessionState s : values()) {
                if (s.code().equals(code)) {
                    return s;
                }
            }
        }
        return null;
    }
}
