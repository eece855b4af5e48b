package io.streamgate.gateway.hls;

import java.util.Locale;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.http.HttpHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.streamgate.filters.ClientAddress;
import io.streamgate.filters.DenialReason;
import io.streamgate.filters.metrics.StreamGateMetrics;
import io.streamgate.filters.replay.ReplayGuard;
import io.streamgate.filters.replay.ReplayMode;
import io.streamgate.filters.QueryString;
import io.streamgate.filters.Verdict;
import io.streamgate.filters.verify.Claims;
import io.streamgate.gateway.config.GatewayConfig;
import io.streamgate.gateway.metrics.GatewayMetrics;
import io.streamgate.gateway.proxy.HttpProxyServlet;
import io.streamgate.gateway.proxy.ProxiedRequest;

/**
 * The proxy of an {@code hls} route: an HTTP proxy that rewrites playlists so that child
 * playlists, segments, keys and the rest carry a session credential — issued from the token
 * that opened the master playlist, renewed (sliding) on every playlist a session fetches.
 * The credential parameter never reaches the origin; segments stream untouched.
 */
public final class HlsProxyServlet extends HttpProxyServlet {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(HlsProxyServlet.class);

    private static final String LEASE_ATTRIBUTE = "io.streamgate.hlsLease";

    private final transient SessionCredentials credentials;
    private final int maxPlaylistBytes;
    private final transient ReplayGuard replay;
    private final transient StreamGateMetrics decisions;

    public HlsProxyServlet(GatewayConfig.Route route, GatewayConfig.Proxy settings, java.util.List<io.streamgate.filters.token.TokenSource> stripToken,
                           ClientAddress trust, GatewayMetrics metrics, SessionCredentials credentials,
                           int maxPlaylistBytes, ReplayGuard replay, StreamGateMetrics decisions) {
        super(route, settings, stripToken, trust, metrics);
        this.credentials = credentials;
        this.maxPlaylistBytes = maxPlaylistBytes;
        this.replay = replay;
        this.decisions = decisions;
    }

