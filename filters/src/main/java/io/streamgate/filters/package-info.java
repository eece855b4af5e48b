/**
 * StreamGate's token verification library: decides, for one request, whether its JWT grants
 * access to the requested stream. It has no Jetty types; {@link io.streamgate.filters.servlet}
 * adapts it to any Servlet 6 container.
 *
 * <p>This package is the orchestrator: {@link io.streamgate.filters.Authorizer} runs the
 * pipeline steps in the contract's order — {@code token} (extract) → {@code verify} (shape,
 * header, key from {@code keys}, signature via {@code crypto}, claims) → {@code rules} (route
 * grant) → {@code replay} (jti, leases) → {@code session} (revocations, live sessions) — and
 * answers a {@link io.streamgate.filters.Verdict}. Meters are all declared in {@code metrics}.
 *
 * <p>Arrows run one way (checked by {@code ArchitectureTest}): {@code core} (shared types)
 * ← the steps ← this package ← {@code servlet}; {@code redis} (the shared stores) sits beside
 * this package, used only by whoever assembles a gateway.
 */
package io.streamgate.filters;
