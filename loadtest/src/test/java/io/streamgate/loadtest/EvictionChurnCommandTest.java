package io.streamgate.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.streamgate.filters.testing.TestKeys;
import io.streamgate.gateway.config.ConfigLoader;
import io.streamgate.origin.DemoOrigin;
import io.streamgate.gateway.runtime.GatewayServer;

/**
 * {@code eviction-churn} through its command line: bad options are usage errors naming the
 * option (nothing sent), and a two-second run against one real gateway standing for both
 * replicas (memory store, {@code replay: limit}, one session per subject, evict-oldest) seeds
 * revocations, measures joins with and without churn, and sees the churn evict. Two replicas
 * on Redis are measured by hand (docs/benchmarks.md).
 */
class EvictionChurnCommandTest {
    private static final TestKeys KEY = TestKeys.es256("ec");

    @TempDir
    static Path dir;

    static DemoOrigin origin;
    static GatewayServer gateway;
    static Path keyFile;

    @BeforeAll
    static void start() throws Exception {
        origin = DemoOrigin.start("127.0.0.1", 0, Clock.systemUTC());
        keyFile = dir.resolve("private.pem");
        Files.writeString(keyFile, KEY.privatePem());
        Files.writeString(dir.resolve("key.pem"), KEY.publicPem());
        String yaml = "listen: {host: 127.0.0.1, port: 0}\nwarmup: {verifications: 0}\n"
                + "admin: {host: 127.0.0.1, port: 0}\n"
                + "keys: [{kid: " + KEY.kid() + ", file: key.pem}]\n"
                + "replay: {mode: limit, maxSessions: 1, limitBy: sub, onLimit: evict-oldest, timeout: 1s}\n"
                + "routes:\n"
                + "  - {name: hls, path: /live/, type: hls, upstream: '" + origin.httpBase() + "/live/'}\n";
        gateway = GatewayServer.start(new ConfigLoader(System::getenv).parse(yaml, dir), Clock.systemUTC());
    }

