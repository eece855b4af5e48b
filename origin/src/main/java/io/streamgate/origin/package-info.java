/**
 * A synthetic live origin for the demo, the tests and the load tests: {@link
 * io.streamgate.origin.DemoOrigin} loops bundled media as live HLS ({@code /live/<name>/...}),
 * live DASH ({@code manifest.mpd}, {@link io.streamgate.origin.Fmp4} moves fragment times) and
 * a WebSocket stream ({@code /h5live/stream}). It authorises nothing: keep it behind the gateway.
 * Depends on Jetty only, never on the gateway.
 */
package io.streamgate.origin;
