package io.streamgate.gateway.proxy;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;

import io.streamgate.filters.core.ClientAddress;
import io.streamgate.filters.core.QueryString;
import io.streamgate.filters.token.TokenExtractor;
import io.streamgate.filters.token.TokenSource;
import io.streamgate.filters.verify.Claims;
import io.streamgate.gateway.edge.TraceContext;

/**
 * What the origin gets of a viewer's request, shared by the HTTP proxy and the WebSocket
 * relay: the target URI (route prefix replaced by the upstream, every token parameter and
 * the session credential removed), and the headers — hop-by-hop headers, every token
 * header, cookie and {@code Sec-WebSocket-Protocol} JWS entry dropped, and the method-override
 * headers ({@link io.streamgate.filters.http.MethodOverride}); forwarding headers a
 * viewer could forge dropped unless the peer is a trusted proxy; {@code Referer} without
 * token parameters; {@code X-Forwarded-*}, the verified {@code claimHeaders} and a W3C
 * {@code traceparent} ({@link TraceContext}) set.
 */
public final class UpstreamRequest {
    /** Headers that describe one hop and must not be forwarded (RFC 9110 §7.6.1), plus proxy-only ones. */
    static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection",
            "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "expect");
    /** Client-address headers a viewer could forge: believed only from trusted proxies. */
    static final Set<String> CLIENT_ADDRESS = Set.of("forwarded", "x-real-ip", "true-client-ip", "x-client-ip",
            "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port", "x-forwarded-server");
    private static final int MAX_CLAIM_HEADER = 1024;
    private static final String REQUEST_ID = "X-Request-Id";

    private final String upstream;
    private final String routePrefix;
    private final List<TokenSource> strip;
    private final List<String> extraQueryParams;
    private final Set<String> droppedHeaders;
    private final Map<String, String> claimHeaders;
    private final ClientAddress trust;
    private final Runnable claimHeaderOmitted;

    /**
     * @param routePrefix        the route's prefix without a trailing slash
     * @param strip              the token sources to strip (every configured one)
     * @param extraQueryParams   more query parameters never forwarded (the HLS session credential)
     * @param claimHeaderOmitted counts a claim value that could not be sent
     */
    public UpstreamRequest(String upstream, String routePrefix, List<TokenSource> strip, List<String> extraQueryParams,
                           Map<String, String> claimHeaders, ClientAddress trust, Runnable claimHeaderOmitted) {
        this.upstream = upstream;
        this.routePrefix = routePrefix;
        this.strip = List.copyOf(strip);
        this.extraQueryParams = List.copyOf(extraQueryParams);
        this.claimHeaders = Map.copyOf(claimHeaders);
        this.trust = trust;
        this.claimHeaderOmitted = claimHeaderOmitted;
        Set<String> dropped = new HashSet<>(HOP_BY_HOP);
        dropped.add("host");
        dropped.add("content-length");
        dropped.add("x-request-id"); // the gateway's own is set (copyHeaders)
        claimHeaders.values().forEach(h -> dropped.add(h.toLowerCase(Locale.ROOT))); // a viewer must not set X-Viewer-Id
        // an origin honouring X-HTTP-Method-Override & co. would run a method the route never allowed
        dropped.addAll(io.streamgate.filters.http.MethodOverride.HEADERS);
        for (TokenSource s : strip) {
            if (s.kind() == TokenSource.Kind.HEADER) {
                dropped.add(s.name().toLowerCase(Locale.ROOT));
            }
        }
        this.droppedHeaders = Set.copyOf(dropped);
    }

    /**
     * The upstream URI: {@code upstream} + the canonical path after the route prefix + the
     * query without token parameters. The canonical path is the one routing and rules used.
     */
    public String target(String canonicalPath, String rawQuery) {
        String rest = canonicalPath.length() > routePrefix.length() ? canonicalPath.substring(routePrefix.length()) : "";
        StringBuilder sb = new StringBuilder(upstream.length() + rest.length() + 64).append(upstream);
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
        String query = stripQuery(rawQuery);
        if (query != null && !query.isEmpty()) {
            sb.append('?').append(query);
        }
        return sb.toString();
    }

