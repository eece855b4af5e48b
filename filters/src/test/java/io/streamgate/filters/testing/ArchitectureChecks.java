package io.streamgate.filters.testing;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;

/** What every module's {@code ArchitectureTest} shares: its main classes, and the proof its rules can fail. */
public final class ArchitectureChecks {
    private ArchitectureChecks() {
    }

    /** The main (non-test) classes under {@code base}. */
    public static JavaClasses mainClasses(String base) {
        return new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages(base);
    }

    /**
     * Each rule fails, naming it, once the module's test-only {@code BackwardsArrowProbe} (a class
     * that imports against the arrows) is imported beside the main classes.
     */
    public static void eachFailsOnTheBackwardsProbe(String base, ArchRule... rules) {
        JavaClasses withProbe = new ClassFileImporter()
                .withImportOption(at -> ImportOption.Predefined.DO_NOT_INCLUDE_TESTS.includes(at)
                        || at.contains("BackwardsArrowProbe"))
                .importPackages(base);
        for (ArchRule rule : rules) {
            assertThatThrownBy(() -> rule.check(withProbe)).isInstanceOf(AssertionError.class)
                    .hasMessageContaining("BackwardsArrowProbe");
        }
    }
}
