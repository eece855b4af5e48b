package io.streamgate.gateway.websocket;

import io.streamgate.filters.session.RevocationIndex;
import io.streamgate.filters.session.Sessions;

/**
 * Who a relayed WebSocket session is, for revocation (matched against every new revocation
 * index) and renewal (its cap is read back from the shared store when it is reached).
 *
 * @param iat      the token's iat, or -1
 * @param renewals where renewed caps are read, or null when the route keeps no sessions
 */
record ViewerSession(String sid, String iss, String sub, String jti, long iat, Sessions renewals) {
    /** The revocation (or eviction) that ends this session now, or null. */
    io.streamgate.filters.session.Revocation revokedBy(RevocationIndex index, long nowMillis) {
        return index.match(iss, sub, jti, sid, iat, nowMillis);
    }
}
