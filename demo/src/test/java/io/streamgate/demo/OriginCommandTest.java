package io.streamgate.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;

import io.streamgate.gateway.cli.Main;
import io.streamgate.origin.DemoOrigin;

/** {@code origin}: the demo origin alone, as the docker-compose stack runs it. */
class OriginCommandTest {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesTheLiveOriginUntilStoppedThenExitsZero() throws Exception {
        OriginCommand cmd = new OriginCommand();
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(
                () -> new CommandLine(cmd).execute("--host", "127.0.0.1", "--port", "0"));
        DemoOrigin origin = cmd.started.get(30, TimeUnit.SECONDS);
        try {
            assertThat(origin.port()).isPositive();

            HttpResponse<String> status = get(origin.port(), "/public/status");
            assertThat(status.statusCode()).isEqualTo(200);
            assertThat(status.body()).contains("origin ok");

            HttpResponse<String> master = get(origin.port(), "/live/demo/master.m3u8");
            assertThat(master.statusCode()).isEqualTo(200);
            assertThat(master.body()).startsWith("#EXTM3U");
            assertThat(exit).as("the command joins the running origin").isNotDone();
        } finally {
            origin.close();
        }
        assertThat(exit.get(30, TimeUnit.SECONDS)).as("exit code once the origin stops").isZero();
    }

    @Test
    void isAMainSubcommandWithHelp() {
        assertThat(Main.execute("origin", "--help")).isZero();
        assertThat(Main.commandLine(CommandLine.defaultFactory()).getSubcommands())
                .as("found through ServiceLoader: the demo module adds its commands")
                .containsKeys("origin", "demo");
    }
}