    /** A raw query without any token parameter or session credential. */
    public String stripQuery(String rawQuery) {
        String query = rawQuery;
        if (query == null || query.isEmpty()) {
            return query;
        }
        for (TokenSource s : strip) {
            query = TokenExtractor.stripQuery(query, s);
        }
        for (String p : extraQueryParams) {
            query = QueryString.removeIgnoringCase(query, p); // SG_SESSION, sg%5Fsession: never to the origin either
        }
        return query;
    }

    /**
     * Copies the viewer's headers that the origin may see into {@code out}, then sets the
     * forwarding headers.
     *
     * @param websocket true for an upgrade, whose {@code Sec-WebSocket-*} headers the client makes anew
     */
    public void copyHeaders(Request request, HttpFields.Mutable out, boolean websocket) {
        HttpFields in = request.getHeaders();
        Set<String> connectionNamed = connectionNamed(in);
        String peer = Request.getRemoteAddr(request);
        boolean trustedPeer = trust.isTrusted(peer);
        for (HttpField f : in) {
            String lower = f.getLowerCaseName();
            if (droppedHeaders.contains(lower) || (connectionNamed != null && connectionNamed.contains(lower))) {
                continue;
            }
            if (CLIENT_ADDRESS.contains(lower) && (!trustedPeer || lower.startsWith("x-forwarded-"))) {
                continue; // X-Forwarded-* are rebuilt below
            }
            if (lower.startsWith("sec-websocket-")) {
                if (websocket) {
                    continue;
                }
                if (lower.equals("sec-websocket-protocol")) {
                    List<String> kept = TokenExtractor.stripProtocols(List.of(f.getValue()));
                    if (!kept.isEmpty()) {
                        out.add(f.getName(), String.join(", ", kept));
                    }
                    continue;
                }
            }
            switch (lower) {
                case "cookie" -> {
                    String v = f.getValue();
                    for (TokenSource s : strip) {
                        v = TokenExtractor.stripCookie(v, s);
                    }
                    if (v != null && !v.isBlank()) {
                        out.add(HttpHeader.COOKIE, v);
                    }
                }
                case "referer" -> {
                    String v = referer(f.getValue());
                    if (v != null) {
                        out.add(HttpHeader.REFERER, v);
                    }
                }
                default -> out.add(f);
            }
        }
        String prior = trustedPeer ? joined(in.getValuesList(HttpHeader.X_FORWARDED_FOR)) : null;
        out.put(HttpHeader.X_FORWARDED_FOR, prior == null || prior.isBlank() ? peer : prior + ", " + peer);
        out.put(HttpHeader.X_FORWARDED_PROTO, forwardedProto(request, trustedPeer));
        String host = forwardedHost(request, trustedPeer);
        if (host != null) {
            out.put(HttpHeader.X_FORWARDED_HOST, host);
        }
        TraceContext.forward(request, out); // the viewer's valid traceparent, else this request's own
        // the origin's logs and the gateway's name a request alike; a viewer's own id never reaches it
        io.streamgate.gateway.edge.AccessRecord record = io.streamgate.gateway.edge.AccessRecord.of(request);
        if (record != null) {
            out.put(REQUEST_ID, record.requestId());
        }
    }

    /**
     * What the origin is told about the viewer's view of the gateway ({@code X-Forwarded-Proto}
     * and {@code -Host}): an origin may build absolute URIs from it, so responses fetched once
     * for many viewers are shared only among viewers with the same value (the origin shield's
     * key). A forged {@code Host} then poisons only its sender's own copy.
     */
    public String forwardedView(Request request) {
        boolean trustedPeer = trust.trustsAny() && trust.isTrusted(Request.getRemoteAddr(request));
        return forwardedProto(request, trustedPeer) + "://" + forwardedHost(request, trustedPeer);
    }

