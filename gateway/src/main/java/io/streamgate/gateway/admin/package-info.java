/**
 * The admin listener: {@link io.streamgate.gateway.admin.AdminHandler} serves {@code /metrics},
 * {@code /healthz}, {@code /readyz} and, behind {@code admin.token}, {@code /reload},
 * {@code /keys} ({@link io.streamgate.gateway.admin.KeysJson}) and {@code /revocations}
 * ({@link io.streamgate.gateway.admin.Revocations}). It never shares a port with viewers.
 */
package io.streamgate.gateway.admin;
