package io.streamgate.filters.http;

import java.util.Set;

/**
 * The request headers by which many web frameworks let a client replace the request's method
 * (Spring's and Express's method-override filters, Rails' Rack, Laravel, ASP.NET and others
 * read some of these): {@code X-HTTP-Method-Override}, {@code X-HTTP-Method},
 * {@code X-Method-Override}. Neither adapter forwards them. The route's methods (default
 * {@code GET, HEAD}) are checked on the request line; an origin that honoured one of these
 * would run a {@code DELETE} or {@code POST} the route never allowed, under a viewer's
 * read-only token.
 */
public final class MethodOverride {
    /** The header names, lower case. */
    public static final Set<String> HEADERS = Set.of("x-http-method-override", "x-http-method", "x-method-override");

    private MethodOverride() {
    }
}
