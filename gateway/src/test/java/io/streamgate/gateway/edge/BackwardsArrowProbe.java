package io.streamgate.gateway.edge;

import io.streamgate.gateway.runtime.GatewayServer;

/**
 * Test-only: an {@code edge} class that depends on the runtime, the arrow {@code
 * ArchitectureTest} forbids. It exists so that test can show its rules fail.
 */
final class BackwardsArrowProbe {
    private BackwardsArrowProbe() {
    }

    static Class<?> reachesUp() {
        return GatewayServer.class;
    }
}
