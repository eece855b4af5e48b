package io.streamgate.loadtest;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;

/**
 * How a token travels, in the gateway's {@code tokens.from} syntax: {@code query:NAME}
 * (default {@code query:token}), {@code header:NAME} ({@code Authorization} gets the
 * {@code Bearer } prefix), {@code cookie:NAME}, or {@code websocket-protocol} (one entry of
 * {@code Sec-WebSocket-Protocol}; WebSocket only, HTTP falls back to {@code query:token}).
 */
public record TokenPlacement(Kind kind, String name) {
    public enum Kind { QUERY, HEADER, COOKIE, PROTOCOL }

    public static TokenPlacement parse(String spec) {
        String s = spec.trim();
        if (s.equalsIgnoreCase("websocket-protocol") || s.equalsIgnoreCase("protocol")) {
            return new TokenPlacement(Kind.PROTOCOL, null);
        }
        int colon = s.indexOf(':');
        if (colon > 0 && colon < s.length() - 1) {
            String name = s.substring(colon + 1);
            switch (s.substring(0, colon).toLowerCase(Locale.ROOT)) {
                case "query":
                    return new TokenPlacement(Kind.QUERY, name);
                case "header":
                    return new TokenPlacement(Kind.HEADER, name);
                case "cookie":
                    return new TokenPlacement(Kind.COOKIE, name);
                default:
                    break;
            }
        }
        throw new UsageException("--token-in: expected query:NAME, header:NAME, cookie:NAME or websocket-protocol, was \""
                + spec + "\"");
    }

    /** Adds the token to an HTTP request (nothing when {@code token} is null). */
    public Request apply(Request request, String token) {
        if (token == null) {
            return request;
        }
        switch (kind) {
            case HEADER -> request.headers(h -> h.put(name,
                    name.equalsIgnoreCase("Authorization") ? "Bearer " + token : token));
            case COOKIE -> request.headers(h -> h.add("Cookie", name + "=" + token));
            case QUERY -> request.param(name, token);
            default -> request.param("token", token);
        }
        return request;
    }

    /** The WebSocket URI with the token in its query, when placed there. */
    public URI applyToUri(URI uri, String token) {
        if (token == null || (kind != Kind.QUERY)) {
            return uri;
        }
        String s = uri.toString();
        int hash = s.indexOf('#');
        if (hash >= 0) {
            s = s.substring(0, hash);
        }
        return URI.create(s + (uri.getRawQuery() == null ? "?" : "&") + URLEncoder.encode(name, StandardCharsets.UTF_8)
                + "=" + URLEncoder.encode(token, StandardCharsets.UTF_8));
    }

    /** Adds the token to a WebSocket upgrade request as a header, cookie or sub-protocol entry. */
    public void apply(ClientUpgradeRequest upgrade, String token, List<String> subProtocols) {
        List<String> protocols = new ArrayList<>(subProtocols == null ? List.of() : subProtocols);
        if (token != null) {
            switch (kind) {
                case HEADER -> upgrade.setHeader(name,
                        name.equalsIgnoreCase("Authorization") ? "Bearer " + token : token);
                case COOKIE -> upgrade.setHeader("Cookie", name + "=" + token);
                case PROTOCOL -> protocols.add(token);
                default -> {
                    // in the URI
                }
            }
        }
        if (!protocols.isEmpty()) {
            upgrade.setSubProtocols(protocols);
        }
    }
}
