package io.streamgate.gateway.websocket;

import io.streamgate.filters.session.Sessions;

/**
 * Who a relayed WebSocket session is, for revocation (matched against every new revocation)
 * and renewal (its record is read back from the shared store when its cap is reached).
 *
 * @param jti      the opening token's jti (the rest of its chain is in the store)
 * @param iat      the token's iat, or -1
 * @param renewals where renewed caps are read, or null when the route keeps no sessions
 */
record ViewerSession(String sid, String iss, String sub, String jti, long iat, Sessions renewals) {
}
