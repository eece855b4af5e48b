package io.streamgate.filters.token;

import java.util.Locale;

/**
 * One place a token may be found, written in config as {@code query:token},
 * {@code header:Authorization}, {@code cookie:sg_token} or {@code websocket-protocol}.
 */
public record TokenSource(Kind kind, String name) {
    public enum Kind { QUERY, HEADER, COOKIE, WEBSOCKET_PROTOCOL }

    public static final String WEBSOCKET_PROTOCOL_HEADER = "Sec-WebSocket-Protocol";

    /** Parses the config form; throws IllegalArgumentException with a message naming the allowed forms. */
    public static TokenSource parse(String spec) {
        if (spec == null) {
            throw new IllegalArgumentException("missing");
        }
        if (spec.equals("websocket-protocol")) {
            return new TokenSource(Kind.WEBSOCKET_PROTOCOL, WEBSOCKET_PROTOCOL_HEADER);
        }
        int colon = spec.indexOf(':');
        String kind = colon < 0 ? spec : spec.substring(0, colon).toLowerCase(Locale.ROOT);
        String name = colon < 0 ? "" : spec.substring(colon + 1).trim();
        if (name.isEmpty() || !name.chars().allMatch(c -> c > 32 && c < 127 && c != ';' && c != ',')) {
            throw new IllegalArgumentException("not a token source: \"" + spec
                    + "\" (use query:NAME, header:NAME, cookie:NAME or websocket-protocol)");
        }
        return switch (kind) {
            case "query" -> new TokenSource(Kind.QUERY, name);
            case "header" -> new TokenSource(Kind.HEADER, name);
            case "cookie" -> new TokenSource(Kind.COOKIE, name);
            default -> throw new IllegalArgumentException("not a token source: \"" + spec
                    + "\" (use query:NAME, header:NAME, cookie:NAME or websocket-protocol)");
        };
    }

    @Override
    public String toString() {
        return kind == Kind.WEBSOCKET_PROTOCOL ? "websocket-protocol" : kind.name().toLowerCase(Locale.ROOT) + ":" + name;
    }
}