    @AfterAll
    static void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        if (origin != null) {
            origin.close();
        }
    }

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.execute(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), args);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static String adminUrl() {
        return "http://127.0.0.1:" + gateway.adminPort();
    }

    private static List<String> args(String... extra) {
        List<String> a = new ArrayList<>(List.of("eviction-churn", "--target-a", gateway.uri().toString(),
                "--target-b", gateway.uri().toString(), "--key", keyFile.toString(), "--kid", KEY.kid()));
        a.addAll(List.of(extra));
        return a;
    }

    @Test
    void badOptionsAreUsageErrorsNamingTheOption() {
        String[][] cases = {
            {"--phases", "none,sometimes"}, {"--phases"},
            {"--churn-rate", "0"}, {"--churn-rate"},
            {"--churn-sub", ""}, {"--churn-sub"},
            {"--concurrency", "0"}, {"--concurrency"},
            {"--concurrency", "5000"}, {"--concurrency"},
            {"--max-joins", "0"}, {"--max-joins"},
            {"--duration", "0s"}, {"--duration"},
            {"--duration", "1h"}, {"--duration"},
            {"--warmup", "soon"}, {"--warmup"},
            {"--timeout", "5m"}, {"--timeout"},
            {"--seed-revocations", "-1"}, {"--seed-revocations"},
            {"--seed-revocations", "10"}, {"--admin-a"},
            {"--seed-concurrency", "0", "--seed-revocations", "1", "--admin-a", adminUrl()}, {"--seed-concurrency"},
            {"--seed-ttl", "forever"}, {"--seed-ttl"},
            {"--seed-wait", "1h"}, {"--seed-wait"},
            {"--path", "live/x.m3u8"}, {"--path"},
            {"--path", "/live/x.m3u8?token=1"}, {"--path"},
            {"--admin-a", "http://10.1.2.3:9090"}, {"--admin-a"},
            {"--admin-b", "ftp://127.0.0.1:9090"}, {"--admin-b"},
            {"--cpu-of", "gateway=abc"}, {"--cpu-of"},
        };
        for (int i = 0; i < cases.length; i += 2) {
            Run r = run(args(cases[i]).toArray(String[]::new));
            assertThat(r.code()).as(String.join(" ", cases[i])).isEqualTo(Main.USAGE);
            assertThat(r.err()).as(String.join(" ", cases[i])).contains(cases[i + 1][0]);
        }
        Run far = run("eviction-churn", "--target-a", "http://10.1.2.3:8080", "--target-b", gateway.uri().toString(),
                "--key", keyFile.toString(), "--kid", KEY.kid());
        assertThat(far.code()).isEqualTo(Main.USAGE);
        assertThat(far.err()).contains("--target-a", "10.1.2.3", "--allow-host");
        Run noKey = run("eviction-churn", "--target-a", gateway.uri().toString(), "--target-b", gateway.uri().toString());
        assertThat(noKey.code()).isEqualTo(Main.USAGE);
        assertThat(noKey.err()).contains("--key");
        Run noB = run("eviction-churn", "--target-a", gateway.uri().toString());
        assertThat(noB.code()).isEqualTo(Main.USAGE);
        assertThat(noB.err()).contains("--target-b");
    }

    @Test
    void noChurnIsOnePhaseWithoutChurn() {
        EvictionChurnCommand c = new EvictionChurnCommand();
        List<String> a = args("--no-churn", "--phases", "churn,churn");
        new picocli.CommandLine(c).parseArgs(a.subList(1, a.size()).toArray(String[]::new));
        EvictionChurnCommand.Plan p = c.plan();
        assertThat(p.phases()).containsExactly(EvictionChurnCommand.Phase.NONE);
        assertThat(p.joinA().toString()).isEqualTo(gateway.uri().resolve("/live/demo/master.m3u8").toString());
        assertThat(p.revocations()).isNull();
        assertThat(p.metrics()).isEmpty();
    }

    @Test
    void metricSumsEverySampleOfTheName() {
        String text = "# HELP x\nstreamgate_session_evictions_total 3.0\nstreamgate_session_evictions_total_other 9\n"
                + "streamgate_revocations_active{a=\"1\"} 2.0\nstreamgate_revocations_active{a=\"2\"} 5.0\n";
        assertThat(EvictionChurnCommand.metric(text, "streamgate_session_evictions_total")).isEqualTo(3.0);
        assertThat(EvictionChurnCommand.metric(text, "streamgate_revocations_active")).isEqualTo(7.0);
        assertThat(EvictionChurnCommand.metric(text, "absent")).isZero();
    }

    @Test
    void seedsRevocationsThenMeasuresJoinsWithAndWithoutChurn() throws Exception {
        Path json = dir.resolve("ec.json");
        Run r = run(args("--admin-a", adminUrl(), "--admin-b", adminUrl(), "--seed-revocations", "50",
                "--seed-concurrency", "4", "--seed-wait", "5s", "--phases", "none,churn", "--warmup", "0s",
                "--duration", "1s", "--concurrency", "2", "--churn-rate", "20", "--max-joins", "2000", "-q",
                "--cpu-of", "self=" + ProcessHandle.current().pid(),
                "--json", json.toString()).toArray(String[]::new));
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("| phase | joins/s |", "| none |", "| churn |", "joins/s with churn / mean without");
        assertThat(r.out() + r.err()).doesNotContain("eyJ");
        JsonNode report = new ObjectMapper().readTree(json.toFile());
        assertThat(report.at("/seed/statuses/201").asLong()).isEqualTo(50);
        assertThat(report.at("/seed/heldByReplicas/0").asDouble()).isGreaterThanOrEqualTo(50);
        JsonNode none = report.at("/phases/0");
        JsonNode churn = report.at("/phases/1");
        assertThat(none.get("phase").asText()).isEqualTo("none");
        assertThat(none.get("joins").asLong()).isPositive();
        assertThat(none.at("/statuses/200").asLong()).isEqualTo(none.get("joins").asLong());
        assertThat(none.has("churn")).isFalse();
        assertThat(churn.get("joins").asLong()).isPositive();
        assertThat(churn.at("/statuses/200").asLong()).isEqualTo(churn.get("joins").asLong());
        assertThat(churn.at("/churn/statuses/200").asLong()).isPositive();
        // one replica counts every eviction; it is read twice (as A and as B)
        assertThat(churn.at("/evictionsCountedByReplicas/0").asDouble()).isPositive();
        assertThat(none.at("/evictionsCountedByReplicas/0").asDouble()).isZero();
        assertThat(report.get("churnToNoneJoinRatios").size()).isEqualTo(1);
        assertThat(churn.get("cpuMicrosPerJoin").asLong()).isPositive();
        assertThat(report.get("churnToNoneJoinsPerCpuSecondRatios").size()).isEqualTo(1);
    }
}
