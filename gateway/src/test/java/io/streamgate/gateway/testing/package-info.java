/**
 * Shared test fixtures of the gateway's tests, all on real parts: {@link
 * io.streamgate.gateway.testing.Viewer} (a WebSocket viewer on Jetty's client), {@link
 * io.streamgate.gateway.testing.TestReplicas} (redis-server, the demo origin and gateway replicas
 * for the scale-out tests) and {@link io.streamgate.gateway.testing.ReservedPort} (a port held
 * with nobody listening, for an origin that is down and then up at the same address). The older
 * helpers beside the tests' root package ({@code GatewayHarness}, {@code RecordingOrigin},
 * {@code RawHttp}) start a gateway from YAML and a recording origin. Redis processes (single,
 * Cluster, Sentinel) and keys and tokens come from the filters module's {@code
 * io.streamgate.filters.testing}.
 */
package io.streamgate.gateway.testing;
