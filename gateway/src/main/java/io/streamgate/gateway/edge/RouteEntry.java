package io.streamgate.gateway.edge;

import java.util.List;
import java.util.Set;

import io.streamgate.filters.RoutePolicy;
import io.streamgate.gateway.config.GatewayConfig;

/**
 * One configured route as the edge uses it: its config, the prefix it matches (whole
 * segments, no trailing slash), its methods, the query parameters its rules read, the
 * policy the authorizer checks and the handler that serves it.
 */
public final class RouteEntry {
    private final GatewayConfig.Route config;
    private final String prefix;
    private final RoutePolicy policy;
    private final Set<String> ruleQueryNames;
    private volatile RouteHandler handler;

    public RouteEntry(GatewayConfig.Route config) {
        this.config = config;
        this.prefix = Routes.prefix(config.path());
        // rules count {path.N} after the prefix the edge matched (/live matches /live and /live/...)
        this.policy = config.authRequired()
                ? new RoutePolicy(config.name(), prefix.isEmpty() ? "/" : prefix, config.rules()) : null;
        this.ruleQueryNames = config.rules().queryNames();
    }

    public GatewayConfig.Route config() {
        return config;
    }

    public String name() {
        return config.name();
    }

    /** The matched prefix without a trailing slash ({@code /live} for {@code /live/}); empty for {@code /}. */
    public String prefix() {
        return prefix;
    }

    /** The authorizer's policy, or null on an {@code auth: none} route. */
    public RoutePolicy policy() {
        return policy;
    }

    public List<String> methods() {
        return config.methods();
    }

    Set<String> ruleQueryNames() {
        return ruleQueryNames;
    }

    RouteHandler handler() {
        return handler;
    }

    /** Set once, when the runtime builds the route's handler. */
    public synchronized void handler(RouteHandler h) {
        if (handler != null) {
            throw new IllegalStateException("route " + name() + ": its handler is set once");
        }
        this.handler = java.util.Objects.requireNonNull(h);
    }

    /** True when {@code path} (canonical) is this route's: the prefix on whole segments. */
    public boolean matches(String path) {
        return Routes.matches(prefix, path);
    }
}
