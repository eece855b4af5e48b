package io.streamgate.gateway.hls;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites an HLS playlist (RFC 8216, Low-Latency HLS included) so that every URI that
 * points back into the same gateway route carries a query parameter — the session
 * credential — while everything else is left byte for byte: URI lines and the {@code URI="..."}
 * attributes of {@code EXT-X-MAP}, {@code EXT-X-KEY}, {@code EXT-X-SESSION-KEY},
 * {@code EXT-X-MEDIA}, {@code EXT-X-I-FRAME-STREAM-INF}, {@code EXT-X-PART},
 * {@code EXT-X-PRELOAD-HINT} and {@code EXT-X-RENDITION-REPORT}. URIs are resolved against
 * the playlist's own path; relative ones stay relative, existing query parameters are kept,
 * URIs to other hosts or outside the route are not touched; a parameter of the credential's
 * name the origin put on a URI (any case or encoding) is removed first, so the only one is the
 * gateway's. CRLF line endings and a
 * leading BOM are preserved. A pure function: no I/O, no state.
 */
public final class PlaylistRewriter {
    static final Set<String> URI_TAGS = Set.of("#EXT-X-MAP", "#EXT-X-KEY", "#EXT-X-SESSION-KEY", "#EXT-X-MEDIA",
            "#EXT-X-I-FRAME-STREAM-INF", "#EXT-X-PART", "#EXT-X-PRELOAD-HINT", "#EXT-X-RENDITION-REPORT");
    private static final Pattern URI_ATTRIBUTE = Pattern.compile("(?<=[:,])URI=\"([^\"]*)\"");

    private PlaylistRewriter() {
    }

    /** The outcome: the new text and how many URIs were given the parameter. */
    public record Result(String playlist, int rewritten) {
    }

    /**
     * @param playlist     the playlist text
     * @param playlistPath the gateway path the playlist was requested at, e.g. {@code /live/ev1/master.m3u8}
     * @param gatewayHost  the request's {@code Host} (absolute URIs to it count as ours), may be null
     * @param routePrefix  the route's path prefix; only URIs under it get the parameter
     * @param param        the parameter to add, already encoded, e.g. {@code sg_session=abc}
     */
    public static Result rewrite(String playlist, String playlistPath, String gatewayHost, String routePrefix,
                                 String param) {
        StringBuilder out = new StringBuilder(playlist.length() + 256);
        int count = 0;
        int i = 0;
        int n = playlist.length();
        if (n > 0 && playlist.charAt(0) == '\uFEFF') {
            out.append('\uFEFF');
            i = 1;
        }
        String routeBase = routePrefix.endsWith("/") ? routePrefix : routePrefix + "/";
        while (i < n) {
            int nl = playlist.indexOf('\n', i);
            int end = nl < 0 ? n : nl;
            int contentEnd = end > i && playlist.charAt(end - 1) == '\r' ? end - 1 : end;
            String line = playlist.substring(i, contentEnd);
            String rewritten = line;
            String trimmed = line.trim();
            if (!trimmed.isEmpty() && !trimmed.startsWith("#")) {
                String u = withParam(trimmed, playlistPath, gatewayHost, routeBase, param);
                if (u != null) {
                    rewritten = line.replace(trimmed, u);
                    count++;
                }
            } else if (trimmed.startsWith("#EXT") && URI_TAGS.contains(tagName(trimmed))) {
                Matcher m = URI_ATTRIBUTE.matcher(line);
                StringBuilder sb = new StringBuilder();
                boolean changed = false;
                while (m.find()) {
                    String u = withParam(m.group(1), playlistPath, gatewayHost, routeBase, param);
                    if (u != null) {
                        m.appendReplacement(sb, Matcher.quoteReplacement("URI=\"" + u + "\""));
                        changed = true;
                        count++;
                    }
                }
                if (changed) {
                    m.appendTail(sb);
                    rewritten = sb.toString();
                }
            }
            out.append(rewritten).append(playlist, contentEnd, nl < 0 ? n : nl + 1);
            i = nl < 0 ? n : nl + 1;
        }
        return new Result(out.toString(), count);
    }

    private static String tagName(String line) {
        int colon = line.indexOf(':');
        return (colon < 0 ? line : line.substring(0, colon)).toUpperCase(Locale.ROOT);
    }

    /** The URI with the parameter appended, or null when it is not ours to touch. */
    static String withParam(String uri, String playlistPath, String gatewayHost, String routeBase, String param) {
        if (uri.isEmpty() || uri.startsWith("data:") || uri.startsWith("skd:")) {
            return null;
        }
        URI parsed;
        try {
            parsed = new URI(uri);
        } catch (URISyntaxException e) {
            return null;
        }
        String path;
        if (parsed.isAbsolute() || uri.startsWith("//")) {
            String scheme = parsed.getScheme();
            if ((scheme != null && !scheme.equalsIgnoreCase("http") && !scheme.equalsIgnoreCase("https"))
                    || gatewayHost == null || parsed.getRawAuthority() == null
                    || !parsed.getRawAuthority().equalsIgnoreCase(gatewayHost)) {
                return null; // another host: not ours
            }
            path = parsed.getRawPath();
        } else {
            try {
                path = URI.create(playlistPath).resolve(parsed).getRawPath();
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        if (path == null || !path.startsWith(routeBase) || path.contains("/../")) {
            return null; // leaves the route: not ours
        }
        int hash = uri.indexOf('#');
        String body = withoutParam(hash < 0 ? uri : uri.substring(0, hash), param);
        String fragment = hash < 0 ? "" : uri.substring(hash);
        String sep = body.indexOf('?') < 0 ? "?" : (body.endsWith("?") || body.endsWith("&") ? "" : "&");
        return body + sep + param + fragment;
    }

    /**
     * Without any parameter named like {@code param}'s (any case or encoding): an
     * origin-supplied {@code sg_session=...} would come first and shadow the gateway's
     * credential appended after it, so exactly one remains, the gateway's.
     */
    static String withoutParam(String uri, String param) {
        int eq = param.indexOf('=');
        return io.streamgate.filters.core.QueryString.removeFromUrlIgnoringCase(uri,
                eq < 0 ? param : param.substring(0, eq));
    }
}
