package io.streamgate.gateway.hls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jose4j.json.JsonUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.streamgate.filters.testing.TestKeys;
import io.streamgate.filters.testing.Tokens;
import io.streamgate.gateway.GatewayHarness;
import io.streamgate.origin.DemoOrigin;
import io.streamgate.gateway.runtime.GatewayServer;

/** HLS through the gateway with one-time tokens: HTTP clients and ffmpeg as a real player. */
class HlsEndToEndTest {
    @TempDir
    Path dir;

    private final TestKeys key = TestKeys.es256("k1");
    private final HttpClient http = HttpClient.newHttpClient();
    private DemoOrigin origin;
    private GatewayServer gateway;
    private int adminPort;

    @BeforeEach
    void start() throws Exception {
        origin = DemoOrigin.start("127.0.0.1", 0, Clock.systemUTC());
        gateway = GatewayHarness.start(dir, key, "listen: {host: 127.0.0.1, port: 0}\nwarmup: {verifications: 0}\n"
                + "admin: {host: 127.0.0.1, port: 0}\nkeys: [{kid: k1, file: key.pem}]\nreplay: {mode: once}\n"
                + "hls: {sessionSecret: 'test-secret-0123456789'}\n"
                + "routes:\n"
                + "  - {name: hls, path: /live/, type: hls, upstream: '" + origin.httpBase() + "/live/',"
                + " require: [{claim: 'roles[].eventId', contains: '{path.0}'}]}\n"
                + "  - {name: hls2, path: /live2/, type: hls, upstream: '" + origin.httpBase() + "/live/'}\n"
                + "  - {name: bound, path: /bound/, type: hls, upstream: '" + origin.httpBase() + "/live/',"
                + " require: [{claim: domains, contains: '{origin.host}'}]}\n",
                Clock.systemUTC());
        adminPort = gateway.adminPort();
    }

    @AfterEach
    void stop() throws Exception {
        gateway.close();
        origin.close();
    }

    private String token() {
        return Tokens.signedBy(key, System.currentTimeMillis() / 1000)
                .claim("roles", List.of(Map.of("name", "ROLE_ATTENDEE", "eventId", "ev1"))).sign();
    }

