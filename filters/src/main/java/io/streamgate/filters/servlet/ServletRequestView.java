package io.streamgate.filters.servlet;

import java.util.Collections;
import java.util.List;

import jakarta.servlet.http.HttpServletRequest;

import io.streamgate.filters.core.RequestView;

/** A {@link RequestView} over a servlet request. Query parameters are read from the raw query only, never from a body. */
public final class ServletRequestView implements RequestView {
    private final HttpServletRequest request;

    public ServletRequestView(HttpServletRequest request) {
        this.request = request;
    }

    @Override
    public String path() {
        return request.getRequestURI();
    }

    @Override
    public String rawQuery() {
        return request.getQueryString();
    }

    @Override
    public String header(String name) {
        return request.getHeader(name);
    }

    @Override
    public List<String> headers(String name) {
        var e = request.getHeaders(name);
        return e == null ? List.of() : Collections.list(e);
    }

    @Override
    public String remoteAddress() {
        return request.getRemoteAddr();
    }

    @Override
    public String method() {
        return request.getMethod();
    }
}
