package io.streamgate.filters.session;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One session as the shared store keeps it: what was opened ({@code kind}, {@code route},
 * {@code path}), by whom ({@code iss}, {@code sub}), the chain of token ids that opened and
 * renewed it, its cap and its state. Kept at most {@code hls.sessionMaxAge} + 1 min after it
 * opened, whatever its tokens' {@code exp}.
 *
 * @param kind     {@code hls} or {@code websocket}
 * @param path     the canonical path (and, for a WebSocket, the query without token parameters)
 *                 the session was opened on
 * @param chain    the {@code jti} of the token that opened it, then those that renewed it (at most
 *                 {@link #MAX_CHAIN}: the opening one and the newest); empty for tokens without one
 * @param cap      epoch seconds: the newest token's {@code exp}, never past {@code openedAt +
 *                 sessionMaxAge}; only ever moves forward
 * @param openedAt epoch seconds
 * @param iat      the opening token's {@code iat}, or -1 when it had none
 */
public record SessionRecord(String sid, String kind, String route, String path, String iss, String sub,
                            List<String> chain, long cap, long openedAt, SessionState state, long iat) {
    /** How many token ids a record keeps: the opening one and the newest renewals. */
    public static final int MAX_CHAIN = 16;

    public SessionRecord {
        chain = chain == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(chain));
        state = state == null ? SessionState.OPEN : state;
    }

    /** A session opened now by a token with {@code jti} (null when it has none). */
    public static SessionRecord opened(String sid, String kind, String route, String path, String iss, String sub,
                                       String jti, long cap, long openedAt, long iat) {
        return new SessionRecord(sid, kind, route, path, iss, sub, jti == null ? List.of() : List.of(jti), cap,
                openedAt, SessionState.OPEN, iat);
    }

    /** The opening token's {@code jti}, or null. */
    public String jti() {
        return chain.isEmpty() ? null : chain.get(0);
    }

    /** This record renewed: the cap moved forward only, {@code jti} appended to the chain (bounded). */
    public SessionRecord renewed(long newCap, String jti) {
        List<String> c = new ArrayList<>(chain);
        if (jti != null && !jti.isEmpty() && !c.contains(jti)) {
            c.add(jti);
            while (c.size() > MAX_CHAIN) {
                c.remove(1); // the opening jti stays first
            }
        }
        return new SessionRecord(sid, kind, route, path, iss, sub, c, Math.max(cap, newCap), openedAt, state, iat);
    }

    public SessionRecord withState(SessionState s) {
        return new SessionRecord(sid, kind, route, path, iss, sub, chain, cap, openedAt, s, iat);
    }

    /** For logs: the sid and state only (no subject). */
    @Override
    public String toString() {
        return "SessionRecord[" + sid + ", " + kind + ", " + state.code() + "]";
    }
}
