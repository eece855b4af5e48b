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
import io.streamgate.gateway.config.GatewayConfig;
import io.streamgate.demo.Demo;
import io.streamgate.gateway.runtime.GatewayServer;

/**
 * Every scenario end to end through the command line, against real servers on loopback:
 * the demo (gateway + embedded origin, its token in a token file) and a second gateway with
 * a test key and one-time tokens, for the join storm's minted tokens.
 */
class ScenariosTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TestKeys KEY = TestKeys.es256("loadtest");

    @TempDir
    static Path dir;

    static Demo demo;
    static GatewayServer onceGateway;
    static Path tokenFile;
    static Path keyFile;

    @BeforeAll
    static void start() throws Exception {
        demo = Demo.start(0, 0, Clock.systemUTC());
        tokenFile = dir.resolve("token.txt");
        Files.writeString(tokenFile, demo.token() + "\n");
        keyFile = dir.resolve("private.pem");
        Files.writeString(keyFile, KEY.privatePem());
        Path gwDir = Files.createDirectories(dir.resolve("gw"));
        Files.writeString(gwDir.resolve("key.pem"), KEY.publicPem());
        String yaml = "listen: {host: 127.0.0.1, port: 0}\nwarmup: {verifications: 0}\n"
                + "admin: {enabled: false}\n"
                + "keys: [{kid: " + KEY.kid() + ", file: key.pem}]\n"
                + "replay: {mode: once}\n"
                + "routes:\n"
                + "  - name: hls\n"
                + "    path: /live/\n"
                + "    type: hls\n"
                + "    upstream: " + demo.origin().httpBase() + "/live/\n"
                + "    require:\n"
                + "      - { claim: \"roles[].eventId\", contains: \"{path.0}\" }\n";
        GatewayConfig config = new ConfigLoader(System::getenv).parse(yaml, gwDir);
        onceGateway = GatewayServer.start(config, Clock.systemUTC());
    }

    @AfterAll
    static void stop() throws Exception {
        if (onceGateway != null) {
            onceGateway.close();
        }
        if (demo != null) {
            demo.close();
        }
    }

    /** Runs the tool; returns the parsed JSON report. Asserts exit 0 and that no token was printed. */
    private static JsonNode run(String name, String... args) throws Exception {
        Path json = dir.resolve(name + ".json");
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--json", json.toString()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.execute(new PrintStream(out, true), new PrintStream(err, true), all.toArray(String[]::new));
        String stdout = out.toString(StandardCharsets.UTF_8);
        String stderr = err.toString(StandardCharsets.UTF_8);
        assertThat(code).as("exit code; stderr:\n%s", stderr).isZero();
        assertThat(stdout).contains("| target |").contains("p99.9 ms");
        assertThat(stdout + stderr).doesNotContain(demo.token()).doesNotContain("token=ey");
        String text = Files.readString(json);
        assertThat(text).doesNotContain(demo.token());
        return JSON.readTree(text);
    }

    private static String gateway() {
        return demo.gateway().uri().toString();
    }

    private static void assertSanePercentiles(JsonNode target) {
        JsonNode lat = target.get("latencyMicros");
        assertThat(lat.get("count").asLong()).isPositive();
        long p50 = lat.get("p50").asLong();
        long p99 = lat.get("p99").asLong();
        long p999 = lat.get("p999").asLong();
        long max = lat.get("max").asLong();
        assertThat(p50).isPositive().isLessThanOrEqualTo(p99);
        assertThat(p99).isLessThanOrEqualTo(p999);
        assertThat(p999).isLessThanOrEqualTo(max);
    }

    @Test
    void httpRateKeepsTheRateAndRecordsLatencies() throws Exception {
        JsonNode report = run("http-rate", "http-rate", "--rate", "200", "--duration", "2s",
                "--target", "gateway=" + gateway() + "/live/demo/master.m3u8", "--token-file", tokenFile.toString());
        assertThat(report.get("scenario").asText()).isEqualTo("http-rate");
        // no rate or duration bound: a busy machine lags the schedule; the tool's rates are measured in docs/benchmarks.md
        assertThat(report.get("elapsedSeconds").asDouble()).isGreaterThanOrEqualTo(1.9);
        JsonNode t = report.get("targets").get(0);
        assertThat(t.get("name").asText()).isEqualTo("gateway");
        assertThat(t.get("url").asText()).endsWith("/live/demo/master.m3u8");
        assertThat(t.get("requests").asLong()).isBetween(1L, 401L); // never more than the schedule
        // a client that fell behind its schedule (a busy machine) reports the rest as unsent, never
        // as a failure of the gateway
        long unsent = t.get("statusCounts").path("unsent").asLong(0);
        assertThat(t.get("statusCounts").path("200").asLong(0)).isPositive();
        assertThat(t.get("statusCounts").path("200").asLong(0) + unsent).isEqualTo(t.get("requests").asLong());
        assertThat(t.get("errors").asLong()).isEqualTo(unsent);
        java.util.List<String> errorKinds = new java.util.ArrayList<>();
        t.get("errorsByStatus").fieldNames().forEachRemaining(errorKinds::add);
        assertThat(errorKinds).isSubsetOf("unsent");
        assertThat(t.get("throughput").asDouble()).isPositive();
        assertThat(t.get("bytes").asLong()).isPositive();
        assertSanePercentiles(t);
        assertThat(report.has("ratios")).isFalse();
    }

    @Test
    void compareInterleavesTargetsAndPrintsRatios() throws Exception {
        JsonNode report = run("compare", "http-rate", "--rate", "100", "--duration", "1s", "--warmup", "500ms", "--compare",
                "--target", "origin=" + demo.origin().httpBase() + "/live/demo/master.m3u8",
                "--target", "gateway=" + gateway() + "/live/demo/master.m3u8",
                "--target", "denied=" + gateway() + "/live/other/master.m3u8",
                "--token-file", tokenFile.toString(), "--cpu-of", "gateway=" + ProcessHandle.current().pid());
        assertThat(report.get("parameters").get("warmup").asText()).isEqualTo("500ms");
        // named like a target: CPU per request of that target alone (the loadtest's own: per request of all)
        JsonNode cpu = report.get("cpu").get(1);
        assertThat(cpu.get("name").asText()).isEqualTo("gateway");
        if (cpu.get("cpuSeconds").asDouble() > 0) {
            assertThat(cpu.get("cpuMicrosPerUnit").asDouble()).isCloseTo(
                    cpu.get("cpuSeconds").asDouble() * 1e6 / report.get("targets").get(1).get("throughput").asDouble()
                            / report.get("elapsedSeconds").asDouble(), org.assertj.core.data.Percentage.withPercentage(5));
        }
        assertThat(report.get("elapsedSeconds").asDouble()).isGreaterThanOrEqualTo(0.9); // the warm-up is not measured
        JsonNode targets = report.get("targets");
        assertThat(targets).hasSize(3);
        for (JsonNode t : targets) {
            assertThat(t.get("requests").asLong()).as(t.get("name").asText()).isBetween(1L, 101L);
        }
        assertThat(targets.get(0).get("ok").asLong()).isEqualTo(targets.get(0).get("requests").asLong());
        assertThat(targets.get(1).get("ok").asLong()).isEqualTo(targets.get(1).get("requests").asLong());
        // the token grants "demo" only: every request to "other" is a 403, reported by status
        assertThat(targets.get(2).get("ok").asLong()).isZero();
        assertThat(targets.get(2).get("errorsByStatus").get("403").asLong())
                .isEqualTo(targets.get(2).get("requests").asLong());
        JsonNode ratios = report.get("ratios");
        assertThat(ratios).hasSize(2);
        assertThat(ratios.get(0).get("target").asText()).isEqualTo("gateway");
        assertThat(ratios.get(0).get("baseline").asText()).isEqualTo("origin");
        assertThat(ratios.get(0).get("throughput").asDouble()).isPositive();
        assertThat(ratios.get(0).get("p50").asDouble()).isPositive();
        assertThat(ratios.get(1).get("throughput").asDouble()).isZero();
    }

    @Test
    void hlsViewersFollowRewrittenUrisAndFetchSegments() throws Exception {
        JsonNode report = run("hls", "hls-viewers", "--viewers", "3", "--duration", "4s", "--ramp", "200ms",
                "--target", "gateway=" + gateway() + "/live/demo/master.m3u8", "--token-file", tokenFile.toString());
        JsonNode t = report.get("targets").get(0);
        assertThat(t.get("errors").asLong()).as(t.toString()).isZero();
        assertThat(t.get("bytes").asLong()).isPositive();
        JsonNode counters = t.get("counters");
        // each viewer: its master and media playlists, then segments (how many in 4 s depends on the machine)
        assertThat(counters.get("playlists").asLong()).isGreaterThanOrEqualTo(3 * 2);
        assertThat(counters.get("segments").asLong()).isPositive();
        assertThat(t.get("statusCounts").get("200").asLong()).isEqualTo(t.get("requests").asLong());
        assertSanePercentiles(t);
        // the child requests rode on the session credential: the origin saw no token
        assertThat(demo.origin().lastRequestLine()).doesNotContain("token=");
    }

    @Test
    void wsViewersCountFrames() throws Exception {
        String ws = gateway().replaceFirst("^http", "ws") + "/h5live/authstream?streamname=demo";
        JsonNode report = run("ws", "ws-viewers", "--viewers", "2", "--duration", "2s", "--ramp", "100ms",
                "--target", "gateway=" + ws, "--token-file", tokenFile.toString());
        JsonNode t = report.get("targets").get(0);
        assertThat(t.get("statusCounts").get("101").asLong()).isEqualTo(2);
        assertThat(t.get("errors").asLong()).as(t.toString()).isZero();
        assertThat(t.get("counters").get("frames").asLong()).isPositive(); // ~10 frames/s each on a quiet machine
        assertThat(t.get("bytes").asLong()).isPositive();
        assertThat(t.get("throughput").asDouble()).isPositive();
        assertThat(report.get("throughputUnit").asText()).isEqualTo("frames/s");
        // every close handshake completed before the report (the gateway answered each viewer's close)
        assertThat(t.get("counters").get("open_sessions").asLong()).isZero();
    }

    @Test
    void wsViewersReportRefusedUpgradesByStatus() throws Exception {
        String ws = gateway().replaceFirst("^http", "ws") + "/h5live/authstream?streamname=other";
        JsonNode report = run("ws-denied", "ws-viewers", "--viewers", "2", "--duration", "1s", "--ramp", "100ms",
                "--target", ws, "--token-file", tokenFile.toString());
        JsonNode t = report.get("targets").get(0);
        assertThat(t.get("errorsByStatus").get("403").asLong()).isEqualTo(2);
        assertThat(t.get("ok").asLong()).isZero();
    }

    @Test
    void joinStormAdmitsEveryViewerWithItsOwnMintedToken() throws Exception {
        // one-time tokens at the gateway: a token used twice would be 401 replayed
        JsonNode report = run("join", "join-storm", "--viewers", "50", "--over", "2s", "--media",
                "--target", "once=" + onceGateway.uri() + "/live/demo/master.m3u8",
                "--key", keyFile.toString(), "--kid", KEY.kid(),
                "--claim", "roles=[{\"name\":\"ROLE_ATTENDEE\",\"eventId\":\"demo\"}]", "--sub", "storm");
        assertThat(report.get("throughputUnit").asText()).isEqualTo("admitted/s");
        assertThat(report.get("parameters").get("tokens").asText()).startsWith("minted ES256");
        JsonNode t = report.get("targets").get(0);
        assertThat(t.get("requests").asLong()).isEqualTo(50);
        assertThat(t.get("counters").get("admitted").asLong()).as(t.toString()).isEqualTo(50);
        assertThat(t.get("errors").asLong()).isZero();
        assertThat(t.get("throughput").asDouble()).isPositive(); // 50 joins over ~2 s on a quiet machine
        assertSanePercentiles(t);
    }

    @Test
    void joinStormWarmsUpWithTokensOfItsOwnAndReportsCpuPerViewer() throws Exception {
        // one-time tokens: had the warm-up and the storm shared one, the storm would see 401 replayed
        String self = Long.toString(ProcessHandle.current().pid());
        JsonNode report = run("join-warm", "join-storm", "--viewers", "30", "--over", "1s", "--warmup", "1s",
                "--target", "once=" + onceGateway.uri() + "/live/demo/master.m3u8",
                "--key", keyFile.toString(), "--kid", KEY.kid(),
                "--claim", "roles=[{\"eventId\":\"demo\"}]", "--cpu-of", "gateway=" + self);
        assertThat(report.get("parameters").get("warmupJoins").asInt()).isEqualTo(30);
        JsonNode t = report.get("targets").get(0);
        assertThat(t.get("requests").asLong()).as("warm-up joins are not counted").isEqualTo(30);
        assertThat(t.get("counters").get("admitted").asLong()).as(t.toString()).isEqualTo(30);
        assertThat(t.get("errors").asLong()).isZero();
        JsonNode cpu = report.get("cpu");
        assertThat(cpu).hasSize(2);
        assertThat(cpu.get(0).get("name").asText()).startsWith("loadtest");
        assertThat(cpu.get(1).get("name").asText()).isEqualTo("gateway");
        assertThat(cpu.get(1).get("pid").asLong()).isEqualTo(ProcessHandle.current().pid());
        if (Files.exists(Path.of("/proc/self/stat"))) {
            assertThat(cpu.get(1).get("cpuSeconds").asDouble()).isPositive();
            assertThat(cpu.get(1).get("cpuMicrosPerUnit").asDouble())
                    .isEqualTo(cpu.get(1).get("cpuSeconds").asDouble() * 1e6 / 30, org.assertj.core.data.Offset.offset(400.0));
        }
    }

    @Test
    void cpuOfAProcessThatIsNotThereIsAUsageError() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.execute(new PrintStream(new ByteArrayOutputStream(), true), new PrintStream(err, true),
                "http-rate", "--target", gateway() + "/live/demo/master.m3u8", "--cpu-of", "gateway=999999999");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--cpu-of").contains("999999999");
    }

    @Test
    void tokensWritesDistinctTokensThatTheGatewayAdmitsOnceEach() throws Exception {
        Path file = dir.resolve("tokens.txt");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.execute(new PrintStream(out, true), new PrintStream(err, true), "tokens", "--count", "40",
                "--out", file.toString(), "--key", keyFile.toString(), "--kid", KEY.kid(),
                "--claim", "roles=[{\"eventId\":\"demo\"}]");
        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(40).doesNotHaveDuplicates().allMatch(t -> t.split("\\.").length == 3);
        assertThat(out.toString(StandardCharsets.UTF_8) + err).doesNotContain(lines.get(0));
        // one-time tokens at the gateway: each line is admitted once, so all 40 are distinct and valid
        JsonNode report = run("tokens-join", "join-storm", "--viewers", "40", "--over", "1s",
                "--target", "once=" + onceGateway.uri() + "/live/demo/master.m3u8", "--token-file", file.toString());
        assertThat(report.get("targets").get(0).get("counters").get("admitted").asLong()).isEqualTo(40);
        assertThat(Main.execute(new PrintStream(out, true), new PrintStream(err, true), "tokens", "--count", "1",
                "--out", file.toString())).as("minting needs --key").isEqualTo(2);
    }
}
