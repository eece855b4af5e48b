package io.streamgate.filters.servlet;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;

import io.streamgate.filters.core.QueryString;
import io.streamgate.filters.token.TokenExtractor;
import io.streamgate.filters.token.TokenSource;

/**
 * The request as the application behind {@link StreamGateFilter} sees it: every configured
 * token source hidden, whether or not it held the token that was used, so that a servlet or
 * a proxy servlet behind the filter never sees (nor forwards) a viewer's token:
 * <ul>
 *   <li>query sources: gone from {@link #getQueryString()} and from the parameters
 *       ({@link #getParameter}, {@link #getParameterValues}, {@link #getParameterNames},
 *       {@link #getParameterMap});</li>
 *   <li>header sources: the header is absent ({@link #getHeader}, {@link #getHeaders},
 *       {@link #getHeaderNames}, {@link #getIntHeader}, {@link #getDateHeader});</li>
 *   <li>cookie sources: gone from {@link #getCookies()} and from the {@code Cookie} header;</li>
 *   <li>every {@code Sec-WebSocket-Protocol} entry that is a JWS (the other entries stay);</li>
 *   <li>{@code Referer}: without the query-source parameters;</li>
 *   <li>the method-override headers ({@link io.streamgate.filters.http.MethodOverride}): the
 *       application must not run another method than the one the filter allowed.</li>
 * </ul>
 * {@link #getRequestURI()} and {@link #getRequestURL()} carry no query and are unchanged.
 */
final class TokenStrippingRequest extends HttpServletRequestWrapper {
    private static final String COOKIE = "cookie";
    private static final String PROTOCOL = "sec-websocket-protocol"; // TokenSource.WEBSOCKET_PROTOCOL_HEADER
    private static final String REFERER = "referer";

    private final List<TokenSource> sources;
    private final Set<String> queryNames = new HashSet<>();
    private final Set<String> hiddenHeaders = new HashSet<>(); // lower case
    private final Set<String> cookieNames = new HashSet<>();

    TokenStrippingRequest(HttpServletRequest request, List<TokenSource> sources) {
        super(request);
        this.sources = List.copyOf(sources);
        hiddenHeaders.addAll(io.streamgate.filters.http.MethodOverride.HEADERS);
        for (TokenSource s : sources) {
            switch (s.kind()) {
                case QUERY -> queryNames.add(s.name());
                case HEADER -> hiddenHeaders.add(s.name().toLowerCase(Locale.ROOT));
                case COOKIE -> cookieNames.add(s.name());
                case WEBSOCKET_PROTOCOL -> { } // JWS entries are always removed, see header()
            }
        }
    }

    /** Wraps once: a request already stripped (a forward or async dispatch) is returned as it is. */
    static HttpServletRequest of(HttpServletRequest request, List<TokenSource> sources) {
        return request instanceof TokenStrippingRequest ? request : new TokenStrippingRequest(request, sources);
    }

    // ---- query and parameters ----

    @Override
    public String getQueryString() {
        return stripQuery(super.getQueryString());
    }

    private String stripQuery(String query) {
        if (query == null || query.isEmpty()) {
            return query;
        }
        for (TokenSource s : sources) {
            query = TokenExtractor.stripQuery(query, s);
            if (query == null) {
                return null;
            }
        }
        return query;
    }

    @Override
    public String getParameter(String name) {
        return queryNames.contains(name) ? null : super.getParameter(name);
    }

    @Override
    public String[] getParameterValues(String name) {
        return queryNames.contains(name) ? null : super.getParameterValues(name);
    }

    @Override
    public Map<String, String[]> getParameterMap() {
        Map<String, String[]> all = super.getParameterMap();
        if (queryNames.isEmpty() || Collections.disjoint(all.keySet(), queryNames)) {
            return all;
        }
        Map<String, String[]> kept = new LinkedHashMap<>(all);
        kept.keySet().removeAll(queryNames);
        return Collections.unmodifiableMap(kept);
    }

    @Override
    public Enumeration<String> getParameterNames() {
        return Collections.enumeration(getParameterMap().keySet());
    }

    // ---- headers and cookies ----

    @Override
    public String getHeader(String name) {
        List<String> values = header(name);
        return values.isEmpty() ? null : values.get(0);
    }

    @Override
    public Enumeration<String> getHeaders(String name) {
        return Collections.enumeration(header(name));
    }

    @Override
    public Enumeration<String> getHeaderNames() {
        List<String> names = new ArrayList<>();
        Enumeration<String> e = super.getHeaderNames();
        while (e != null && e.hasMoreElements()) {
            String n = e.nextElement();
            if (!header(n).isEmpty()) {
                names.add(n);
            }
        }
        return Collections.enumeration(names);
    }

    @Override
    public int getIntHeader(String name) {
        String v = getHeader(name);
        return v == null ? -1 : super.getIntHeader(name);
    }

    @Override
    public long getDateHeader(String name) {
        String v = getHeader(name);
        return v == null ? -1L : super.getDateHeader(name);
    }

    /** The header's lines as the application may see them; empty when hidden or absent. */
    private List<String> header(String name) {
        if (name == null) {
            return List.of();
        }
        String lower = name.toLowerCase(Locale.ROOT);
        if (hiddenHeaders.contains(lower)) {
            return List.of();
        }
        Enumeration<String> e = super.getHeaders(name);
        if (e == null || !e.hasMoreElements()) {
            return List.of();
        }
        List<String> lines = Collections.list(e);
        switch (lower) {
            case COOKIE -> {
                if (cookieNames.isEmpty()) {
                    return lines;
                }
                List<String> out = new ArrayList<>(lines.size());
                for (String line : lines) {
                    String v = line;
                    for (TokenSource s : sources) {
                        v = TokenExtractor.stripCookie(v, s);
                        if (v == null) {
                            break;
                        }
                    }
                    if (v != null && !v.isBlank()) {
                        out.add(v);
                    }
                }
                return out;
            }
            case PROTOCOL -> {
                List<String> kept = TokenExtractor.stripProtocols(lines);
                return kept.isEmpty() ? List.of() : List.of(String.join(", ", kept));
            }
            case REFERER -> {
                List<String> out = new ArrayList<>(lines.size());
                for (String line : lines) {
                    String v = referer(line);
                    if (v != null) {
                        out.add(v);
                    }
                }
                return out;
            }
            default -> {
                return lines;
            }
        }
    }

    /** A {@code Referer} without token parameters; null to hide one whose query cannot be read. */
    private String referer(String value) {
        return queryNames.isEmpty() ? value : QueryString.editUrlQuery(value, this::stripQuery);
    }

    @Override
    public Cookie[] getCookies() {
        Cookie[] all = super.getCookies();
        if (all == null || cookieNames.isEmpty()) {
            return all;
        }
        List<Cookie> kept = new ArrayList<>(all.length);
        for (Cookie c : all) {
            if (!cookieNames.contains(c.getName())) {
                kept.add(c);
            }
        }
        return kept.isEmpty() ? null : kept.toArray(new Cookie[0]);
    }
}
