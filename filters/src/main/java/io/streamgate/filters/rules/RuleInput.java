package io.streamgate.filters.rules;

import java.net.URI;

import io.streamgate.filters.core.ClientAddress;
import io.streamgate.filters.core.RequestView;

/**
 * The request values a rule may name: {@code {query.NAME}}, {@code {path.N}} (the N-th
 * segment after the route prefix, from 0), {@code {header.NAME}}, {@code {client.ip}} and
 * {@code {origin.host}} (host of {@code Origin}, else of {@code Referer}). Each resolves to
 * null when the request has no such value, and then the rule fails.
 */
public final class RuleInput {
    private final RequestView request;
    private final String routePrefix;
    private final ClientAddress clientAddress;

    public RuleInput(RequestView request, String routePrefix, ClientAddress clientAddress) {
        this.request = request;
        this.routePrefix = routePrefix;
        this.clientAddress = clientAddress;
    }

    String resolve(Placeholder p) {
        return switch (p.kind()) {
            case QUERY -> request.query(p.name());
            case HEADER -> request.header(p.name());
            case PATH -> pathSegment(p.index());
            case CLIENT_IP -> clientAddress.resolve(request);
            case ORIGIN_HOST -> originHost(request);
        };
    }

    private String pathSegment(int n) {
        String path = request.path();
        int start = path.startsWith(routePrefix) ? routePrefix.length() : 0;
        int seg = 0;
        int i = start;
        while (i < path.length() && path.charAt(i) == '/') {
            i++;
        }
        while (i < path.length()) {
            int end = path.indexOf('/', i);
            if (end < 0) {
                end = path.length();
            }
            if (seg == n) {
                return end > i ? io.streamgate.filters.core.QueryString.decodePath(path.substring(i, end)) : null;
            }
            seg++;
            i = end + 1;
        }
        return null;
    }

    /** The host of {@code Origin}, else of {@code Referer}, or null: what {@code {origin.host}} reads. */
    public static String originHost(RequestView request) {
        String o = request.header("Origin");
        String host = host(o);
        return host != null ? host : host(request.header("Referer"));
    }

    private static String host(String url) {
        if (url == null || url.isEmpty() || url.equals("null")) {
            return null;
        }
        try {
            return URI.create(url.trim()).getHost();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
