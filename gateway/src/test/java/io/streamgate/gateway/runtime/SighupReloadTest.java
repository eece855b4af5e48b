package io.streamgate.gateway.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.streamgate.filters.testing.TestKeys;
import io.streamgate.gateway.GatewayHarness;

/**
 * {@code SIGHUP} to a gateway run as {@code run --config FILE} in a child JVM: the JVM's
 * default would stop it (exit 129); the gateway reloads its configuration instead and keeps
 * running. The signal is sent with {@code kill -HUP} (Linux, macOS).
 */
class SighupReloadTest {
    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void sighupReloadsTheConfigurationOfARunningGatewayInsteadOfStoppingIt() throws Exception {
        Path kill = Path.of("/bin/kill");
        assumeTrue(Files.isExecutable(kill) || Files.isExecutable(Path.of("/usr/bin/kill")), "no kill command");
        TestKeys k1 = TestKeys.es256("k1");
        TestKeys k2 = TestKeys.es256("k2");
        Files.writeString(dir.resolve("k1.pem"), k1.publicPem());
        Files.writeString(dir.resolve("k2.pem"), k2.publicPem());
        String head = "listen: {host: 127.0.0.1, port: 0}\nwarmup: {verifications: 0}\n"
                + "admin: {enabled: true, host: 127.0.0.1, port: 0}\n"
                + "routes: [{name: r, path: /r/, type: http, upstream: 'http://127.0.0.1:1/'}]\n";
        Path config = dir.resolve("gateway.yaml");
        Files.writeString(config, head + "keys: [{kid: k1, file: k1.pem}]\n");

        Path log = dir.resolve("gateway.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "io.streamgate.gateway.cli.Main", "run", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            // the child logs the port the system picked for its admin listener
            Pattern bound = Pattern.compile("admin on http://127\\.0\\.0\\.1:(\\d+)");
            assertThat(ConfigReloadTest.eventually(Duration.ofSeconds(60), () -> bound.matcher(read(log)).find()))
                    .as("child gateway up; log:\n%s", read(log)).isTrue();
            Matcher m = bound.matcher(read(log));
            assertThat(m.find()).isTrue();
            int adminPort = Integer.parseInt(m.group(1));
            assertThat(ConfigReloadTest.eventually(Duration.ofSeconds(30), () -> status(adminPort, "/healthz") == 200))
                    .as("its admin listener answers on that port").isTrue();
            assertThat(ConfigReloadTest.eventually(Duration.ofSeconds(30), () -> read(log).contains("SIGHUP"))).isTrue();
            // a build started with SIGHUP ignored (nohup) hands that on: the gateway then says it cannot reload
            assumeTrue(read(log).contains("SIGHUP reloads the configuration"),
                    "SIGHUP is ignored in this process tree (started under nohup?): " + read(log));
            assertThat(body(adminPort, "/keys")).contains("\"kid\":\"k1\"").doesNotContain("\"kid\":\"k2\"");

            Files.writeString(config, head + "keys: [{kid: k1, file: k1.pem}, {kid: k2, file: k2.pem}]\n");
            Process hup = new ProcessBuilder(Files.isExecutable(kill) ? kill.toString() : "/usr/bin/kill",
                    "-HUP", Long.toString(p.pid())).inheritIO().start();
            assertThat(hup.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(hup.exitValue()).isZero();
            assertThat(ConfigReloadTest.eventually(Duration.ofSeconds(60),
                    () -> body(adminPort, "/keys").contains("\"kid\":\"k2\"")))
                    .as(() -> "k2 loaded after SIGHUP; log:\n" + read(log) + "\nthreads:\n" + threads(p)).isTrue();
            assertThat(p.isAlive()).as("still running after SIGHUP").isTrue();
            // counted and logged right after the swap that made k2 visible
            assertThat(ConfigReloadTest.eventually(Duration.ofSeconds(10), () -> body(adminPort, "/metrics")
                    .contains("streamgate_config_reloads_total{result=\"applied\"}"))).isTrue();
            assertThat(ConfigReloadTest.eventually(Duration.ofSeconds(10),
                    () -> read(log).contains("config reload (SIGHUP): applied"))).isTrue();
        } finally {
            p.destroy();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    /**
     * Regression: a gateway started with SIGHUP ignored (nohup) logged "SIGHUP reloads the
     * configuration", yet a {@code kill -HUP} did nothing (the JVM keeps an ignored signal
     * ignored). It now says it cannot reload there, and names {@code POST /reload}.
     */
    @Test
    void aGatewayStartedWithSighupIgnoredSaysItCannotReloadOnIt() throws Exception {
        Path bash = Files.isExecutable(Path.of("/bin/bash")) ? Path.of("/bin/bash") : Path.of("/usr/bin/bash");
        assumeTrue(Files.isExecutable(bash), "no bash to start a child with SIGHUP ignored");
        TestKeys k1 = TestKeys.es256("k1");
        Files.writeString(dir.resolve("k1.pem"), k1.publicPem());
        Path config = dir.resolve("gateway.yaml");
        Files.writeString(config, "listen: {host: 127.0.0.1, port: 0}\nwarmup: {verifications: 0}\n"
                + "admin: {enabled: true, host: 127.0.0.1, port: 0}\nkeys: [{kid: k1, file: k1.pem}]\n"
                + "routes: [{name: r, path: /r/, type: http, upstream: 'http://127.0.0.1:1/'}]\n");
        Path log = dir.resolve("gateway.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // as nohup does: the shell ignores SIGHUP, and exec hands that disposition to the JVM
        ProcessBuilder pb = new ProcessBuilder(bash.toString(), "-c", "trap '' HUP; exec \"$0\" -cp \"$1\" "
                + "io.streamgate.gateway.cli.Main run --config \"$2\"", java, System.getProperty("java.class.path"),
                config.toString());
        Process p = pb.redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            assertThat(ConfigReloadTest.eventually(Duration.ofSeconds(60), () -> read(log).contains("SIGHUP")))
                    .as("child gateway up; log:\n%s", read(log)).isTrue();
            assertThat(read(log)).contains("SIGHUP cannot reload here (this process was started with SIGHUP ignored")
                    .contains("use POST /reload").doesNotContain("SIGHUP reloads the configuration");
            assertThat(p.isAlive()).isTrue();
        } finally {
            p.destroy();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    private int status(int port, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    private String body(int port, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (Exception e) {
            return "";
        }
    }

    private static String read(Path log) {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (Exception e) {
            return "";
        }
    }

    /** The child's thread dump (jcmd), for a failure's message: where a reload waits, if it does. */
    private static String threads(Process p) {
        try {
            Process j = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    Long.toString(p.pid()), "Thread.print").redirectErrorStream(true).start();
            String out = new String(j.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            j.waitFor(30, TimeUnit.SECONDS);
            return out;
        } catch (Exception e) {
            return "(no thread dump: " + e + ")";
        }
    }
}
