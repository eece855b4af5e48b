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
 * {@code revocation-propagation} through its command line: bad options are usage errors
 * naming the option (nothing sent), and a short run against a real gateway (admin and public
 * listener of one replica, memory store) measures every revocation and lifts it afterwards.
 * Two replicas on Redis are measured by hand (docs/benchmarks.md).
 */
class RevocationPropagationCommandTest {
    private static final TestKeys KEY = TestKeys.es256("rp");

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
        List<String> a = new ArrayList<>(List.of("revocation-propagation", "--admin", adminUrl(),
                "--target", gateway.uri().toString(), "--key", keyFile.toString(), "--kid", KEY.kid()));
        a.addAll(List.of(extra));
        return a;
    }

    @Test
    void badOptionsAreUsageErrorsNamingTheOption() {
        String[][] cases = {
            {"--count", "0"}, {"--count"},
            {"--poll", "soon"}, {"--poll"},
            {"--poll", "2s"}, {"--poll"},
            {"--deadline", "5ms", "--poll", "10ms"}, {"--deadline"},
            {"--path", "live/x.m3u8"}, {"--path"},
            {"--path", "/live/x.m3u8?token=1"}, {"--path"},
            {"--spread", "2h"}, {"--spread"},
        };
        for (int i = 0; i < cases.length; i += 2) {
            Run r = run(args(cases[i]).toArray(String[]::new));
            assertThat(r.code()).as(String.join(" ", cases[i])).isEqualTo(Main.USAGE);
            assertThat(r.err()).as(String.join(" ", cases[i])).contains(cases[i + 1][0]);
        }
        Run far = run("revocation-propagation", "--admin", "http://10.1.2.3:9090", "--target", gateway.uri().toString(),
                "--key", keyFile.toString(), "--kid", KEY.kid());
        assertThat(far.code()).isEqualTo(Main.USAGE);
        assertThat(far.err()).contains("10.1.2.3", "--allow-host");
        Run noKey = run("revocation-propagation", "--admin", adminUrl(), "--target", gateway.uri().toString());
        assertThat(noKey.code()).isEqualTo(Main.USAGE);
        assertThat(noKey.err()).contains("--key");
        Run noAdmin = run("revocation-propagation", "--target", gateway.uri().toString());
        assertThat(noAdmin.code()).isEqualTo(Main.USAGE);
        assertThat(noAdmin.err()).contains("--admin");
    }

    @Test
    void aPathTheTargetRefusesStopsTheRunBeforeAnyRevocation() throws Exception {
        Run r = run(args("--path", "/nowhere/x.m3u8", "--count", "2").toArray(String[]::new));
        assertThat(r.code()).isEqualTo(Main.USAGE);
        assertThat(r.err()).contains("did not admit", "404");
        assertThat(revocationsListed()).isZero();
    }

    @Test
    void measuresEveryRevocationAndLiftsIt() throws Exception {
        Path json = dir.resolve("rp.json");
        Run r = run(args("--path", "/live/demo/master.m3u8", "--count", "5", "--spread", "50ms",
                "--json", json.toString())
                .toArray(String[]::new));
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("| revocations | in force at B | p50 | p90 | p99 | max |").contains("| 5 | 5 |");
        assertThat(r.out() + r.err()).doesNotContain("eyJ");
        JsonNode figures = new ObjectMapper().readTree(json.toFile());
        assertThat(figures.get("propagated").asLong()).isEqualTo(5);
        assertThat(figures.get("notPropagated").asLong()).isZero();
        assertThat(figures.get("p99Ms").asDouble()).isPositive().isLessThanOrEqualTo(figures.get("maxMs").asDouble());
        assertThat(revocationsListed()).as("each revocation is lifted once measured").isZero();
    }

    private static int revocationsListed() throws Exception {
        var http = java.net.http.HttpClient.newHttpClient();
        var body = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(adminUrl() + "/revocations")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        return new ObjectMapper().readTree(body).get("revocations").size();
    }
}
