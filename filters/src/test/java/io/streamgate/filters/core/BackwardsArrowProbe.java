package io.streamgate.filters.core;

import io.streamgate.filters.Authorizer;

/**
 * Test-only: a {@code core} class that depends on the orchestrator, the arrow
 * {@code ArchitectureTest} forbids. It exists so that test can show its rules fail.
 */
final class BackwardsArrowProbe {
    private BackwardsArrowProbe() {
    }

    static Class<?> reachesUp() {
        return Authorizer.class;
    }
}
