package io.streamgate.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.streamgate.gateway.GatewayHarness;
import io.streamgate.demo.OriginCommand;
import io.streamgate.origin.DemoOrigin;
import io.streamgate.gateway.runtime.GatewayServer;

import picocli.CommandLine;

/**
 * README "Your own config in five minutes", step by step: the shell block of that section is
 * read from the README and each {@code java -jar gateway/target/streamgate.jar ...} line runs
 * through the CLI's entry point in-process, against a copy of the shipped
 * {@code conf/gateway.yaml}. The only deviations: the copy's ports (origin 8180, gateway 8080,
 * admin 9090) are replaced by free ones, and its start-up warm-up is off (CPU shared with other tests). Then the {@code curl} line's URL plays the master
 * playlist, the media playlist it names, and a segment through the gateway, and the
 * {@code wscat} line's URL receives the WebSocket stream's frames.
 */
class NewcomerPathTest {
    private static final String JAR = "java -jar gateway/target/streamgate.jar ";

    @TempDir
    Path root;

    private final List<AutoCloseable> running = new ArrayList<>();
    private final List<CompletableFuture<Integer>> exits = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    static Path repo() {
        Path p = Path.of("").toAbsolutePath();
        return Files.exists(p.resolve("conf")) ? p : p.getParent();
    }

