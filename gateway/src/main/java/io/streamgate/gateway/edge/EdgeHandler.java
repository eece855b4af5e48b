package io.streamgate.gateway.edge;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.function.Supplier;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import io.streamgate.filters.core.DenialReason;
import io.streamgate.filters.core.PathSafety;
import io.streamgate.filters.core.QueryString;
import io.streamgate.filters.http.CorsPolicy;

/**
 * The public listener's first handler, the rules every request meets before any token is
 * looked at, in order:
 * <ol>
 *   <li>CORS headers on every response, denials included;</li>
 *   <li>one canonical path ({@link PathSafety#canonical}) or {@code 400 malformed_path}, and
 *       a well-formed query or {@code 400 malformed_query};</li>
 *   <li>the route by longest prefix on whole segments, or {@code 404 no_route} (after the
 *       {@code fallback} handler, e.g. the demo's player page, had its chance);</li>
 *   <li>a CORS preflight answered here ({@code 204}), never proxied;</li>
 *   <li>the route's methods, or {@code 405} with {@code Allow} — nothing consumed;</li>
 *   <li>each query parameter the route's rules read appears once, under one spelling, or
 *       {@code 400 malformed_query};</li>
 * </ol>
 * then the route's {@link RouteHandler}. Never blocks: it only looks at the request line
 * and headers.
 *
 * <p>Every request is wrapped in an {@link AccessRecord}, which the route handlers get as
 * both request and callback: where the request finishes, a denial is counted and the access
 * line and the rate-limited denial line are written (see
 * {@link io.streamgate.gateway.logging.AccessLog}). Every answer carries
 * {@code X-Request-Id}, set here before anything else is written.
 */
public final class EdgeHandler extends Handler.Abstract.NonBlocking {
    /** The header that marks the gateway's own warm-up requests (with {@link #warmupKey()} as value). */
    public static final String WARMUP_HEADER = "X-StreamGate-Warmup";
    /** The configuration in force, read once per request: a reload swaps it, a request sees one. */
    private final Supplier<? extends RouteTable> runtime;
    private final Handler fallback;
    private final Map<String, Endpoint> endpoints;
    /** A secret of this process: only the gateway's own warm-up knows it, so no viewer can hide a request from the log. */
    private final byte[] warmupKey = newWarmupKey();

    /** 32 hex digits from a {@link java.security.SecureRandom}: a request id's random source is predictable. */
    private static byte[] newWarmupKey() {
        byte[] random = new byte[16];
        new java.security.SecureRandom().nextBytes(random);
        return java.util.HexFormat.of().formatHex(random).getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * @param runtime the configuration in force
     * @param fallback asked before {@code 404 no_route}, or null
     * @param endpoints gateway endpoints by exact canonical path (e.g. renewal), met before the routes
     */
    public EdgeHandler(Supplier<? extends RouteTable> runtime, Handler fallback, Map<String, Endpoint> endpoints) {
        this.runtime = runtime;
        this.endpoints = Map.copyOf(endpoints);
        this.fallback = fallback;
        if (fallback != null) {
            addBean(fallback);
        }
    }

    /**
     * The value of {@link #WARMUP_HEADER} that marks a request as the gateway's own warm-up:
     * its {@code 404 no_route} answer then writes no access or denial line and counts nothing.
     */
    public String warmupKey() {
        return new String(warmupKey, StandardCharsets.US_ASCII);
    }

    private boolean isWarmup(Request request) {
        String v = request.getHeaders().get(WARMUP_HEADER);
        return v != null && MessageDigest.isEqual(warmupKey, v.getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public boolean handle(Request plain, Response response, Callback done) throws Exception {
        RouteTable rt = runtime.get();
        AccessRecord request = new AccessRecord(plain, response, done, rt.access());
        Callback callback = request; // where every request finishes
        // every answer names its request, whatever writes it: the access line carries the same id
        response.getHeaders().put(AccessRecord.REQUEST_ID, request.requestId());
        Answers.cors(request, response);
        String path = PathSafety.canonical(request.getHttpURI().getPath());
        if (path == null) {
            Answers.deny(request, response, callback, DenialReason.MALFORMED_PATH, request.requestId());
            return true;
        }
        request.path(path);
        String query = request.getHttpURI().getQuery();
        if (!QueryString.isWellFormed(query)) {
            Answers.deny(request, response, callback, DenialReason.MALFORMED_QUERY, request.requestId());
            return true;
        }
        Endpoint endpoint = endpoints.get(path);
        if (endpoint != null) {
            endpoint.handle(request, response, callback);
            return true;
        }
        RouteEntry route = rt.match(path);
        if (route == null) {
            if (fallback != null && fallback.handle(request, response, callback)) {
                return true;
            }
            if (isWarmup(request)) {
                request.quiet(); // the gateway's own warm-up: answered like any other, neither logged nor counted
            }
            Answers.deny(request, response, callback, DenialReason.NO_ROUTE, request.requestId());
            return true;
        }
        request.route(route);
        String method = request.getMethod();
        if (CorsPolicy.isPreflight(method, request.getHeaders().get(HttpHeader.ORIGIN),
                request.getHeaders().get(HttpHeader.ACCESS_CONTROL_REQUEST_METHOD))) {
            Answers.preflight(request, response, callback, route.methods());
            return true;
        }
        Exchange ex = new Exchange(route, request, path);
        if (!route.methods().contains(method)) {
            Answers.deny(request, response, callback, DenialReason.METHOD_NOT_ALLOWED, ex.requestId(), route.methods());
            return true;
        }
        for (String name : route.ruleQueryNames()) {
            if (QueryString.count(query, name) > 1) {
                Answers.deny(request, response, callback, DenialReason.MALFORMED_QUERY, ex.requestId());
                return true;
            }
        }
        route.handler().handle(ex, request, response, callback);
        return true;
    }
}
