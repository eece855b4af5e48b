/**
 * The gateway's own meters (routes, upstreams, relays, HLS sessions), declared once in {@link
 * io.streamgate.gateway.metrics.GatewayMetrics}; the verification meters are the library's
 * ({@code io.streamgate.filters.metrics}). No meter ever carries a token or a claim value.
 */
package io.streamgate.gateway.metrics;
