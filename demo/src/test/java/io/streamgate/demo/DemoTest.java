package io.streamgate.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The demo starts, and the token it prints plays through the gateway. */
class DemoTest {
    private static Demo demo;
    private static String printed;
    private static String token;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        demo = Demo.start(0, 0, Clock.systemUTC());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        demo.printWelcome(new PrintStream(out, true, StandardCharsets.UTF_8));
        printed = out.toString(StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("(?m)^TOKEN=(\\S+)$").matcher(printed);
        assertThat(m.find()).as("the welcome prints TOKEN=...").isTrue();
        token = m.group(1);
    }

    @AfterAll
    static void stop() throws Exception {
        demo.close();
    }

    private HttpResponse<byte[]> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url.replace("$TOKEN", token))).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    /** The URL inside the printed line containing {@code marker}. */
    private static String printedUrl(String marker) {
        for (String line : printed.lines().toList()) {
            if (line.contains(marker)) {
                Matcher m = Pattern.compile("\"((?:http|ws)[^\"]+)\"").matcher(line);
                if (m.find()) {
                    return m.group(1);
                }
            }
        }
        throw new AssertionError("no printed line with " + marker + " in:\n" + printed);
    }

    @Test
    void printsTheGatewayTokenCommandsAndMetrics() {
        assertThat(printed).contains(demo.gateway().uri().toString(), "/metrics", "curl -i", "ffplay");
        // non-interactive: npx would otherwise stop at "Ok to proceed? (y)" before installing wscat
        assertThat(printed).contains("  npx -y wscat -c \"ws://");
    }

    /** Runs a printed shell line with the system's curl, and returns its output. */
    private static String shell(String line) throws Exception {
        Process p = new ProcessBuilder("/bin/sh", "-c", line.strip()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    @Test
    void printedCurlRevocationIsAcceptedAndTheWelcomeSaysWhyATokenMattersOffLoopback() throws Exception {
        // printed beside the admin URL: why this admin API has no token, and when one is needed
        assertThat(printed).contains(Demo.ADMIN_NOTE);
        assertThat(Demo.ADMIN_NOTE).contains("127.0.0.1 only", "Off loopback set admin.token",
                "anyone who reaches the port can revoke viewers");
        String post = printed.lines().filter(l -> l.contains("curl -i -X POST ")).findFirst().orElseThrow();
        assertThat(post).as("the admin API takes changes as JSON only").contains("-H 'Content-Type: application/json'");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isExecutable(java.nio.file.Path.of("/usr/bin/curl"))
                || java.nio.file.Files.isExecutable(java.nio.file.Path.of("/bin/curl")), "no curl on this machine");
        String answer = shell(post);
        assertThat(answer).as(answer).contains("HTTP/1.1 201");
        Matcher id = Pattern.compile("\\{\"id\":\"([^\"]+)\"").matcher(answer);
        assertThat(id.find()).isTrue();
        // and lifted as printed
        String lift = printed.lines().filter(l -> l.contains("curl -X DELETE ")).findFirst().orElseThrow();
        String delete = lift.substring(lift.indexOf("curl -X DELETE ")).replace("<id>", id.group(1));
        assertThat(shell("curl -s -o /dev/null -w '%{http_code}' " + delete.substring("curl ".length()))).isEqualTo("204");
    }

    @Test
    void printedCurlCommandPlaysThePlaylistAndSegments() throws Exception {
        String master = printedUrl("curl -i \"" + demo.gateway().uri() + "/live/demo/master.m3u8?token=$TOKEN");
        HttpResponse<byte[]> r = get(master);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).startsWith("#EXTM3U").contains("media.m3u8");
        HttpResponse<byte[]> media = get(demo.gateway().uri() + "/live/demo/media.m3u8?token=$TOKEN");
        String playlist = new String(media.body(), StandardCharsets.UTF_8);
        assertThat(playlist).contains("#EXT-X-MEDIA-SEQUENCE:");
        // Segments carry the gateway's session credential: follow them as a player does, without the token.
        String segment = playlist.lines().filter(l -> l.contains(".ts?sg_session=")).reduce((a, b) -> b).orElseThrow();
        HttpResponse<byte[]> seg = get(demo.gateway().uri() + "/live/demo/" + segment);
        assertThat(seg.statusCode()).isEqualTo(200);
        assertThat(seg.headers().firstValue("Content-Type")).contains("video/mp2t");
        assertThat(seg.body().length).isGreaterThan(10_000);
        assertThat(seg.body()[0]).as("MPEG-TS sync byte").isEqualTo((byte) 0x47);
        assertThat(demo.origin().lastRequestLine()).doesNotContain("token");
    }

    @Test
    void playerPageServesTheTokenAndHlsJsFromTheGateway() throws Exception {
        HttpResponse<byte[]> page = get(demo.gateway().uri() + "/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/html"));
        // the page gets its own short token (renewed in the background), not the printed 24 h one
        String html = new String(page.body(), StandardCharsets.UTF_8);
        assertThat(html).contains("/player/hls.min.js").doesNotContain(token)
                .doesNotContain("__TOKEN__").doesNotContain("cdn");
        Matcher t = Pattern.compile("<textarea id=\"token\"[^>]*>([A-Za-z0-9_.-]+)</textarea>").matcher(html);
        assertThat(t.find()).isTrue();
        assertThat(get(demo.gateway().uri() + "/live/demo/master.m3u8?token=" + t.group(1)).statusCode()).isEqualTo(200);
        HttpResponse<byte[]> js = get(demo.gateway().uri() + "/player/hls.min.js");
        assertThat(js.statusCode()).isEqualTo(200);
        assertThat(js.body().length).isGreaterThan(100_000);
    }

    @Test
    void printedDashCommandPlaysTheManifestAndDashJsIsServedWhenTheBuildBundledIt() throws Exception {
        String mpd = printedUrl("curl -i \"" + demo.gateway().uri() + "/live/demo/manifest.mpd?token=$TOKEN");
        HttpResponse<byte[]> r = get(mpd);
        assertThat(r.statusCode()).isEqualTo(200);
        String body = new String(r.body(), StandardCharsets.UTF_8);
        assertThat(body).contains("type=\"dynamic\"").contains("media=\"seg-$RepresentationID$-$Number$.m4s?sg_session=")
                .contains("<Location>manifest.mpd?sg_session=");
        boolean bundled = PlayerHandler.class.getResource("/META-INF/resources/dashjs/dash.all.min.js") != null;
        String page = new String(get(demo.gateway().uri() + "/").body(), StandardCharsets.UTF_8);
        HttpResponse<byte[]> js = get(demo.gateway().uri() + "/player/dash.all.min.js");
        if (bundled) {
            assertThat(page).contains("<script src=\"/player/dash.all.min.js\"></script>");
            assertThat(js.statusCode()).isEqualTo(200);
            assertThat(js.body().length).isGreaterThan(100_000);
        } else {
            System.err.println("!!! dash.js not bundled (built offline or with -Ddashjs.skip): the page plays HLS only");
            assertThat(page).doesNotContain("dash.all.min.js");
            assertThat(js.statusCode()).isEqualTo(404);
        }
    }

    @Test
    void printedDenialsDenyWithTheirReasons() throws Exception {
        HttpResponse<byte[]> tampered = get(printedUrl("401 bad_signature"));
        assertThat(tampered.statusCode()).isEqualTo(401);
        assertThat(new String(tampered.body(), StandardCharsets.UTF_8)).contains("\"reason\":\"bad_signature\"");
        HttpResponse<byte[]> other = get(printedUrl("403 forbidden"));
        assertThat(other.statusCode()).isEqualTo(403);
        HttpResponse<byte[]> metrics = get("http://127.0.0.1:" + demo.gateway().adminPort() + "/metrics");
        assertThat(new String(metrics.body(), StandardCharsets.UTF_8))
                .contains("streamgate_decisions_total{reason=\"bad_signature\",result=\"denied\",route=\"hls\"}");
    }

    @Test
    void printedWebSocketCommandStreamsFrames() throws Exception {
        String ws = printedUrl("wscat").replace("$TOKEN", token);
        WebSocketClient client = new WebSocketClient();
        client.start();
        try {
            CompletableFuture<Long> second = new CompletableFuture<>();
            client.connect(new Frames(second), URI.create(ws)).get(10, TimeUnit.SECONDS);
            assertThat(second.get(10, TimeUnit.SECONDS)).isGreaterThanOrEqualTo(1L);
        } finally {
            client.stop();
        }
    }

    /** Completes with the counter of the second binary frame received. */
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
