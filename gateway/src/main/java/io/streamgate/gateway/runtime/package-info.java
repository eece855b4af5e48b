/**
 * Assembly and life cycle: {@link io.streamgate.gateway.runtime.GatewayServer} builds the
 * Jetty server, listeners, stores and long-lived services; {@link
 * io.streamgate.gateway.runtime.GatewayRuntime} is what one configuration builds (routes,
 * authorizer) and is swapped whole by a reload ({@link
 * io.streamgate.gateway.runtime.ConfigReloader}, {@link
 * io.streamgate.gateway.runtime.KeyFileWatcher}); {@link io.streamgate.gateway.runtime.Warmup}
 * gates readiness. The only package that knows every feature.
 */
package io.streamgate.gateway.runtime;
