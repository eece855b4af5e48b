package io.streamgate.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The {@code demo} command's own options, through the command line's entry point. */
class DemoCommandTest {
    @Test
    void demoRefusesAPlayerTokenLifetimeItCannotRenew() {
        CliRun tooShort = CliRun.run("demo", "--port", "0", "--admin-port", "0", "--token-ttl", "5s");
        assertThat(tooShort.code()).as(tooShort.toString()).isEqualTo(2);
        assertThat(tooShort.err()).contains("--token-ttl", "5s");
        CliRun notADuration = CliRun.run("demo", "--port", "0", "--admin-port", "0", "--token-ttl", "soon");
        assertThat(notADuration.code()).as(notADuration.toString()).isEqualTo(2);
        assertThat(notADuration.err()).contains("--token-ttl", "soon");
    }
}