    /**
     * Under {@code replay.mode: limit}, a token opening a playlist starts a viewer session: it
     * takes one of the token's leases here, before anything is proxied; the lease id rides in
     * the session credential and every playlist reload renews it (see {@link HlsSessionFilter}).
     */
    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response)
            throws jakarta.servlet.ServletException, java.io.IOException {
        Verdict v = ProxiedRequest.verdict(request);
        if (v != null && replay.mode() == ReplayMode.LIMIT && isPlaylistPath(request)) {
            String lease = java.util.UUID.randomUUID().toString();
            DenialReason refused = replay.acquireLease(v.token().claims(), lease).toCompletableFuture().join();
            if (refused != null) {
                decisions.route(route.name()).denied(refused);
                io.streamgate.filters.servlet.DenialResponse.write(request, response, refused);
                return;
            }
            request.setAttribute(LEASE_ATTRIBUTE, lease);
        }
        super.service(request, response);
    }

    /** One playlist test for leases and renewals: the (canonical) path ends in .m3u8, any case. */
    static boolean isPlaylistPath(HttpServletRequest request) {
        return request.getRequestURI().toLowerCase(Locale.ROOT).endsWith(".m3u8");
    }

    @Override
    protected String rewriteTarget(HttpServletRequest request) {
        String target = super.rewriteTarget(request);
        int q = target.indexOf('?');
        if (q < 0 || target.indexOf(SessionCredentials.PARAM, q) < 0) {
            return target;
        }
        String query = QueryString.remove(target.substring(q + 1), SessionCredentials.PARAM);
        return target.substring(0, q) + (query == null ? "" : "?" + query);
    }

    @Override
    protected void copyRequestHeaders(HttpServletRequest request, Request proxyRequest) {
        super.copyRequestHeaders(request, proxyRequest);
        // Playlists are rewritten as text: ask the origin for them uncompressed.
        proxyRequest.headers(h -> h.remove(HttpHeader.ACCEPT_ENCODING));
    }

    @Override
    protected void addProxyHeaders(HttpServletRequest request, Request proxyRequest) {
        super.addProxyHeaders(request, proxyRequest);
        SessionCredentials.Session s = session(request);
        if (s != null && ProxiedRequest.verdict(request) == null) {
            // A session request: only the token's sub and jti are known.
            route.claimHeaders().forEach((claim, header) -> {
                String v = "sub".equals(claim) ? s.sub() : "jti".equals(claim) ? s.jti() : null;
                if (v != null && !v.isEmpty() && v.chars().noneMatch(c -> c < 0x20 || c == 0x7f)) {
                    proxyRequest.headers(h -> h.put(header, v));
                }
            });
        }
    }

    @Override
    protected ContentTransformer newServerResponseContentTransformer(HttpServletRequest request,
                                                                     HttpServletResponse response,
                                                                     Response serverResponse) {
        if (serverResponse.getStatus() != 200 || !isPlaylist(request, serverResponse)) {
            return ContentTransformer.IDENTITY;
        }
        String credential = credentialFor(request);
        if (credential == null) {
            return ContentTransformer.IDENTITY;
        }
        String param = SessionCredentials.PARAM + "=" + credential;
        String host = request.getHeader("Host");
        String path = request.getRequestURI();
        return new PlaylistTransformer(maxPlaylistBytes, text -> {
            PlaylistRewriter.Result r = PlaylistRewriter.rewrite(text, path, host, route.path(), param);
            metrics.hlsRewrite(route.name());
            return r.playlist();
        });
    }

    @Override
    protected void onProxyResponseFailure(HttpServletRequest request, HttpServletResponse response,
                                          Response serverResponse, Throwable failure) {
        if (failure instanceof java.io.IOException && String.valueOf(failure.getMessage()).contains("maxPlaylistBytes")) {
            LOG.warn("route {}: {}", route.name(), failure.getMessage());
        }
        super.onProxyResponseFailure(request, response, serverResponse, failure);
    }

    /** A credential for this response's session: a new one for a token, a renewed one for a session. */
    private String credentialFor(HttpServletRequest request) {
        Verdict v = ProxiedRequest.verdict(request);
        if (v != null) {
            Claims c = v.token().claims();
            String path = request.getRequestURI();
            String prefix = path.substring(0, path.lastIndexOf('/') + 1);
            Object lease = request.getAttribute(LEASE_ATTRIBUTE);
            if (lease == null && replay.mode() == ReplayMode.LIMIT) {
                return null; // under limit, no session without a lease: the children must carry the token
            }
            metrics.hlsSession(route.name(), "issued");
            return credentials.issue(route.name(), prefix, c.iss(), c.jti(), c.sub(),
                    c.exp() == Claims.ABSENT ? Long.MAX_VALUE : c.exp(), lease == null ? "" : (String) lease);
        }
        SessionCredentials.Session s = session(request);
        return s == null ? null : credentials.renew(s);
    }

    private static SessionCredentials.Session session(HttpServletRequest request) {
        return (SessionCredentials.Session) request.getAttribute(HlsSessionFilter.SESSION_ATTRIBUTE);
    }

    static boolean isPlaylist(HttpServletRequest request, Response serverResponse) {
        String type = serverResponse.getHeaders().get(HttpHeader.CONTENT_TYPE);
        if (type != null) {
            String t = type.toLowerCase(Locale.ROOT);
            if (t.startsWith("application/vnd.apple.mpegurl") || t.startsWith("application/x-mpegurl")
                    || t.startsWith("audio/mpegurl") || t.startsWith("audio/x-mpegurl")) {
                return true;
            }
        }
        return request.getRequestURI().toLowerCase(Locale.ROOT).endsWith(".m3u8");
    }
}
