package io.streamgate.gateway;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import org.junit.jupiter.api.Test;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.lang.ArchRule;

import io.streamgate.filters.testing.ArchitectureChecks;

/**
 * The gateway's arrows run one way: cli → runtime → features (proxy, hls, dash, websocket,
 * session, admin) → edge → config, logging, metrics → the filters library (which cannot see the
 * gateway at all: Maven builds it first, on its own). Features may use
 * one another (hls composes proxy, dash and session) but never in a circle, and nothing below
 * knows what is above it.
 */
class ArchitectureTest {
    private static final String BASE = "io.streamgate.gateway";
    private static final JavaClasses MAIN = ArchitectureChecks.mainClasses(BASE);

    static ArchRule noCycles() {
        return slices().matching(BASE + ".(**)").should().beFreeOfCycles();
    }

    static ArchRule layers() {
        return layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("cli").definedBy(BASE + ".cli..")
                .layer("runtime").definedBy(BASE + ".runtime..")
                .layer("features").definedBy(BASE + ".proxy..", BASE + ".hls..", BASE + ".dash..",
                        BASE + ".websocket..", BASE + ".session..", BASE + ".admin..")
                .layer("edge").definedBy(BASE + ".edge..")
                .layer("foundation").definedBy(BASE + ".config..", BASE + ".logging..", BASE + ".metrics..")
                .whereLayer("cli").mayNotBeAccessedByAnyLayer()
                .whereLayer("runtime").mayOnlyBeAccessedByLayers("cli")
                .whereLayer("features").mayOnlyBeAccessedByLayers("runtime", "cli")
                .whereLayer("edge").mayOnlyBeAccessedByLayers("features", "runtime", "cli")
                .whereLayer("foundation").mayOnlyBeAccessedByLayers("edge", "features", "runtime", "cli");
    }

    @Test
    void noPackageCycles() {
        noCycles().check(MAIN);
    }

    @Test
    void arrowsRunOneWay() {
        layers().check(MAIN);
    }

    /** The rules can fail: an edge class that reaches up to the runtime breaks both. */
    @Test
    void anArrowDrawnBackwardsFails() {
        ArchitectureChecks.eachFailsOnTheBackwardsProbe(BASE, layers(), noCycles());
    }
}
