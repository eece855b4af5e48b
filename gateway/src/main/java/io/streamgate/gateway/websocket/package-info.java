/**
 * WebSocket (H5Live) routes: {@link io.streamgate.gateway.websocket.WebSocketRoute} authorises
 * the upgrade, {@link io.streamgate.gateway.websocket.WebSocketRelay} relays frames both ways
 * with back-pressure and closes at the token's cap; {@link
 * io.streamgate.gateway.websocket.RelayTracker} ends live relays that a revocation or eviction
 * reaches, on whichever replica holds them.
 */
package io.streamgate.gateway.websocket;
