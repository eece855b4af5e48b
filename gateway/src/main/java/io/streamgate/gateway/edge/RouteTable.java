package io.streamgate.gateway.edge;

import io.streamgate.filters.Authorizer;

/**
 * The configuration in force as the edge and the endpoints beside the routes see it: the
 * routes, the authorizer, and what each request writes where it finishes. The runtime
 * implements it; a reload swaps it whole, and a request reads it once.
 */
public interface RouteTable {
    /** The route serving {@code path} (canonical): the longest prefix on whole segments, or null. */
    RouteEntry match(String path);

    /** The route named {@code name}, or null. */
    RouteEntry route(String name);

    /** The authorizer of this configuration. */
    Authorizer authorizer();

    /** What this configuration's requests write where they finish (access and denial lines). */
    AccessRecord.Settings access();
}