    private HttpResponse<String> get(String pathAndQuery) throws Exception {
        return http.send(HttpRequest.newBuilder(gateway.uri().resolve(pathAndQuery)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String firstUri(String playlist) {
        return playlist.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).findFirst().orElseThrow();
    }

    private static String reason(HttpResponse<String> r) throws Exception {
        return (String) JsonUtil.parseJson(r.body()).get("reason");
    }

    @Test
    void oneTimeTokenPlaysAWholeSessionAndOnlyOnce() throws Exception {
        String t = token();
        HttpResponse<String> master = get("/live/ev1/master.m3u8?token=" + t);
        assertThat(master.statusCode()).isEqualTo(200);
        String media = firstUri(master.body());
        assertThat(media).startsWith("media.m3u8?sg_session=");

        HttpResponse<String> mediaPlaylist = get("/live/ev1/" + media);
        assertThat(mediaPlaylist.statusCode()).isEqualTo(200);
        List<String> segments = mediaPlaylist.body().lines().filter(l -> l.contains(".ts")).toList();
        assertThat(segments).isNotEmpty().allMatch(s -> s.matches("seg-\\d+\\.ts\\?sg_session=.+"));
        for (String s : segments) {
            HttpResponse<byte[]> seg = http.send(HttpRequest.newBuilder(gateway.uri().resolve("/live/ev1/" + s)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(seg.statusCode()).isEqualTo(200);
            assertThat(seg.body()[0]).isEqualTo((byte) 0x47);
        }
        assertThat(origin.lastRequestLine()).doesNotContain("sg_session").doesNotContain("token");
        // Reloading the media playlist (as a live player does) keeps working.
        assertThat(get("/live/ev1/" + media).statusCode()).isEqualTo(200);

        HttpResponse<String> second = get("/live/ev1/master.m3u8?token=" + t);
        assertThat(second.statusCode()).isEqualTo(401);
        assertThat(reason(second)).isEqualTo("replayed");
    }

    private double meter(String name, String... tags) {
        var m = gateway.registry().find(name).tags(tags).meter();
        return m == null ? 0 : m.measure().iterator().next().getValue();
    }

    @Test
    void headNeverConsumesAOneTimeToken() throws Exception {
        String t = token();
        HttpResponse<String> head = http.send(HttpRequest.newBuilder(gateway.uri().resolve("/live/ev1/master.m3u8?token="
                + t)).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(head.headers().firstValue("Content-Length")).as("the rewritten playlist's length")
                .hasValueSatisfying(n -> assertThat(Long.parseLong(n)).isPositive());
        // no session opened: nothing delivered, nothing issued, nothing live
        assertThat(meter("streamgate.hls.sessions", "route", "hls", "result", "issued")).isZero();
        assertThat(meter("streamgate.sessions.active", "route", "hls", "kind", "hls")).isZero();

        // regression: the HEAD consumed the token, and the player's GET was refused as replayed
        HttpResponse<String> master = get("/live/ev1/master.m3u8?token=" + t);
        assertThat(master.statusCode()).isEqualTo(200);
        assertThat(firstUri(master.body())).startsWith("media.m3u8?sg_session=");
        assertThat(meter("streamgate.hls.sessions", "route", "hls", "result", "issued")).isEqualTo(1);

        HttpResponse<String> again = http.send(HttpRequest.newBuilder(gateway.uri().resolve("/live/ev1/master.m3u8?token="
                + t)).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(again.statusCode()).as("a used token is refused on a HEAD too").isEqualTo(401);
        assertThat(again.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v)
                .contains("replayed"));
    }

    @Test
    void childWithoutTokenOrCredentialIsMissingToken() throws Exception {
        HttpResponse<String> r = get("/live/ev1/seg-1.ts");
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(reason(r)).isEqualTo("missing_token");
    }

    @Test
    void tamperedCredentialIsBadSignature() throws Exception {
        String media = firstUri(get("/live/ev1/master.m3u8?token=" + token()).body());
        int i = media.indexOf("sg_session=") + 15;
        String tampered = media.substring(0, i) + (media.charAt(i) == 'A' ? 'B' : 'A') + media.substring(i + 1);
        HttpResponse<String> r = get("/live/ev1/" + tampered);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(reason(r)).isEqualTo("bad_signature");
        assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).contains("bad_signature"));
    }

    @Test
    void credentialOfAnotherRouteIsBadSignature() throws Exception {
        String media = firstUri(get("/live/ev1/master.m3u8?token=" + token()).body());
        HttpResponse<String> r = get("/live2/ev1/" + media);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(reason(r)).isEqualTo("bad_signature");
    }

    @Test
    void credentialWithATrailingDotSegmentIsRefused() throws Exception {
        String media = firstUri(get("/live/ev1/master.m3u8?token=" + token()).body());
        String cred = media.substring(media.indexOf('?'));
        HttpResponse<String> r = get("/live/ev1/.." + cred);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(origin.lastRequestLine()).doesNotContain("/live/ev1/..");
    }

    @Test
    void sessionRequestsNeverForwardATokenTheyAlsoCarry() throws Exception {
        String t = token();
        String media = firstUri(get("/live/ev1/master.m3u8?token=" + t).body());
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(gateway.uri().resolve("/live/ev1/" + media + "&token=" + t))
                .header("Authorization", "Bearer " + t).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(origin.lastRequestLine()).doesNotContain(t).doesNotContain("sg_session");
        assertThat(origin.lastRequestHeaders()).doesNotContain(t);
    }

    @Test
    void credentialOutsideItsStreamIsForbidden() throws Exception {
        String media = firstUri(get("/live/ev1/master.m3u8?token=" + token()).body());
        HttpResponse<String> r = get("/live/ev2/" + media);
        assertThat(r.statusCode()).isEqualTo(403);
    }

    @Test
    void sessionMetricsAreCounted() throws Exception {
        String media = firstUri(get("/live/ev1/master.m3u8?token=" + token()).body());
        get("/live/ev1/" + media);
        get("/live/ev1/" + media.replace("sg_session=", "sg_session=x"));
        String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("streamgate_hls_sessions_total{result=\"issued\",route=\"hls\"}")
                .contains("streamgate_hls_sessions_total{result=\"accepted\",route=\"hls\"} 1.0")
                .contains("streamgate_hls_sessions_total{result=\"rejected\",route=\"hls\"} 1.0")
                .contains("streamgate_hls_rewrites_total{route=\"hls\"} 2.0");
    }

    @Test
    void ffmpegPlaysALivePlaylistWithAOneTimeToken() throws Exception {
        boolean hasFfmpeg = hasFfmpeg();
        if (!hasFfmpeg) {
            System.err.println("!!! SKIPPED: ffmpeg is not installed; install the Debian package ffmpeg (.ci/run does)");
        }
        assumeTrue(hasFfmpeg, "ffmpeg is not installed");
        Path out = dir.resolve("out.ts");
        Process p = new ProcessBuilder("ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
                "-i", gateway.uri() + "/live/ev1/master.m3u8?token=" + token(), "-t", "5", "-c", "copy",
                "-f", "mpegts", out.toString()).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("ffmpeg finishes").isTrue();
        String log = new String(p.getInputStream().readAllBytes());
        assertThat(p.exitValue()).as("ffmpeg exit; output:\n" + log).isZero();
        assertThat(Files.size(out)).isGreaterThan(50_000);
        Matcher m = Pattern.compile("error", Pattern.CASE_INSENSITIVE).matcher(log);
        assertThat(m.find()).as("ffmpeg reported: " + log).isFalse();
    }

    /** True when an {@code ffmpeg} binary runs; a missing binary is a skip, not an error. */
    private static boolean hasFfmpeg() throws InterruptedException {
        try {
            Process p = new ProcessBuilder("ffmpeg", "-version").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Test
    void aSessionOpenedUnderAnOriginRuleStaysWithThatOrigin() throws Exception {
        String t = Tokens.signedBy(key, System.currentTimeMillis() / 1000)
                .claim("domains", List.of("player.example", "other.example")).sign();
        HttpResponse<String> master = http.send(HttpRequest.newBuilder(gateway.uri().resolve("/bound/ev1/master.m3u8?token="
                + t)).header("Origin", "https://player.example").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(master.statusCode()).isEqualTo(200);
        String child = "/bound/ev1/" + firstUri(master.body());
        assertThat(http.send(HttpRequest.newBuilder(gateway.uri().resolve(child)).header("Origin",
                "https://player.example").build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        // another origin the token would also grant: the credential was bound when the session opened
        HttpResponse<String> moved = http.send(HttpRequest.newBuilder(gateway.uri().resolve(child)).header("Origin",
                "https://other.example").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(moved.statusCode()).isEqualTo(403);
        assertThat(moved.body()).contains("\"reason\":\"forbidden\"");
    }
}