    /** The commands of the README section, one per line, comments and blank lines dropped. */
    static List<String> readmeSteps() throws Exception {
        String readme = Files.readString(repo().resolve("README.md"));
        int section = readme.indexOf("## Your own config in five minutes");
        assertThat(section).as("README section").isNotNegative();
        int start = readme.indexOf("```sh\n", section) + 6;
        int end = readme.indexOf("```", start);
        return readme.substring(start, end).lines().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = running.size() - 1; i >= 0; i--) {
            running.get(i).close();
        }
        for (CompletableFuture<Integer> e : exits) {
            assertThat(e.get(30, TimeUnit.SECONDS)).as("exit code once stopped").isZero();
        }
    }

    @Test
    void theReadmeStepsPlayAStreamWithTheShippedConfig() throws Exception {
        // every listener on a port the system picks: the origin's is written into the config once
        // the origin step has started it (before the run step reads the file), the gateway's is read back
        Path conf = root.resolve("conf/gateway.yaml");
        Files.createDirectories(conf.getParent());
        String shipped = Files.readString(repo().resolve("conf/gateway.yaml"));
        String yaml = shipped.replace("${SG_PORT:-8080}", "0")
                .replace("port: 9090 ", "port: 0 ")
                .replace("verifications: 20000 ", "verifications: 0 ");
        assertThat(yaml).as("the ports (and warm-up) were found where the test expects them")
                .contains("127.0.0.1:8180/").doesNotContain("SG_PORT:-8080", "port: 9090 ", "verifications: 20000 ");
        Files.writeString(conf, yaml);
        int gatewayPort = -1;

        List<String> steps = readmeSteps();
        assertThat(steps).anyMatch(s -> s.startsWith(JAR + "keygen")).anyMatch(s -> s.startsWith(JAR + "check-config"))
                .anyMatch(s -> s.startsWith(JAR + "run")).anyMatch(s -> s.contains(JAR + "mint"))
                .anyMatch(s -> s.startsWith("curl -i "));
        String token = null;
        String played = null;
        String websocket = null;
        for (String step : steps) {
            if (step.startsWith(JAR)) {
                String[] args = args(step.substring(JAR.length()));
                switch (args[0]) {
                    case "origin" -> {
                        int originPort = startOrigin(args);
                        Files.writeString(conf, Files.readString(conf).replace("127.0.0.1:8180/",
                                "127.0.0.1:" + originPort + "/"));
                    }
                    case "run" -> {
                        assertThat(Files.readString(conf)).as("the origin step comes before the run step")
                                .doesNotContain(":8180/");
                        gatewayPort = startGateway(args).port();
                    }
                    default -> {
                        Result r = runCommand(args);
                        assertThat(r.exit).as(step + "\n" + r.err).isZero();
                        assertThat(r.err).as(step + ": no warnings (logs may appear in-process)").doesNotContain("warning");
                        if (args[0].equals("check-config")) {
                            assertThat(r.out).startsWith("config OK");
                        }
                    }
                }
            } else if (step.startsWith("TOKEN=$(" + JAR)) {
                String[] args = args(step.substring(("TOKEN=$(" + JAR).length(), step.length() - 1));
                Result r = runCommand(args);
                assertThat(r.exit).as(step + "\n" + r.err).isZero();
                token = r.out.strip();
                assertThat(token.split("\\.")).hasSize(3);
            } else if (step.startsWith("curl -i ")) {
                played = unquote(step.substring("curl -i ".length()));
            } else if (step.startsWith("npx -y wscat -c ")) {
                websocket = unquote(step.substring("npx -y wscat -c ".length()));
            }
        }
        assertThat(token).isNotNull();
        assertThat(gatewayPort).as("the gateway was started").isPositive();
        assertThat(played).contains("$TOKEN", "127.0.0.1:8080/");
        String url = played.replace("127.0.0.1:8080/", "127.0.0.1:" + gatewayPort + "/").replace("$TOKEN", token);

        HttpResponse<byte[]> master = get(url);
        assertThat(master.statusCode()).isEqualTo(200);
        String masterText = new String(master.body(), StandardCharsets.UTF_8);
        assertThat(masterText).startsWith("#EXTM3U");
        String variant = masterText.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).findFirst().orElseThrow();
        URI base = URI.create(url);
        HttpResponse<byte[]> media = get(base.resolve(variant).toString());
        assertThat(media.statusCode()).as(variant).isEqualTo(200);
        String playlist = new String(media.body(), StandardCharsets.UTF_8);
        String segment = playlist.lines().filter(l -> l.contains(".ts")).reduce((a, b) -> b).orElseThrow();
        HttpResponse<byte[]> seg = get(base.resolve(variant).resolve(segment).toString());
        assertThat(seg.statusCode()).as(segment).isEqualTo(200);
        assertThat(seg.body()[0]).as("MPEG-TS sync byte").isEqualTo((byte) 0x47);

        // the WebSocket line: the origin's binary frames arrive through the gateway
        assertThat(websocket).contains("$TOKEN", "127.0.0.1:8080/");
        WebSocketClient client = new WebSocketClient();
        client.start();
        try {
            CompletableFuture<Long> second = new CompletableFuture<>();
            client.connect(new Frames(second), URI.create(websocket.replace("127.0.0.1:8080/",
                    "127.0.0.1:" + gatewayPort + "/").replace("$TOKEN", token))).get(10, TimeUnit.SECONDS);
            assertThat(second.get(10, TimeUnit.SECONDS)).as("frame number of the second frame").isNotNegative();
        } finally {
            client.stop();
        }

        // the README's note: the token grants "demo" only
        HttpResponse<byte[]> other = get(url.replace("/live/demo/", "/live/other/"));
        assertThat(other.statusCode()).isEqualTo(403);
    }

    /** Starts the origin step on a port the system picks; returns that port. */
    private int startOrigin(String[] args) throws Exception {
        OriginCommand cmd = new OriginCommand();
        String[] withPort = java.util.Arrays.copyOf(args, args.length + 2);
        withPort[args.length] = "--port";
        withPort[args.length + 1] = "0";
        exits.add(CompletableFuture.supplyAsync(() -> Main.commandLine(factory(cmd)).execute(withPort)));
        DemoOrigin origin = cmd.started.get(30, TimeUnit.SECONDS);
        running.add(origin);
        return URI.create(origin.httpBase()).getPort();
    }

    private GatewayServer startGateway(String[] args) throws Exception {
        RunCommand cmd = new RunCommand();
        exits.add(CompletableFuture.supplyAsync(() -> Main.commandLine(factory(cmd)).execute(paths(args))));
        GatewayServer gateway = cmd.started.get(60, TimeUnit.SECONDS);
        running.add(gateway);
        return gateway;
    }

    /** A picocli factory handing out {@code held} for its class, so the test can stop what it started. */
    private static CommandLine.IFactory factory(Object held) {
        return new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                return cls.isInstance(held) ? cls.cast(held) : CommandLine.defaultFactory().create(cls);
            }
        };
    }

    private record Result(int exit, String out, String err) {
    }

    /** A one-shot command through {@link Main#execute}, its output captured. */
    private Result runCommand(String[] args) {
        PrintStream savedOut = System.out;
        PrintStream savedErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int exit = Main.execute(paths(args));
            return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
    }

    /** Relative paths of the README ({@code conf/...}) point into the test's copy of the repository root. */
    private String[] paths(String[] args) {
        String[] out = args.clone();
        for (int i = 0; i < out.length; i++) {
            if (out[i].startsWith("conf/")) {
                out[i] = root.resolve(out[i]).toString();
            }
        }
        return out;
    }

    private static final Pattern WORD = Pattern.compile("\"([^\"]*)\"|'([^']*)'|(\\S+)");

    /** Shell words of a simple command line (quotes, no escapes); a trailing {@code &} is dropped. */
    static String[] args(String line) {
        List<String> words = new ArrayList<>();
        Matcher m = WORD.matcher(line.strip());
        while (m.find()) {
            words.add(m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3));
        }
        if (!words.isEmpty() && words.get(words.size() - 1).equals("&")) {
            words.remove(words.size() - 1);
        }
        return words.toArray(String[]::new);
    }

    private static String unquote(String s) {
        String[] a = args(s);
        assertThat(a).hasSize(1);
        return a[0];
    }

    private HttpResponse<byte[]> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    /** Completes with the frame number (the first 8 bytes) of the second binary frame. */
    public static final class Frames implements Session.Listener.AutoDemanding {
        private final CompletableFuture<Long> second;
        private int seen;

        Frames(CompletableFuture<Long> second) {
            this.second = second;
        }

        @Override
        public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
            if (++seen == 2) {
                second.complete(payload.getLong(payload.position()));
            }
            callback.succeed();
        }
    }
}
