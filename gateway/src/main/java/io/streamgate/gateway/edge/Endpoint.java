package io.streamgate.gateway.edge;

import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * A gateway endpoint at one fixed path beside the routes (e.g. session renewal): the edge
 * hands it the request after the path and query checks, wrapped in its {@link AccessRecord},
 * and it answers (never throws to the client).
 */
@FunctionalInterface
public interface Endpoint {
    void handle(Request request, Response response, Callback callback);
}
