package io.streamgate.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.streamgate.demo.Demo;

/**
 * {@code slow-bodies} end to end against the demo (gateway + origin): a few slow senders and
 * viewers, short phases. Its plumbing, not its figures (those are in docs/benchmarks.md).
 */
class SlowBodiesCommandTest {
    @TempDir
    static Path dir;

    static Demo demo;
    static Path tokenFile;

    @BeforeAll
    static void start() throws Exception {
        demo = Demo.start(0, 0, Clock.systemUTC());
        tokenFile = dir.resolve("token.txt");
        Files.writeString(tokenFile, demo.token() + "\n");
    }

    @AfterAll
    static void stop() throws Exception {
        if (demo != null) {
            demo.close();
        }
    }

    @Test
    void runsViewersAloneAndBesideSlowSendersAndReportsBoth() throws Exception {
        Path json = dir.resolve("slow.json");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String target = demo.gateway().uri() + "/live/demo/master.m3u8";
        int code = Main.execute(new PrintStream(out, true), new PrintStream(err, true), "slow-bodies",
                "--target", "gateway=" + target, "--token-file", tokenFile.toString(), "--viewers", "2",
                "--slow", "5", "--slow-interval", "1s", "--phases", "none,slow", "--duration", "3s", "--warmup", "0",
                "--json", json.toString());
        String stdout = out.toString(StandardCharsets.UTF_8);
        String stderr = err.toString(StandardCharsets.UTF_8);
        assertThat(code).as("exit code; stderr:\n%s", stderr).isZero();
        assertThat(stdout).contains("| # | phase |").contains("| 1 | none | gateway |").contains("| 2 | slow | gateway |")
                .contains("viewers' p99 with slow bodies / without:");
        assertThat(stdout + stderr + Files.readString(json)).doesNotContain(demo.token());

        JsonNode report = new ObjectMapper().readTree(json.toFile());
        assertThat(report.get("scenario").asText()).isEqualTo("slow-bodies");
        JsonNode phases = report.get("phases");
        assertThat(phases).hasSize(2);
        assertThat(phases.get(0).get("phase").asText()).isEqualTo("none");
        assertThat(phases.get(0).has("slow")).isFalse();
        JsonNode slow = phases.get(1);
        assertThat(slow.get("phase").asText()).isEqualTo("slow");
        assertThat(slow.get("slowOpenAtStart").asInt()).as("every slow sender connected before the viewers").isEqualTo(5);
        assertThat(slow.get("slow").get("opened").asLong()).isGreaterThanOrEqualTo(5);
        for (JsonNode p : phases) {
            JsonNode viewers = p.get("viewers").get("targets").get(0);
            assertThat(viewers.get("ok").asLong()).as("viewers served in phase %s", p.get("phase")).isPositive();
            assertThat(p.get("loadAverageBefore")).isNotNull();
        }
        assertThat(report.get("summary").has("p99RatioWithToWithout")).isTrue();
    }

    @Test
    void refusesAPhaseThatIsNeitherNoneNorSlowAndANonLoopbackSlowUrl() {
        assertThatThrownBy(() -> SlowBodiesCommand.plan("none,fast")).isInstanceOf(UsageException.class)
                .hasMessageContaining("--phases");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.execute(new PrintStream(new ByteArrayOutputStream(), true), new PrintStream(err, true),
                "slow-bodies", "--target", "http://127.0.0.1:1/live/x.m3u8", "--slow-url", "http://192.0.2.1/renew",
                "--phases", "none");
        assertThat(code).isEqualTo(Main.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("refused target");
    }
}
