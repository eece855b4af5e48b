package io.streamgate.filters.servlet;

import java.io.IOException;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.streamgate.filters.Authorizer;
import io.streamgate.filters.RoutePolicy;
import io.streamgate.filters.Verdict;
import io.streamgate.filters.core.DenialReason;
import io.streamgate.filters.replay.Admission;
import io.streamgate.filters.token.TokenSource;

/**
 * Servlet 6 adapter of the {@link Authorizer}: extracts nothing itself, asks the core, and
 * either continues the chain with the {@link Verdict} in request attribute
 * {@link #VERDICT_ATTRIBUTE}, or writes the contract's denial. A decision that is not ready
 * at once (a JWKS refetch, a remote replay store) continues asynchronously — no container
 * thread waits — which needs the filter registered with async support and for the
 * {@code REQUEST} and {@code ASYNC} dispatcher types.
 *
 * <p>Before any token is looked at, in order: a path with dot segments, empty segments or
 * {@code ;} parameters is refused with {@code 400 malformed_path} (see
 * {@link io.streamgate.filters.core.PathSafety}); requests for which the route selector returns
 * null are not this filter's business and pass (with CORS headers); a CORS preflight
 * ({@code OPTIONS} with {@code Origin} and {@code Access-Control-Request-Method}) is answered
 * {@code 204} without a token, allowing the filter's methods; any other method than those
 * (default {@code GET, HEAD}) is answered {@code 405 method_not_allowed} with {@code Allow}
 * — nothing consumed, the chain never called. Each of these denials is counted in
 * {@code streamgate_decisions_total}, as the {@link Authorizer}'s own are ({@code route="-"}
 * for a malformed path, which is refused before any route is chosen).
 *
 * <p><b>The token never reaches the application.</b> The chain gets the request wrapped so that
 * every token source the {@link Authorizer} is configured with is hidden, not only the one
 * that held the token: query parameters ({@code getQueryString}, {@code getParameter*}), the
 * token header ({@code getHeader*}), the token cookie ({@code getCookies} and the
 * {@code Cookie} header), every {@code Sec-WebSocket-Protocol} entry that is a JWS, and the
 * token parameters in {@code Referer}. A servlet behind the filter — or a proxy servlet that
 * forwards the request to an origin — therefore cannot see or pass on the token; it reads
 * the verified claims from the {@link Verdict} in {@link #VERDICT_ATTRIBUTE} instead.
 *
 * <p>Replay protection is settled here, after the application answered: under
 * {@code replay.mode: once} the jti is consumed ({@link Admission#commit()}) when the response
 * status is below 500 once the chain returned — for an asynchronous request, when it
 * completes — and released otherwise (a 5xx, an exception, an async timeout or error), so
 * the viewer can retry with the same token. Under {@code replay.mode: limit} a request is a
 * session for its duration: it holds one of the token's leases from the decision until it
 * ends, and releases it then. The lease is not renewed while the request runs, so a request
 * longer than the lease period holds it only for that period.
 *
 * <p>Sessions: a revocation in force refuses new requests ({@code 401 revoked}) exactly as in
 * the gateway, when the authorizer has {@link io.streamgate.filters.session.Sessions}. A
 * servlet request holds nothing a later revocation or eviction could end, so
 * {@code replay.onLimit: evict-oldest} (which ends the oldest live session) cannot be honoured
 * here: building the filter with it is refused.
 */
public final class StreamGateFilter implements Filter {
    /** Request attribute holding the allowed {@link Verdict}. */
    public static final String VERDICT_ATTRIBUTE = "io.streamgate.verdict";
    /** Request attribute holding the {@link RoutePolicy} the request was checked against. */
    public static final String ROUTE_ATTRIBUTE = "io.streamgate.route";
    private static final String PENDING_ATTRIBUTE = "io.streamgate.pending";
    /** The {@code route} tag of a denial made before any route was chosen (as the gateway's). */
    private static final String NO_ROUTE = "-";
    private static final Logger LOG = LoggerFactory.getLogger(StreamGateFilter.class);

