package io.streamgate.gateway.edge;

import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * What serves one route's requests once the edge has checked path, method and CORS: an
 * {@code http}, {@code hls} or {@code websocket} route. It must complete {@code callback}
 * exactly once, and never block: authorisation and the upstream leg are asynchronous.
 */
@FunctionalInterface
public interface RouteHandler {
    void handle(Exchange exchange, Request request, Response response, Callback callback);
}
