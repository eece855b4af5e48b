package io.streamgate.filters.token;

import java.util.List;

import io.streamgate.filters.core.Cookies;
import io.streamgate.filters.core.QueryString;
import io.streamgate.filters.core.RequestView;

/**
 * Finds the token in a request, trying the configured sources in order, and knows how to
 * remove it again from wherever it was found ({@link #stripQuery}, {@link #stripCookie},
 * {@link #stripProtocols}): the origin never sees a viewer's token.
 */
public final class TokenExtractor {
    /** The contract's default order. */
    public static final List<TokenSource> DEFAULT_SOURCES = List.of(
            TokenSource.parse("query:token"), TokenSource.parse("query:jwtoken"),
            TokenSource.parse("header:Authorization"), TokenSource.parse("cookie:sg_token"),
            TokenSource.parse("websocket-protocol"));

    private final TokenSource[] sources;

    public TokenExtractor(List<TokenSource> sources) {
        this.sources = sources.toArray(new TokenSource[0]);
    }

    public List<TokenSource> sources() {
        return List.of(sources);
    }

    /** The first token found, or null when no source holds one (an empty value counts as none). */
    public ExtractedToken extract(RequestView request) {
        for (TokenSource s : sources) {
            String t = switch (s.kind()) {
                case QUERY -> request.query(s.name());
                case HEADER -> fromHeader(request.header(s.name()));
                case COOKIE -> request.cookie(s.name());
                case WEBSOCKET_PROTOCOL -> fromProtocols(request.headers(TokenSource.WEBSOCKET_PROTOCOL_HEADER));
            };
            if (t != null && !t.isEmpty()) {
                return new ExtractedToken(t, s);
            }
        }
        return null;
    }

    /** {@code Bearer <token>} (scheme case-insensitive, RFC 6750), or a bare value in a custom header. */
    private static String fromHeader(String value) {
        if (value == null) {
            return null;
        }
        String v = value.trim();
        if (v.equalsIgnoreCase("Bearer")) {
            return null; // "Bearer " with empty credentials: no token, not a token named "Bearer"
        }
        if (v.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return v.substring(7).trim();
        }
        if (v.indexOf(' ') >= 0) {
            return null; // another scheme (Basic, ...): not ours
        }
        return v;
    }

    /**
     * Browsers cannot set headers on a WebSocket, so players send the raw JWT as one entry of
     * {@code Sec-WebSocket-Protocol}, e.g. {@code h5live, eyJ...}: the entry with two dots.
     */
    private static String fromProtocols(List<String> headerLines) {
        for (String line : headerLines) {
            for (String entry : line.split(",")) {
                String e = entry.trim();
                if (looksLikeJws(e)) {
                    return e;
                }
            }
        }
        return null;
    }

    static boolean looksLikeJws(String s) {
        int first = s.indexOf('.');
        return first > 0 && s.indexOf('.', first + 1) > first;
    }

    /** The raw query without the token's parameter. */
    public static String stripQuery(String rawQuery, TokenSource source) {
        return source.kind() == TokenSource.Kind.QUERY ? QueryString.remove(rawQuery, source.name()) : rawQuery;
    }

    /** A Cookie header without the token's cookie (null when nothing is left). */
    public static String stripCookie(String cookieHeader, TokenSource source) {
        return source.kind() == TokenSource.Kind.COOKIE && cookieHeader != null
                ? Cookies.remove(cookieHeader, source.name()) : cookieHeader;
    }

    /** The subprotocol entries other than the token, in order; the token is never offered upstream. */
    public static List<String> stripProtocols(List<String> headerLines) {
        java.util.ArrayList<String> out = new java.util.ArrayList<>();
        for (String line : headerLines) {
            for (String entry : line.split(",")) {
                String e = entry.trim();
                if (!e.isEmpty() && !looksLikeJws(e)) {
                    out.add(e);
                }
            }
        }
        return out;
    }
}