    private final Authorizer authorizer;
    private final Function<HttpServletRequest, RoutePolicy> routes;
    private final List<String> methods;
    private final List<TokenSource> tokenSources;

    /**
     * A filter allowing {@code GET} and {@code HEAD} ({@link Cors#DEFAULT_METHODS}).
     *
     * @param routes selects the route a request belongs to, or null when it is not protected here
     */
    public StreamGateFilter(Authorizer authorizer, Function<HttpServletRequest, RoutePolicy> routes) {
        this(authorizer, routes, Cors.DEFAULT_METHODS);
    }

    /**
     * @param routes  selects the route a request belongs to, or null when it is not protected here
     * @param methods the methods a protected request may use (upper case, e.g. {@code GET, HEAD});
     *                any other is answered {@code 405} with {@code Allow} before any token check,
     *                and a preflight allows exactly these
     * @throws IllegalArgumentException when {@code methods} is empty or holds something that is not a method token
     * @throws io.streamgate.filters.core.ConfigException for {@code replay.onLimit: evict-oldest}
     */
    public StreamGateFilter(Authorizer authorizer, Function<HttpServletRequest, RoutePolicy> routes,
                            Collection<String> methods) {
        this.authorizer = java.util.Objects.requireNonNull(authorizer, "authorizer");
        if (authorizer.replay().mode() == io.streamgate.filters.replay.ReplayMode.LIMIT
                && authorizer.replay().options().evictOldest()) {
            throw new io.streamgate.filters.core.ConfigException("replay.onLimit",
                    "evict-oldest cannot be honoured by the servlet Filter (it holds no live session to end); use reject");
        }
        this.routes = java.util.Objects.requireNonNull(routes, "routes");
        this.methods = checkMethods(methods);
        this.tokenSources = authorizer.extractor().sources();
    }

    /** A filter protecting everything it is mapped to with one route policy, allowing {@code GET} and {@code HEAD}. */
    public static StreamGateFilter forRoute(Authorizer authorizer, RoutePolicy route) {
        return new StreamGateFilter(authorizer, r -> route);
    }

    /** A filter protecting everything it is mapped to with one route policy, allowing {@code methods}. */
    public static StreamGateFilter forRoute(Authorizer authorizer, RoutePolicy route, Collection<String> methods) {
        return new StreamGateFilter(authorizer, r -> route, methods);
    }

    /** The methods a protected request may use. */
    public List<String> methods() {
        return methods;
    }

    private static List<String> checkMethods(Collection<String> methods) {
        if (methods == null || methods.isEmpty()) {
            throw new IllegalArgumentException("at least one method is required");
        }
        Set<String> out = new LinkedHashSet<>();
        for (String m : methods) {
            if (m == null || m.isEmpty() || !m.chars().allMatch(c -> c >= 'A' && c <= 'Z')) {
                throw new IllegalArgumentException("not a method: \"" + m + "\" (upper-case letters, e.g. GET)");
            }
            out.add(m);
        }
        return List.copyOf(out);
    }

    /** The request as the chain gets it: every token source hidden. */
    private HttpServletRequest stripped(HttpServletRequest request) {
        return TokenStrippingRequest.of(request, tokenSources);
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) req;
        HttpServletResponse response = (HttpServletResponse) res;

