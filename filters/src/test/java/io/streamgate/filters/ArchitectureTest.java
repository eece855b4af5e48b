package io.streamgate.filters;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import org.junit.jupiter.api.Test;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.lang.ArchRule;

import io.streamgate.filters.testing.ArchitectureChecks;

/**
 * The library's arrows run one way: {@code core} (shared types) ← pipeline steps ← the
 * orchestrator ({@code io.streamgate.filters}) ← the servlet adapter; the Redis stores beside
 * it, used by no package here. No two packages depend on each other, however indirectly.
 */
class ArchitectureTest {
    private static final String BASE = "io.streamgate.filters";
    private static final JavaClasses MAIN = ArchitectureChecks.mainClasses(BASE);

    static ArchRule noCycles() {
        return slices().matching("io.streamgate.(**)").should().beFreeOfCycles(); // one slice per package, the root too
    }

    static ArchRule layers() {
        return layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("core").definedBy(BASE + ".core..")
                .layer("steps").definedBy(BASE + ".crypto..", BASE + ".keys..", BASE + ".token..",
                        BASE + ".verify..", BASE + ".rules..", BASE + ".replay..", BASE + ".session..",
                        BASE + ".metrics..", BASE + ".http..")
                .layer("orchestrator").definedBy(BASE)
                .layer("stores").definedBy(BASE + ".redis..")
                .layer("adapters").definedBy(BASE + ".servlet..")
                .whereLayer("adapters").mayNotBeAccessedByAnyLayer()
                .whereLayer("stores").mayNotBeAccessedByAnyLayer()
                .whereLayer("orchestrator").mayOnlyBeAccessedByLayers("adapters")
                .whereLayer("steps").mayOnlyBeAccessedByLayers("orchestrator", "stores", "adapters")
                .whereLayer("core").mayOnlyBeAccessedByLayers("steps", "orchestrator", "stores", "adapters");
    }

    @Test
    void noPackageCycles() {
        noCycles().check(MAIN);
    }

    @Test
    void arrowsRunOneWay() {
        layers().check(MAIN);
    }

    /** The rules can fail: a class of {@code core} that reaches up to the orchestrator breaks both. */
    @Test
    void anArrowDrawnBackwardsFails() {
        ArchitectureChecks.eachFailsOnTheBackwardsProbe(BASE, layers(), noCycles());
    }
}
