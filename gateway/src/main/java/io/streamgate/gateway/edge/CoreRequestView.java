package io.streamgate.gateway.edge;

import java.util.List;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.server.Request;

import io.streamgate.filters.core.RequestView;

/**
 * The verification core's view of a Jetty core {@link Request}: the canonical path (the one
 * routing used), the raw query, headers and the peer address. Reads straight from Jetty's
 * header fields; copies nothing.
 */
public final class CoreRequestView implements RequestView {
    private final Request request;
    private final String path;

    public CoreRequestView(Request request, String canonicalPath) {
        this.request = request;
        this.path = canonicalPath;
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public String rawQuery() {
        return request.getHttpURI().getQuery();
    }

    @Override
    public String header(String name) {
        return request.getHeaders().get(name);
    }

    @Override
    public List<String> headers(String name) {
        HttpFields h = request.getHeaders();
        return h.getValuesList(name);
    }

    @Override
    public String remoteAddress() {
        return Request.getRemoteAddr(request);
    }

    @Override
    public String method() {
        return request.getMethod();
    }
}