    private static String forwardedProto(Request request, boolean trustedPeer) {
        String proto = trustedPeer ? request.getHeaders().get(HttpHeader.X_FORWARDED_PROTO) : null;
        return proto != null ? proto : request.isSecure() ? "https" : "http";
    }

    private static String forwardedHost(Request request, boolean trustedPeer) {
        HttpFields in = request.getHeaders();
        return trustedPeer && in.contains(HttpHeader.X_FORWARDED_HOST) ? in.get(HttpHeader.X_FORWARDED_HOST)
                : in.get(HttpHeader.HOST);
    }

    /**
     * True when the viewer's request carries something that may make the origin answer it
     * alone: a {@code Range}, a cookie or credential that is not a token source (those are
     * stripped). Such a request is never coalesced with others.
     */
    public boolean isPersonal(Request request) {
        HttpFields in = request.getHeaders();
        if (in.contains(HttpHeader.RANGE)
                || (in.contains(HttpHeader.AUTHORIZATION) && !droppedHeaders.contains("authorization"))) {
            return true;
        }
        for (String cookie : in.getValuesList(HttpHeader.COOKIE)) {
            String v = cookie;
            for (TokenSource s : strip) {
                v = TokenExtractor.stripCookie(v, s);
            }
            if (v != null && !v.isBlank()) {
                return true;
            }
        }
        return false;
    }

    /** A {@code Referer} without token parameters or credential; null to drop it (unparsable). */
    String referer(String value) {
        return QueryString.editUrlQuery(value, this::stripQuery);
    }

    /** Adds the verified claims as headers (percent-encoded UTF-8 where not plain ASCII). */
    public void claimHeaders(Claims claims, HttpFields.Mutable out) {
        if (claims == null || claimHeaders.isEmpty()) {
            return;
        }
        claimHeaders.forEach((claim, header) -> claimHeader(header, claims.get(claim), out));
    }

    /** Adds one claim header from a known value (an HLS session knows only sub and jti). */
    public void claimHeader(String header, Object value, HttpFields.Mutable out) {
        if (value == null) {
            return;
        }
        String encoded = value instanceof String || value instanceof Number || value instanceof Boolean
                ? headerValue(value.toString()) : null;
        if (encoded == null) {
            claimHeaderOmitted.run();
            return;
        }
        out.put(header, encoded);
    }

    public Map<String, String> claimHeaderNames() {
        return claimHeaders;
    }

    /**
     * A claim value as a header value: printable ASCII stays, everything else (non-ASCII,
     * controls, and {@code %} itself so the encoding is unambiguous) is percent-encoded UTF-8
     * (RFC 3986), so {@code 用户A} and {@code 客户A} stay distinct. Null when too long.
     */
    static String headerValue(String v) {
        boolean plain = true;
        for (int i = 0; i < v.length() && plain; i++) {
            char c = v.charAt(i);
            plain = c >= 0x20 && c < 0x7f && c != '%';
        }
        String out;
        if (plain) {
            out = v;
        } else {
            StringBuilder sb = new StringBuilder(v.length() * 3);
            for (byte b : v.getBytes(StandardCharsets.UTF_8)) {
                int u = b & 0xff;
                if (u < 0x20 || u >= 0x7f || u == '%') {
                    sb.append('%').append(HEX[u >> 4]).append(HEX[u & 15]);
                } else {
                    sb.append((char) u);
                }
            }
            out = sb.toString();
        }
        return out.length() <= MAX_CLAIM_HEADER ? out : null;
    }

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private static Set<String> connectionNamed(HttpFields in) {
        Set<String> names = null;
        for (String value : in.getValuesList(HttpHeader.CONNECTION)) {
            for (String name : value.split(",")) {
                if (names == null) {
                    names = new HashSet<>();
                }
                names.add(name.trim().toLowerCase(Locale.ROOT));
            }
        }
        return names;
    }

    private static String joined(List<String> lines) {
        if (lines.isEmpty()) {
            return null;
        }
        return lines.size() == 1 ? lines.get(0) : String.join(", ", lines);
    }
}
