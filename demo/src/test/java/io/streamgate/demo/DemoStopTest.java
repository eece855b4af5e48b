package io.streamgate.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Regression: stopping {@code streamgate demo} (SIGTERM, as Ctrl-C or {@code docker stop})
 * printed {@code Unable to destroy ... IllegalStateException: STARTED} with a stack trace in
 * about half the stops. Two shutdown hooks stopped the gateway at once — Jetty's
 * ({@code setStopAtShutdown}) and the demo's own — and Jetty's, finding the server already
 * STOPPING, went on to destroy handlers the other thread had not stopped yet. The demo now
 * has one hook that stops everything in order. Each run here stops a real demo process with
 * a viewer connected (so the graceful stop takes a while) and reads everything it printed.
 */
class DemoStopTest {
    private static final Pattern GATEWAY = Pattern.compile("^\\s+gateway\\s+(http://\\S+)");
    private static final Pattern TOKEN = Pattern.compile("^TOKEN=(\\S+)");

    @TempDir
    Path dir;

    @Test
    void stoppingTheDemoPrintsNoStackTrace() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (int run = 0; run < 2; run++) {
            Path err = dir.resolve("err-" + run + ".txt");
            Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    "io.streamgate.gateway.cli.Main", "demo", "--port", "0", "--admin-port", "0")
                    .redirectError(err.toFile()).start();
            try {
                String gateway = null;
                String token = null;
                BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                for (String line; (gateway == null || token == null) && (line = out.readLine()) != null; ) {
                    Matcher g = GATEWAY.matcher(line);
                    if (g.find()) {
                        gateway = g.group(1);
                    }
                    Matcher t = TOKEN.matcher(line);
                    if (t.find()) {
                        token = t.group(1);
                    }
                }
                assertThat(gateway).as("the welcome names the gateway; stderr: " + Files.readString(err)).isNotNull();
                assertThat(token).isNotNull();
                HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
                HttpResponse<String> master = http.send(HttpRequest.newBuilder(
                        URI.create(gateway + "/live/demo/master.m3u8?token=" + token)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(master.statusCode()).isEqualTo(200);
                CompletableFuture<Void> closed = new CompletableFuture<>();
                WebSocket ws = http.newWebSocketBuilder().buildAsync(URI.create(gateway.replaceFirst("^http", "ws")
                        + "/h5live/authstream?streamname=demo&token=" + token), new WebSocket.Listener() {
                            @Override
                            public CompletableFuture<?> onClose(WebSocket w, int code, String reason) {
                                closed.complete(null);
                                return null;
                            }
                        }).get(10, TimeUnit.SECONDS);
                assertThat(ws.isInputClosed()).isFalse();
                p.destroy(); // SIGTERM
                assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("the demo stops").isTrue();
                closed.get(10, TimeUnit.SECONDS); // the viewer was closed by the graceful stop
            } finally {
                p.destroyForcibly();
            }
            String printed = Files.readString(err);
            assertThat(printed).as("run " + run + " stderr").doesNotContain("Unable to destroy")
                    .doesNotContain("IllegalStateException").doesNotContain("Exception").doesNotContain("\tat ");
            assertThat(printed).as("the gateway logged its start").contains("StreamGate listening on");
        }
    }
}
