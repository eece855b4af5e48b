/**
 * HLS routes: {@link io.streamgate.gateway.hls.HlsRoute} authorises a playlist by token, opens
 * an HLS session and rewrites the playlist so every child URL carries the session credential
 * ({@link io.streamgate.gateway.hls.PlaylistRewriter}); segments are checked on that
 * credential. {@link io.streamgate.gateway.hls.PlaylistShield} coalesces and caches playlist
 * fetches per route so viewers do not multiply origin load. DASH manifests are rewritten by
 * {@code dash}; credentials are sealed by {@code session}.
 */
package io.streamgate.gateway.hls;
