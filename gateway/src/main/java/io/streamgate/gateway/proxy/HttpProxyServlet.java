package io.streamgate.gateway.proxy;

import java.util.Enumeration;
import java.util.concurrent.TimeoutException;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.ee10.proxy.AsyncMiddleManServlet;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;

import io.streamgate.filters.ClientAddress;
import io.streamgate.filters.DenialReason;
import io.streamgate.filters.servlet.DenialResponse;
import io.streamgate.gateway.config.GatewayConfig;
import io.streamgate.gateway.metrics.GatewayMetrics;

/**
 * The HTTP proxy of one route, extending Jetty's asynchronous proxy through its hooks:
 * client→proxy ({@link #rewriteTarget}: route prefix to upstream, token parameter removed),
 * proxy→server ({@link #copyRequestHeaders}, {@link #addProxyHeaders}: token header or
 * cookie removed, hop-by-hop and spoofable forwarding headers dropped, {@code X-Forwarded-*}
 * and verified claim headers set), server→proxy ({@link #filterServerResponseHeader}) and
 * failures ({@link #sendProxyResponseError}: upstream down → 502 {@code upstream_unavailable},
 * upstream silent past the idle timeout → 504 {@code upstream_timeout}, both contract JSON).
 * Bodies stream through with back-pressure; nothing is buffered whole.
 */
public class HttpProxyServlet extends AsyncMiddleManServlet {
    private static final long serialVersionUID = 1L;
    private static final String START_ATTRIBUTE = "io.streamgate.upstreamStart";

    protected final transient GatewayConfig.Route route;
    private final transient GatewayConfig.Proxy settings;
    protected final transient java.util.List<io.streamgate.filters.token.TokenSource> strip;
    private final transient ClientAddress trust;
    protected final transient GatewayMetrics metrics;
    protected final String upstream;

    public HttpProxyServlet(GatewayConfig.Route route, GatewayConfig.Proxy settings, java.util.List<io.streamgate.filters.token.TokenSource> stripToken,
                            ClientAddress trust, GatewayMetrics metrics) {
        this.route = route;
        this.settings = settings;
        this.strip = stripToken;
        this.trust = trust;
        this.metrics = metrics;
        this.upstream = route.upstream().toString();
    }

    @Override
    protected HttpClient newHttpClient() {
        HttpClient client = super.newHttpClient();
        client.setConnectTimeout(settings.connectTimeout().toMillis());
        client.setIdleTimeout(settings.idleTimeout().toMillis());
        client.setMaxConnectionsPerDestination(settings.maxConnectionsPerUpstream());
        // Jetty's default (1,024) overflows in a join storm: while every thread verifies new
        // tokens, responses of admitted viewers wait, so do their connections, and the queue fills.
        client.setMaxRequestsQueuedPerDestination(settings.maxQueuedPerUpstream());
        client.setFollowRedirects(false);
        client.setUserAgentField(null);
        return client;
    }

    @Override
    protected String rewriteTarget(HttpServletRequest request) {
        request.setAttribute(START_ATTRIBUTE, System.nanoTime());
        return ProxiedRequest.target(upstream, route.path(), request, strip);
    }

    @Override
    protected void copyRequestHeaders(HttpServletRequest request, Request proxyRequest) {
        HttpFields.Mutable headers = HttpFields.build();
        java.util.Set<String> connectionNamed = findConnectionHeaders(request);
        for (Enumeration<String> names = request.getHeaderNames(); names.hasMoreElements(); ) {
            String name = names.nextElement();
            if (HttpHeader.HOST.is(name) || ProxiedRequest.dropHeader(name, request, route.claimHeaders(), strip)
                    || (connectionNamed != null && connectionNamed.contains(name.toLowerCase(java.util.Locale.ROOT)))) {
                continue;
            }
            for (Enumeration<String> values = request.getHeaders(name); values.hasMoreElements(); ) {
                String value = values.nextElement();
                if (HttpHeader.COOKIE.is(name)) {
                    value = ProxiedRequest.cookie(value, request, strip);
                }
                if (value != null) {
                    headers.add(name, value);
                }
            }
        }
        proxyRequest.headers(h -> h.clear().add(headers));
    }

    @Override
    protected void addProxyHeaders(HttpServletRequest request, Request proxyRequest) {
        String host = request.getHeader("Host");
        proxyRequest.headers(h -> {
            h.put("X-Forwarded-For", ProxiedRequest.forwardedFor(request, trust));
            h.put("X-Forwarded-Proto", request.getScheme());
            if (host != null) {
                h.put("X-Forwarded-Host", host);
            }
            ProxiedRequest.claimHeaders(ProxiedRequest.verdict(request), route.claimHeaders(), h::put);
        });
    }

    @Override
    protected void onServerResponseHeaders(HttpServletRequest request, HttpServletResponse response, Response serverResponse) {
        Object start = request.getAttribute(START_ATTRIBUTE);
        if (start instanceof Long t) {
            metrics.upstream(route.name(), serverResponse.getStatus(), System.nanoTime() - t);
        }
        super.onServerResponseHeaders(request, response, serverResponse);
    }

    @Override
    protected String filterServerResponseHeader(HttpServletRequest request, Response serverResponse, String name,
                                                String value) {
        // Our CORS headers stand; the gateway's own Date is sent.
        if (name.regionMatches(true, 0, "Access-Control-", 0, 15) || HttpHeader.DATE.is(name)
                || HttpHeader.SERVER.is(name)) {
            return null;
        }
        return value;
    }

    @Override
    protected int proxyResponseStatus(Throwable failure) {
        return failure instanceof TimeoutException ? 504 : 502;
    }

    @Override
    protected void sendProxyResponseError(HttpServletRequest request, HttpServletResponse response, int status) {
        try {
            if (!response.isCommitted() && (status == 502 || status == 504)) {
                Object start = request.getAttribute(START_ATTRIBUTE);
                if (start instanceof Long t) {
                    metrics.upstream(route.name(), 0, System.nanoTime() - t);
                }
                response.reset();
                DenialResponse.write(request, response,
                        status == 504 ? DenialReason.UPSTREAM_TIMEOUT : DenialReason.UPSTREAM_UNAVAILABLE);
            } else if (!response.isCommitted()) {
                response.sendError(status);
            } else {
                response.sendError(-1); // abort a response already under way
            }
        } catch (Exception e) {
            try {
                response.sendError(-1);
            } catch (Exception ignored) {
                // the connection is gone
            }
        } finally {
            if (request.isAsyncStarted()) {
                request.getAsyncContext().complete();
            }
        }
    }
}
