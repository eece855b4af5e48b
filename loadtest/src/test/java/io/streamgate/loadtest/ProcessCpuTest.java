package io.streamgate.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

class ProcessCpuTest {
    @Test
    void readsUserPlusSystemTicksCountingFieldsAfterTheCommandName() {
        // a command name with spaces and parentheses must not shift the fields
        String stat = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 2000 0 0 0 1234 567 0 0 20 0 40 0 100 "
                + "9000000000 70000 18446744073709551615 1 1 0 0 0 0 0 16777216 16800975 0 0 0 17 1 0 0 0 0 0";
        assertThat(ProcessCpu.parseStat(stat)).isEqualTo((1234 + 567) / 100.0);
    }

    @Test
    void refusesWhatIsNotAStatLine() {
        assertThatThrownBy(() -> ProcessCpu.parseStat("garbage")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void thisProcessUsesCpuAndAMissingOneIsAUsageError() {
        assumeTrue(Files.exists(Path.of("/proc/self/stat")), "Linux /proc only");
        double before = ProcessCpu.self().seconds();
        long x = 0;
        for (long i = 0; i < 300_000_000L; i++) {
            x += i ^ (x >>> 3);
        }
        assertThat(x).isNotZero();
        assertThat(ProcessCpu.self().seconds()).isGreaterThan(before);
        assertThatThrownBy(() -> ProcessCpu.parse("gw=999999999")).isInstanceOf(UsageException.class)
                .hasMessageContaining("999999999");
        assertThatThrownBy(() -> ProcessCpu.parse("gw=abc")).isInstanceOf(UsageException.class)
                .hasMessageContaining("NAME=PID");
        assertThat(ProcessCpu.parse("gw=" + ProcessHandle.current().pid()).name()).isEqualTo("gw");
    }
}
