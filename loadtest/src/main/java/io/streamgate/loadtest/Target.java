package io.streamgate.loadtest;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One place the load goes to: a name (used in progress lines, the report and the ratios)
 * and a URL. Parsed from {@code --target URL} or {@code --target name=URL}.
 */
public record Target(String name, URI uri) {

    /** Parses every {@code --target} value; names default to {@code host:port} and are made unique. */
    public static List<Target> parseAll(List<String> specs) {
        List<Target> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (String spec : specs) {
            Target t = parse(spec);
            String name = t.name();
            for (int i = 2; !names.add(name); i++) {
                name = t.name() + "#" + i;
            }
            out.add(new Target(name, t.uri()));
        }
        return out;
    }

    /** {@code URL} or {@code name=URL}; the URL must be absolute http, https, ws or wss with a host. */
    public static Target parse(String spec) {
        String s = spec.trim();
        String name = null;
        int eq = s.indexOf('=');
        int colon = s.indexOf(':');
        if (eq > 0 && (colon < 0 || eq < colon)) {
            name = s.substring(0, eq).trim();
            s = s.substring(eq + 1).trim();
            if (name.isEmpty() || !name.matches("[A-Za-z0-9._-]+")) {
                throw new UsageException("--target: a name is letters, digits, '.', '_' or '-', was \"" + name + "\"");
            }
        }
        URI u;
        try {
            u = new URI(s);
        } catch (URISyntaxException e) {
            throw new UsageException("--target: not a URL: \"" + redact(s) + "\"");
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!List.of("http", "https", "ws", "wss").contains(scheme) || u.getHost() == null) {
            throw new UsageException("--target: expected an absolute http(s):// or ws(s):// URL with a host, was \""
                    + redact(s) + "\"");
        }
        if (u.getRawPath() == null || u.getRawPath().isEmpty()) {
            u = u.resolve("/");
        }
        return new Target(name != null ? name : u.getHost() + ":" + port(u), u);
    }

    /** The URL without query, fragment or user info: safe to print (a query may hold a token). */
    public String display() {
        return display(uri);
    }

    static String display(URI u) {
        return u.getScheme() + "://" + u.getHost() + (u.getPort() >= 0 ? ":" + u.getPort() : "")
                + (u.getRawPath() == null ? "" : u.getRawPath());
    }

    /** The explicit or default port. */
    static int port(URI u) {
        if (u.getPort() >= 0) {
            return u.getPort();
        }
        return switch (u.getScheme().toLowerCase(Locale.ROOT)) {
            case "https", "wss" -> 443;
            default -> 80;
        };
    }

    /** The same URL with an http(s) scheme (for HTTP scenarios given a ws URL). */
    public URI httpUri() {
        return withScheme(uri, uri.getScheme().toLowerCase(Locale.ROOT).replace("ws", "http"));
    }

    /** The same URL with a ws(s) scheme (for the WebSocket scenario given an http URL). */
    public URI wsUri() {
        return withScheme(uri, uri.getScheme().toLowerCase(Locale.ROOT).replace("http", "ws"));
    }

    private static URI withScheme(URI u, String scheme) {
        if (scheme.equals(u.getScheme())) {
            return u;
        }
        return URI.create(scheme + u.toString().substring(u.getScheme().length()));
    }

    private static String redact(String s) {
        int q = s.indexOf('?');
        return q < 0 ? s : s.substring(0, q) + "?...";
    }
}
