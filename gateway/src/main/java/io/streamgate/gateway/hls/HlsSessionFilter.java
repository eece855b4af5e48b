package io.streamgate.gateway.hls;

import java.io.IOException;
import java.util.Map;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import io.streamgate.filters.Authorizer;
import io.streamgate.filters.DenialReason;
import io.streamgate.filters.QueryString;
import io.streamgate.filters.servlet.Cors;
import io.streamgate.filters.servlet.DenialResponse;
import io.streamgate.filters.servlet.ServletRequestView;
import io.streamgate.gateway.config.GatewayConfig;
import io.streamgate.gateway.metrics.GatewayMetrics;

/**
 * Runs before the token filter on {@code hls} routes: a request carrying a valid session
 * credential ({@code sg_session}) is admitted on an HMAC check alone — no signature
 * verification, no replay check, since the token's use was already counted when it opened
 * the session. An invalid credential is refused with its reason ({@code bad_signature},
 * {@code expired}, {@code forbidden}) unless the request also carries a token, which then
 * decides as usual.
 */
public final class HlsSessionFilter implements Filter {
    /** Request attribute holding the admitted {@link SessionCredentials.Session}. */
    public static final String SESSION_ATTRIBUTE = "io.streamgate.hlsSession";

    private final Map<String, GatewayConfig.Route> routesByServlet;
    private final SessionCredentials credentials;
    private final Authorizer authorizer;
    private final GatewayMetrics metrics;

    public HlsSessionFilter(Map<String, GatewayConfig.Route> hlsRoutesByServlet, SessionCredentials credentials,
                            Authorizer authorizer, GatewayMetrics metrics) {
        this.routesByServlet = hlsRoutesByServlet;
        this.credentials = credentials;
        this.authorizer = authorizer;
        this.metrics = metrics;
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain) throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) req;
        GatewayConfig.Route route = routesByServlet.get(request.getHttpServletMapping().getServletName());
        String credential = route == null ? null : QueryString.first(request.getQueryString(), SessionCredentials.PARAM);
        if (credential == null || request.getAttribute(SESSION_ATTRIBUTE) != null) {
            chain.doFilter(req, res);
            return;
        }
        if (!io.streamgate.filters.PathSafety.isCanonical(request.getRequestURI())) {
            DenialResponse.writeMalformedPath(request, (HttpServletResponse) res);
            return;
        }
        SessionCredentials.Check check = credentials.check(credential, route.name(), request.getRequestURI());
        if (check.failure() == null && !check.session().lease().isEmpty()
                && authorizer.replay().mode() == io.streamgate.filters.replay.ReplayMode.LIMIT
                && HlsProxyServlet.isPlaylistPath(request)) {
            // A playlist reload keeps the viewer's session lease alive; segments do not need to.
            SessionCredentials.Session s = check.session();
            long exp = s.tokenExpiresAt() == Long.MAX_VALUE ? io.streamgate.filters.verify.Claims.ABSENT : s.tokenExpiresAt();
            DenialReason lost = authorizer.replay().renewLease(s.iss(), s.jti(), exp, s.lease())
                    .toCompletableFuture().join();
            if (lost != null) {
                metrics.hlsSession(route.name(), "rejected");
                authorizer.metrics().route(route.name()).denied(lost);
                DenialResponse.write(request, (HttpServletResponse) res, lost);
                return;
            }
        }
        if (check.failure() == null) {
            metrics.hlsSession(route.name(), "accepted");
            authorizer.metrics().route(route.name()).allowed();
            request.setAttribute(SESSION_ATTRIBUTE, check.session());
            Cors.apply(request, (HttpServletResponse) res);
            chain.doFilter(req, res);
            return;
        }
        metrics.hlsSession(route.name(), "rejected");
        if (authorizer.extractor().extract(new ServletRequestView(request)) != null) {
            chain.doFilter(req, res); // the token decides
            return;
        }
        DenialReason reason = check.failure();
        authorizer.metrics().route(route.name()).denied(reason);
        DenialResponse.write(request, (HttpServletResponse) res, reason);
    }
}
