package io.streamgate.gateway.admin;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;

import io.streamgate.gateway.config.GatewayConfig;

/**
 * Who may drive the admin listener from where, beyond {@code admin.token}. A web page in the
 * operator's browser can reach a listener on loopback or a private address: by a form post
 * ({@code POST} with {@code text/plain}, no preflight) or a no-cors {@code fetch}, and by DNS
 * rebinding (its own name re-pointed at the listener's address, so its requests are
 * same-origin to the browser and it can read the answers). Without a token nothing else would
 * stop it. So:
 * <ul>
 *   <li><b>Host</b>: the listener answers only a {@code Host} that names it
 *       ({@link #hostNamesListener}): an address it was reached on, a loopback name or
 *       address, its configured {@code admin.host}, or one of {@code admin.hosts}. A rebinding
 *       page's requests carry the page's own name and are refused ({@code 421}). A request
 *       without {@code Host} (HTTP/1.0 tools) is no browser's and is answered.</li>
 *   <li><b>Cross-site</b>: a mutation with an {@code Origin} other than the listener's own, or a
 *       {@code Sec-Fetch-Site} other than {@code same-origin} or {@code none}, is refused
 *       ({@code 403}). Browsers send {@code Origin} with every {@code POST} and {@code DELETE};
 *       curl, the CLI and scripts send neither header.</li>
 *   <li><b>Content type</b>: a mutation's body is JSON ({@code Content-Type: application/json},
 *       parameters allowed) or absent ({@code 415} otherwise). A page can send only
 *       {@code text/plain}, form or multipart bodies without a preflight the listener never
 *       grants.</li>
 * </ul>
 */
final class AdminAccess {
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-f:.]+");

    private AdminAccess() {
    }

    /** A request that changes something: any method but {@code GET}, {@code HEAD} and {@code OPTIONS}. */
    static boolean isMutation(String method) {
        return !"GET".equals(method) && !"HEAD".equals(method) && !"OPTIONS".equals(method);
    }

    /** True when the request's {@code Host} names this listener (or it has none). */
    static boolean hostNamesListener(Request request, GatewayConfig.Admin admin) {
        String header = request.getHeaders().get(HttpHeader.HOST);
        if (header == null) {
            return true; // HTTP/1.0 without Host: no browser sends that
        }
        SocketAddress local = request.getConnectionMetaData().getLocalSocketAddress();
        return hostNamesListener(header, local instanceof InetSocketAddress a ? a.getAddress() : null,
                admin.host(), admin.hosts());
    }

    /**
     * Whether a {@code Host} header value names the listener: {@code localhost}, a loopback
     * address, the address the connection reached ({@code local}), {@code boundHost} (the
     * configured {@code admin.host}, a name or an address), or an entry of {@code allowed}
     * ({@code admin.hosts}). The port is not compared (the connection reached the listener's
     * port already); names compare case-insensitively, without a trailing dot; addresses by
     * value ({@code [::1]} is {@code [0:0:0:0:0:0:0:1]}). An IP address in {@code Host} cannot
     * come from DNS rebinding, but only the listener's own are answered, as the contract says.
     */
    static boolean hostNamesListener(String header, InetAddress local, String boundHost, List<String> allowed) {
        String host = hostOf(header);
        if (host == null) {
            return false;
        }
        if (host.equals("localhost")) {
            return true;
        }
        InetAddress literal = literal(host);
        if (literal != null) {
            if (literal.isAnyLocalAddress()) {
                return false; // 0.0.0.0 and :: name no listener (browsers send them to loopback)
            }
            if (literal.isLoopbackAddress() || literal.equals(local)) {
                return true;
            }
        }
        String bound = normalise(boundHost);
        if (host.equals(bound) || (literal != null && literal.equals(literal(bound)))) {
            return true;
        }
        for (String a : allowed) {
            if (host.equals(a) || (literal != null && literal.equals(literal(a)))) {
                return true;
            }
        }
        return false;
    }

    /** The host part of a {@code Host} value (lower case, no port, no brackets, no trailing dot), or null when malformed. */
    static String hostOf(String header) {
        String h = header.strip().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            if (end < 0 || !(end == h.length() - 1 || h.charAt(end + 1) == ':')) {
                return null;
            }
            h = h.substring(1, end);
        } else {
            int colon = h.indexOf(':');
            if (colon >= 0) {
                if (h.indexOf(':', colon + 1) >= 0) {
                    return null; // an IPv6 address must be in brackets
                }
                h = h.substring(0, colon);
            }
        }
        h = normalise(h);
        return h == null || h.isEmpty() ? null : h;
    }

    private static String normalise(String host) {
        if (host == null) {
            return null;
        }
        String h = host.strip().toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    /** The address an IP literal names, or null for a name; never a DNS lookup (request data must not trigger one). */
    static InetAddress literal(String host) {
        if (host == null) {
            return null;
        }
        java.util.regex.Matcher m = IPV4.matcher(host);
        if (m.matches()) {
            byte[] b = new byte[4];
            for (int i = 0; i < 4; i++) {
                int octet = Integer.parseInt(m.group(i + 1));
                if (octet > 255) {
                    return null;
                }
                b[i] = (byte) octet;
            }
            try {
                return InetAddress.getByAddress(b);
            } catch (UnknownHostException e) {
                return null;
            }
        }
        if (host.indexOf(':') >= 0 && host.length() <= 45 && IPV6.matcher(host).matches()) {
            try {
                return InetAddress.getByName("[" + host + "]"); // bracketed: parsed, never looked up
            } catch (UnknownHostException e) {
                return null;
            }
        }
        return null;
    }

    /**
     * Null when a mutation may come from here, else the reason it may not:
     * {@code cross_site_request} for an {@code Origin} other than {@code http://<Host>} (the
     * listener's own origin; {@code Origin: null} included) or a {@code Sec-Fetch-Site} other
     * than {@code same-origin} or {@code none}.
     */
    static String crossSite(Request request) {
        String origin = request.getHeaders().get(HttpHeader.ORIGIN);
        if (origin != null) {
            String host = request.getHeaders().get(HttpHeader.HOST);
            if (host == null || !origin.strip().equalsIgnoreCase("http://" + host.strip())) {
                return "cross_site_request";
            }
        }
        String site = request.getHeaders().get("Sec-Fetch-Site");
        if (site != null && !site.strip().equalsIgnoreCase("same-origin") && !site.strip().equalsIgnoreCase("none")) {
            return "cross_site_request";
        }
        return null;
    }

    /**
     * True when the request declares a JSON body ({@code application/json}, parameters such as a
     * charset allowed) in its one {@code Content-Type}.
     */
    static boolean declaresJson(Request request) {
        java.util.List<String> types = request.getHeaders().getValuesList(HttpHeader.CONTENT_TYPE);
        if (types.size() != 1) {
            return false; // none, or two (application/json then text/plain: which one is the body?)
        }
        String type = types.get(0);
        int semi = type.indexOf(';');
        return (semi < 0 ? type : type.substring(0, semi)).strip().equalsIgnoreCase("application/json");
    }

    /** True when a mutation's body is JSON or absent (no {@code Content-Type} and no content). */
    static boolean jsonOrNoBody(Request request) {
        if (request.getHeaders().get(HttpHeader.CONTENT_TYPE) != null) {
            return declaresJson(request);
        }
        long length = request.getLength();
        return length == 0 || (length < 0 && !request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING));
    }
}
