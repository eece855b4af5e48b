package io.streamgate.loadtest;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.SocketAddressResolver;

/**
 * The safety check: the tool sends only to loopback ({@code 127.0.0.0/8}, {@code ::1},
 * {@code localhost}) or to hosts named with {@code --allow-host}. Checked twice: every URL
 * before it is used ({@link #check}, {@link #allows}: targets, and URIs found in playlists),
 * and again at connect time by {@link #resolver()}, which resolves only those hosts and
 * returns only loopback addresses for {@code localhost} — so neither a playlist, a redirect
 * nor a name resolving elsewhere can send a request to another address.
 */
public final class TargetPolicy {
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+");

    private final Set<String> allowed;

    public TargetPolicy(Collection<String> allowHosts) {
        this.allowed = allowHosts == null ? Set.of()
                : allowHosts.stream().map(TargetPolicy::normalise).collect(Collectors.toUnmodifiableSet());
    }

    /** The exception for a URL or address the policy refuses. */
    public static final class RefusedTargetException extends IOException {
        private static final long serialVersionUID = 1L;

        RefusedTargetException(String message) {
            super(message);
        }
    }

    /** Throws {@link UsageException} unless {@code uri}'s host is loopback or allowed. */
    public void check(URI uri) {
        if (!allows(uri)) {
            throw new UsageException("refused target " + Target.display(uri) + ": host \"" + uri.getHost()
                    + "\" is not loopback (127.0.0.0/8, ::1, localhost); pass --allow-host " + uri.getHost()
                    + " to send to it");
        }
    }

    /** True when the URL's host may receive requests. */
    public boolean allows(URI uri) {
        return uri != null && uri.getHost() != null && allowsHost(uri.getHost());
    }

    /** True for loopback literals, {@code localhost} and hosts given with {@code --allow-host}. */
    public boolean allowsHost(String host) {
        return isLoopbackHost(host) || allowed.contains(normalise(host));
    }

    /**
     * True for an IPv4 literal in 127.0.0.0/8, the IPv6 loopback literal (bracketed or not,
     * also IPv4-mapped) and the name {@code localhost}. Never asks DNS.
     */
    public static boolean isLoopbackHost(String host) {
        if (host == null) {
            return false;
        }
        String h = normalise(host);
        if (h.equals("localhost") || h.equals("localhost.")) {
            return true;
        }
        Matcher m = IPV4.matcher(h);
        if (m.matches()) {
            for (int i = 1; i <= 4; i++) {
                if (Integer.parseInt(m.group(i)) > 255) {
                    return false;
                }
            }
            return Integer.parseInt(m.group(1)) == 127;
        }
        if (h.indexOf(':') >= 0 && IPV6.matcher(h).matches()) {
            try {
                return InetAddress.getByName(h).isLoopbackAddress(); // a literal: no lookup
            } catch (IOException e) {
                return false;
            }
        }
        return false;
    }

    private static String normalise(String host) {
        String h = host.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return h;
    }

    /**
     * The connect-time guard for Jetty's HttpClient (and the WebSocketClient built on it):
     * refuses hosts the policy does not allow, and for loopback names keeps only loopback
     * addresses.
     */
    public SocketAddressResolver resolver() {
        return this::resolve;
    }

    void resolve(String host, int port, Map<String, Object> context, Promise<List<InetSocketAddress>> promise) {
        try {
            promise.succeeded(resolve(host, port));
        } catch (IOException e) {
            promise.failed(e);
        }
    }

    /** The addresses a connection to {@code host} may use; never empty. */
    public List<InetSocketAddress> resolve(String host, int port) throws IOException {
        String h = normalise(host);
        boolean explicit = allowed.contains(h);
        if (!explicit && !isLoopbackHost(h)) {
            throw new RefusedTargetException("host \"" + h + "\" is neither loopback nor allowed");
        }
        List<InetSocketAddress> out = new ArrayList<>();
        for (InetAddress a : InetAddress.getAllByName(h)) {
            if (explicit || a.isLoopbackAddress()) {
                out.add(new InetSocketAddress(a, port));
            }
        }
        if (out.isEmpty()) {
            throw new RefusedTargetException("host \"" + h + "\" resolves to no loopback address");
        }
        return out;
    }
}
