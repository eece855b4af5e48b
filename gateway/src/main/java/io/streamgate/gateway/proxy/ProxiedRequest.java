package io.streamgate.gateway.proxy;

import java.util.List;
import java.util.Map;

import jakarta.servlet.http.HttpServletRequest;

import io.streamgate.filters.ClientAddress;
import io.streamgate.filters.Verdict;
import io.streamgate.filters.token.TokenExtractor;
import io.streamgate.filters.token.TokenSource;
import io.streamgate.filters.servlet.StreamGateFilter;
import io.streamgate.filters.verify.Claims;

/**
 * What the upstream request is made of, shared by the HTTP proxy and the WebSocket relay:
 * the target URI (route prefix replaced by the upstream, token parameter removed), the
 * headers to drop or rewrite (token header or cookie, spoofed forwarding and claim headers),
 * and the headers to add ({@code X-Forwarded-*}, verified {@code claimHeaders}).
 */
public final class ProxiedRequest {
    /** Headers that describe one hop and must not be forwarded (RFC 9110 §7.6.1), plus proxy-only ones. */
    public static final List<String> HOP_BY_HOP = List.of("connection", "keep-alive", "proxy-connection",
            "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade");

    private ProxiedRequest() {
    }

    /** The verdict the filter left on the request, or null on an {@code auth: none} route. */
    public static Verdict verdict(HttpServletRequest request) {
        return (Verdict) request.getAttribute(StreamGateFilter.VERDICT_ATTRIBUTE);
    }

    /**
     * The upstream URI for a request: {@code upstream} + the path after {@code routePath} +
     * the query without the token's parameter.
     */
    public static String target(String upstream, String routePath, HttpServletRequest request, List<TokenSource> strip) {
        String uri = request.getRequestURI();
        String rest = uri.startsWith(routePath) ? uri.substring(routePath.length()) : "";
        StringBuilder sb = new StringBuilder(upstream.length() + rest.length() + 32).append(upstream);
        if (!rest.isEmpty()) {
            boolean upSlash = upstream.endsWith("/");
            boolean restSlash = rest.startsWith("/");
            if (upSlash && restSlash) {
                sb.append(rest, 1, rest.length());
            } else if (!upSlash && !restSlash) {
                sb.append('/').append(rest);
            } else {
                sb.append(rest);
            }
        }
        String query = request.getQueryString();
        for (TokenSource s : strip) {
            query = TokenExtractor.stripQuery(query, s);
        }
        if (query != null && !query.isEmpty()) {
            sb.append('?').append(query);
        }
        return sb.toString();
    }

    /**
     * True when a client header must not reach upstream. Every configured token header is
     * dropped, not only the one the token was taken from: a player may send the token in
     * several places, and session or {@code auth: none} requests have no verdict at all.
     */
    public static boolean dropHeader(String name, HttpServletRequest request, Map<String, String> claimHeaders,
                                     List<TokenSource> strip) {
        String lower = name.toLowerCase(java.util.Locale.ROOT);
        if (HOP_BY_HOP.contains(lower) || lower.equals("forwarded") || lower.startsWith("x-forwarded-")) {
            return true;
        }
        for (String h : claimHeaders.values()) {
            if (h.equalsIgnoreCase(name)) {
                return true; // a viewer must not set X-Viewer-Id themselves
            }
        }
        for (TokenSource s : strip) {
            if (s.kind() == TokenSource.Kind.HEADER && s.name().equalsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    /** The Cookie header value to send upstream (every token cookie removed), or null for none. */
    public static String cookie(String value, HttpServletRequest request, List<TokenSource> strip) {
        String v = value;
        for (TokenSource s : strip) {
            v = TokenExtractor.stripCookie(v, s);
        }
        return v;
    }

    /** {@code X-Forwarded-For}: the peer appended to the chain when the peer is a trusted proxy, else the peer alone. */
    public static String forwardedFor(HttpServletRequest request, ClientAddress trust) {
        String peer = request.getRemoteAddr();
        String prior = request.getHeader("X-Forwarded-For");
        if (prior != null && !prior.isBlank() && trust.isTrusted(peer)) {
            return prior + ", " + peer;
        }
        return peer;
    }

    /** The verified claim values to send as headers: scalars only, without control characters. */
    public static void claimHeaders(Verdict verdict, Map<String, String> claimHeaders,
                                    java.util.function.BiConsumer<String, String> put) {
        if (verdict == null || claimHeaders.isEmpty()) {
            return;
        }
        Claims claims = verdict.token().claims();
        claimHeaders.forEach((claim, header) -> {
            Object v = claims.get(claim);
            if (v instanceof String || v instanceof Number || v instanceof Boolean) {
                String s = v.toString();
                if (s.length() <= 1024 && s.chars().noneMatch(c -> c < 0x20 || c == 0x7f)) {
                    put.accept(header, s);
                }
            }
        });
    }
}
