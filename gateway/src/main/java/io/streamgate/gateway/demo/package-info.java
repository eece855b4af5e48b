/**
 * The demo: an embedded live origin ({@link io.streamgate.gateway.demo.DemoOrigin}: HLS, DASH
 * and a WebSocket stream from bundled media), a player page, and {@link
 * io.streamgate.gateway.demo.Demo}, which starts a gateway in front of them with a generated key.
 * Not used by the product's serving path.
 */
package io.streamgate.gateway.demo;
