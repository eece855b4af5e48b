/**
 * StreamGate's token verification library: decides, for one request, whether its JWT grants
 * access to the requested stream. It has no Jetty types; {@link io.streamgate.filters.servlet}
 * adapts it to any Servlet 6 container.
 *
 * <p>Entry point: {@link io.streamgate.filters.Authorizer}. Pipeline, in the contract's order:
 * {@code token} (extract) → {@code verify} (shape, header, key from {@code keys}, signature via
 * {@code crypto}, claims) → {@code rules} (route grant) → {@code replay} (jti). Meters are all
 * declared in {@code metrics}.
 */
package io.streamgate.filters;
