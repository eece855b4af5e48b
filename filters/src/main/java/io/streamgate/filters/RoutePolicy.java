package io.streamgate.filters;

import io.streamgate.filters.rules.RouteRules;

/**
 * What one route requires: its name (a metric tag), its path prefix (for {@code {path.N}})
 * and its compiled grant rules.
 */
public record RoutePolicy(String name, String pathPrefix, RouteRules rules) {
    public RoutePolicy {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("route name is required");
        }
        if (pathPrefix == null || !pathPrefix.startsWith("/")) {
            throw new IllegalArgumentException("route path must start with /");
        }
        if (rules == null) {
            rules = RouteRules.none();
        }
    }

    /** A route that only requires a valid token. */
    public static RoutePolicy anyValidToken(String name, String pathPrefix) {
        return new RoutePolicy(name, pathPrefix, RouteRules.none());
    }
}