        Object pending = request.getAttribute(PENDING_ATTRIBUTE);
        if (pending != null && request.getDispatcherType() == DispatcherType.ASYNC) {
            request.removeAttribute(PENDING_ATTRIBUTE);
            act(request, response, chain, (CompletableFuture<?>) pending);
            return;
        }
        if (request.getAttribute(VERDICT_ATTRIBUTE) != null) {
            chain.doFilter(stripped(request), response); // already authorised (a forward, include or async dispatch)
            return;
        }
        if (!io.streamgate.filters.core.PathSafety.isCanonical(request.getRequestURI())) {
            authorizer.metrics().route(NO_ROUTE).denied(DenialReason.MALFORMED_PATH); // before any route is chosen
            DenialResponse.writeMalformedPath(request, response);
            return;
        }
        RoutePolicy route = routes.apply(request);
        if (route == null) {
            Cors.apply(request, response); // every response carries CORS, unprotected ones too
            chain.doFilter(request, response);
            return;
        }
        if (Cors.isPreflight(request)) {
            Cors.preflight(request, response, methods);
            return;
        }
        if (!methods.contains(request.getMethod())) {
            authorizer.metrics().route(route.name()).denied(DenialReason.METHOD_NOT_ALLOWED);
            DenialResponse.write(request, response, DenialReason.METHOD_NOT_ALLOWED, methods);
            return;
        }
        request.setAttribute(ROUTE_ATTRIBUTE, route);
        CompletableFuture<Verdict> decision;
        try {
            decision = authorizer.authorize(route, new ServletRequestView(request)).toCompletableFuture();
        } catch (RuntimeException e) {
            decision = CompletableFuture.failedFuture(e);
        }
        if (decision.isDone() || !request.isAsyncSupported()) {
            act(request, response, chain, decision);
            return;
        }
        AsyncContext async = request.startAsync();
        async.setTimeout(0); // the decision itself is bounded by the key fetch and store timeouts
        CompletableFuture<Verdict> later = decision;
        later.whenComplete((v, e) -> {
            request.setAttribute(PENDING_ATTRIBUTE, later);
            async.dispatch();
        });
    }

    /**
     * Settles an admission once the response is decided: committed when the application
     * answered below 500, released otherwise; a session lease ({@code limit}) is released
     * either way, as the request — the session — has ended.
     */
    static void settle(Admission admission, int status) {
        if (status < 500) {
            admission.commit();
        } else {
            admission.release();
        }
        if (admission.leaseId() != null) {
            admission.release();
        }
    }

    /** Settles an asynchronous request's admission when it completes; a timeout or error releases it. */
    private static final class Settle implements AsyncListener {
        private final Admission admission;

        Settle(Admission admission) {
            this.admission = admission;
        }

        @Override
        public void onComplete(AsyncEvent event) {
            ServletResponse r = event.getSuppliedResponse();
            int status = r instanceof HttpServletResponse h ? h.getStatus() : 500;
            settle(admission, status);
        }

        @Override
        public void onTimeout(AsyncEvent event) {
            admission.release();
        }

        @Override
        public void onError(AsyncEvent event) {
            admission.release();
        }

        @Override
        public void onStartAsync(AsyncEvent event) {
            // Asynchronous again (e.g. after a dispatch): listeners must register anew to hear the end.
            event.getAsyncContext().addListener(this);
        }
    }

    private void act(HttpServletRequest request, HttpServletResponse response, FilterChain chain,
                     CompletableFuture<?> decision) throws IOException, ServletException {
        Verdict verdict;
        try {
            verdict = (Verdict) decision.join(); // done, or this thread may wait (no async support)
        } catch (RuntimeException e) {
            // A bug or broken infrastructure, not a bad token. Never a stack trace to the client.
            LOG.error("authorisation failed unexpectedly (request {})", DenialResponse.requestId(request), e);
            if (!response.isCommitted()) {
                Cors.apply(request, response);
                response.sendError(HttpServletResponse.SC_INTERNAL_SERVER_ERROR);
            }
            return;
        }
        if (verdict.allowed()) {
            request.setAttribute(VERDICT_ATTRIBUTE, verdict);
            Admission admission = verdict.admission();
            try {
                Cors.apply(request, response);
                chain.doFilter(stripped(request), response);
            } catch (IOException | ServletException | RuntimeException | Error e) {
                admission.release();
                throw e;
            }
            if (admission == Admission.NONE) {
                return;
            }
            if (request.isAsyncStarted()) {
                request.getAsyncContext().addListener(new Settle(admission));
            } else {
                settle(admission, response.getStatus());
            }
            return;
        }
        if (LOG.isDebugEnabled()) {
            RoutePolicy route = (RoutePolicy) request.getAttribute(ROUTE_ATTRIBUTE);
            LOG.debug("denied route={} reason={} request={}", route == null ? "-" : route.name(),
                    verdict.reason().code(), DenialResponse.requestId(request));
        }
        DenialResponse.write(request, response, verdict.reason());
    }
}
