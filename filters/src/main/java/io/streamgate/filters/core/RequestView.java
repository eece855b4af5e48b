package io.streamgate.filters.core;

import java.util.List;

/**
 * What the verification core may read of a request: no servlet or Jetty types, so the same
 * core serves the servlet filter, the gateway and the CLI's {@code verify}.
 */
public interface RequestView {
    /** The request path without query, as sent (percent-encoding kept), e.g. {@code /live/ev1/index.m3u8}. */
    String path();

    /** The raw query string without {@code ?}, or null. */
    String rawQuery();

    /** The first value of a query parameter, percent-decoded, or null. */
    default String query(String name) {
        return QueryString.first(rawQuery(), name);
    }

    /** The first value of a header (case-insensitive name), or null. */
    String header(String name);

    /** Every value of a header, one element per header line; empty when absent. */
    List<String> headers(String name);

    /** The value of a cookie, or null. */
    default String cookie(String name) {
        return Cookies.value(headers("Cookie"), name);
    }

    /** The address of the peer that connected to us (not X-Forwarded-For). */
    String remoteAddress();

    /**
     * The request method, upper case. A {@code HEAD} is verified like any request but takes
     * nothing (no one-time use, no session lease): it delivers no body. A view that does not
     * say is a {@code GET}.
     */
    default String method() {
        return "GET";
    }
}
