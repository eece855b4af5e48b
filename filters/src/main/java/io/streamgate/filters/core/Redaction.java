package io.streamgate.filters.core;

import java.util.ArrayList;
import java.util.List;

/**
 * How a URL the configuration holds is shown in an error, a log line or an admin answer:
 * without its secrets. A Redis URL carries its password in the userinfo
 * ({@code redis://:S3CRET@host:6379}, {@code redis-sentinel://user:S3CRET@h1:26379,h2:26379#m},
 * {@code redis-cluster://:S3CRET@h1:7000,h2:7001}); an HTTP URL (a JWKS endpoint, an upstream)
 * may carry credentials in its userinfo or its query ({@code ?api_key=...}). So:
 * <ul>
 *   <li>the userinfo keeps its user name and loses what follows it: {@code redis://:***@host},
 *       {@code https://reader:***@idp}; a userinfo without {@code :} (Redis reads it as the
 *       password) becomes {@code ***};</li>
 *   <li>every query value becomes {@code ***}, names kept: {@code ?api_key=***&v=***} (a
 *       parameter without {@code =} is all value).</li>
 * </ul>
 * Works on text that is not a valid URI too (a value being reported because it does not
 * parse), erring on the side of hiding: when in doubt, more is hidden, never less.
 */
public final class Redaction {
    /** What stands for a hidden value. */
    public static final String HIDDEN = "***";

    private Redaction() {
    }

    /** The URL with its userinfo password and query values hidden; null stays null. */
    public static String url(String url) {
        if (url == null) {
            return null;
        }
        Parts p = Parts.of(url);
        StringBuilder out = new StringBuilder(url.length());
        out.append(url, 0, p.authorityStart);
        if (p.at >= 0) {
            String userinfo = url.substring(p.authorityStart, p.at);
            int colon = userinfo.indexOf(':');
            out.append(colon >= 0 ? userinfo.substring(0, colon + 1) + HIDDEN : HIDDEN).append('@');
            out.append(url, p.at + 1, p.queryStart);
        } else {
            out.append(url, p.authorityStart, p.queryStart);
        }
        if (p.queryStart < p.queryEnd) { // '?' and the query
            out.append('?');
            String[] params = url.substring(p.queryStart + 1, p.queryEnd).split("&", -1);
            for (int i = 0; i < params.length; i++) {
                if (i > 0) {
                    out.append('&');
                }
                int eq = params[i].indexOf('=');
                out.append(eq >= 0 ? params[i].substring(0, eq + 1) + HIDDEN : params[i].isEmpty() ? "" : HIDDEN);
            }
        }
        if (p.queryEnd < url.length()) {
            out.append(url, p.queryEnd, url.length());
        }
        return out.toString();
    }

    /**
     * {@code text} (e.g. a library's error message about {@code url}) with {@code url} shown as
     * {@link #url(String)} shows it and every secret of it (the userinfo password, query values
     * of 3 characters or more) replaced by {@link #HIDDEN} wherever else it appears.
     */
    public static String scrub(String text, String url) {
        if (text == null || url == null || url.isEmpty()) {
            return text;
        }
        String out = text.replace(url, url(url));
        for (String secret : secrets(url)) {
            out = out.replace(secret, HIDDEN);
        }
        return out;
    }

    /** The secrets a URL holds: the userinfo (whole and its password part) and query values, longest first. */
    static List<String> secrets(String url) {
        Parts p = Parts.of(url);
        List<String> out = new ArrayList<>();
        if (p.at >= 0) {
            String userinfo = url.substring(p.authorityStart, p.at);
            int colon = userinfo.indexOf(':');
            String password = colon >= 0 ? userinfo.substring(colon + 1) : userinfo;
            add(out, password);
            add(out, percentDecoded(password));
        }
        if (p.queryStart < p.queryEnd) {
            for (String param : url.substring(p.queryStart + 1, p.queryEnd).split("&")) {
                String value = param.substring(param.indexOf('=') + 1); // a bare parameter is all value
                add(out, value);
                add(out, percentDecoded(value));
            }
        }
        out.sort((a, b) -> Integer.compare(b.length(), a.length()));
        return out;
    }

    private static void add(List<String> out, String secret) {
        if (secret != null && secret.length() >= 3 && !out.contains(secret)) {
            out.add(secret);
        }
    }

    private static String percentDecoded(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        try {
            return java.net.URLDecoder.decode(s.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }

    /**
     * Where the parts of a URL-like text are: the authority's start (after {@code ://}), the
     * {@code @} ending the userinfo (-1: none), and the query ({@code ?} to the fragment or the
     * end; both at the end when there is none). A text that parses as a URI with a host takes
     * the URI's userinfo; any other (multi-host Redis URLs, values that do not parse) ends the
     * userinfo at its last {@code @}, which hides more (a path or query holding {@code @}),
     * never less (a password holding {@code /}, {@code ?} or {@code #}).
     */
    private record Parts(int authorityStart, int at, int queryStart, int queryEnd) {
        static Parts of(String url) {
            int scheme = url.indexOf("://");
            int start = scheme < 0 ? 0 : scheme + 3;
            int at = url.lastIndexOf('@');
            at = at >= start ? at : -1;
            try {
                java.net.URI u = new java.net.URI(url);
                if (u.getHost() != null && scheme >= 0) {
                    at = u.getRawUserInfo() == null ? -1 : start + u.getRawUserInfo().length();
                }
            } catch (java.net.URISyntaxException e) {
                // not a URI: the last '@'
            }
            int from = at >= 0 ? at + 1 : start;
            int q = url.indexOf('?', from);
            int hash = url.indexOf('#', from);
            if (q < 0 || (hash >= 0 && hash < q)) {
                return new Parts(start, at, url.length(), url.length());
            }
            int end = url.indexOf('#', q);
            return new Parts(start, at, q, end < 0 ? url.length() : end);
        }
    }
}
