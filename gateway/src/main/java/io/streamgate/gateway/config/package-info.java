/**
 * The configuration model: {@link io.streamgate.gateway.config.GatewayConfig} (immutable
 * records, one per section of {@code gateway.yaml}), read and checked by {@link
 * io.streamgate.gateway.config.ConfigLoader}; every error names its key. Defaults live here.
 */
package io.streamgate.gateway.config;
