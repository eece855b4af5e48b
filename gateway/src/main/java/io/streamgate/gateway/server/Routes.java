package io.streamgate.gateway.server;

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
            String p = r.path().endsWith("/") ? r.path().substring(0, r.path().length() - 1) : r.path();
            boolean matches = p.isEmpty() || path.equals(p) || path.startsWith(p + "/");
            if (matches && p.length() > bestLength) {
                best = r;
                bestLength = p.length();
            }
        }
        return best;
    }
}
