package io.streamgate.gateway.edge;

import java.util.List;

import io.streamgate.gateway.config.GatewayConfig;

/**
 * Route matching, the same rule the servlet mappings apply: a route's path matches whole
 * segments ({@code /live/} and {@code /live} both match {@code /live} and {@code /live/x},
 * not {@code /livestream}), and the longest matching path wins.
 */
public final class Routes {
    private Routes() {
    }

    public static GatewayConfig.Route match(List<GatewayConfig.Route> routes, String path) {
        GatewayConfig.Route best = null;
        int bestLength = -1;
        for (GatewayConfig.Route r : routes) {
            String p = prefix(r.path());
            if (matches(p, path) && p.length() > bestLength) {
                best = r;
                bestLength = p.length();
            }
        }
        return best;
    }

    /** A route path as a prefix: without its trailing slash ({@code /live/} → {@code /live}; {@code /} → empty). */
    public static String prefix(String routePath) {
        return routePath.endsWith("/") ? routePath.substring(0, routePath.length() - 1) : routePath;
    }

    /** True when {@code path} is under {@code prefix} on whole segments (no allocation: the edge calls it per request). */
    public static boolean matches(String prefix, String path) {
        int n = prefix.length();
        return n == 0 || (path.startsWith(prefix) && (path.length() == n || path.charAt(n) == '/'));
    }
}
