package io.streamgate.gateway.proxy;

import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import io.streamgate.gateway.edge.Authorization;
import io.streamgate.gateway.edge.Exchange;
import io.streamgate.gateway.edge.RouteHandler;

/** An {@code http} route: authorisation (unless {@code auth: none}), then the upstream proxy. */
public final class HttpRoute implements RouteHandler {
    private final Authorization authorization;
    private final UpstreamProxy proxy;

    /** @param authorization null on an {@code auth: none} route */
    public HttpRoute(Authorization authorization, UpstreamProxy proxy) {
        this.authorization = authorization;
        this.proxy = proxy;
    }

    @Override
    public void handle(Exchange ex, Request request, Response response, Callback callback) {
        if (authorization == null) {
            proxy.forward(ex, request, response, callback);
        } else {
            authorization.authorize(ex, request, response, callback, proxy::forward);
        }
    }
}
