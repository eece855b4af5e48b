package io.streamgate.gateway.dash;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.xml.parsers.DocumentBuilderFactory;

import org.jose4j.json.JsonUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import io.streamgate.filters.testing.TestKeys;
import io.streamgate.filters.testing.Tokens;
import io.streamgate.gateway.GatewayHarness;
import io.streamgate.origin.DemoOrigin;
import io.streamgate.gateway.runtime.GatewayServer;

/** MPEG-DASH through the gateway with one-time tokens: HTTP clients and ffmpeg as a real player. */
class DashEndToEndTest {
    @TempDir
    Path dir;

    private final TestKeys key = TestKeys.es256("k1");
    private final HttpClient http = HttpClient.newHttpClient();
    private DemoOrigin origin;
    private GatewayServer gateway;

    @BeforeEach
    void start() throws Exception {
        origin = DemoOrigin.start("127.0.0.1", 0, Clock.systemUTC());
        gateway = GatewayHarness.start(dir, key, GatewayHarness.head(key, 0) + "replay: {mode: once}\n"
                + "hls: {sessionSecret: 'test-secret-0123456789'}\n"
                + "routes:\n"
                + "  - {name: hls, path: /live/, type: hls, upstream: '" + origin.httpBase() + "/live/',"
                + " require: [{claim: 'roles[].eventId', contains: '{path.0}'}]}\n",
                Clock.systemUTC());
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

    private HttpResponse<byte[]> bytes(String pathAndQuery) throws Exception {
        return http.send(HttpRequest.newBuilder(gateway.uri().resolve(pathAndQuery)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    private static Document parse(String xml) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    }

    private static List<String> attr(Document d, String element, String name) {
        List<String> out = new ArrayList<>();
        NodeList nl = d.getElementsByTagNameNS(MpdRewriter.DASH_NS, element);
        for (int i = 0; i < nl.getLength(); i++) {
            out.add(((Element) nl.item(i)).getAttribute(name));
        }
        return out;
    }

    private static String location(Document d) {
        NodeList nl = d.getElementsByTagNameNS(MpdRewriter.DASH_NS, "Location");
        assertThat(nl.getLength()).isEqualTo(1);
        return nl.item(0).getTextContent().trim();
    }

    private static String reason(HttpResponse<String> r) throws Exception {
        return (String) JsonUtil.parseJson(r.body()).get("reason");
    }

    @Test
    void oneTimeTokenPlaysAWholeDashSessionAndOnlyOnce() throws Exception {
        String t = token();
        HttpResponse<String> mpd = get("/live/ev1/manifest.mpd?token=" + t);
        assertThat(mpd.statusCode()).isEqualTo(200);
        assertThat(mpd.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v)
                .startsWith("application/dash+xml"));
        Document d = parse(mpd.body());
        List<String> media = attr(d, "SegmentTemplate", "media");
        List<String> init = attr(d, "SegmentTemplate", "initialization");
        assertThat(media).hasSize(2).allMatch(m -> m.matches("seg-\\$RepresentationID\\$-\\$Number\\$\\.m4s\\?sg_session=.+"));
        assertThat(init).allMatch(m -> m.matches("init-\\$RepresentationID\\$\\.m4s\\?sg_session=.+"));
        String credential = media.get(0).substring(media.get(0).indexOf("sg_session="));
        assertThat(location(d)).isEqualTo("manifest.mpd?" + credential);

        // what a player derives from the template: init segments and media segments (the origin's window starts at 0)
        HttpResponse<byte[]> v0 = bytes("/live/ev1/" + init.get(0).replace("$RepresentationID$", "0"));
        assertThat(v0.statusCode()).isEqualTo(200);
        assertThat(new String(v0.body(), 4, 4, StandardCharsets.ISO_8859_1)).isEqualTo("ftyp");
        for (String rep : List.of("0", "1")) {
            String u = media.get(Integer.parseInt(rep)).replace("$RepresentationID$", rep).replace("$Number$", "1");
            HttpResponse<byte[]> seg = bytes("/live/ev1/" + u);
            assertThat(seg.statusCode()).as(u).isEqualTo(200);
            assertThat(new String(seg.body(), 4, 4, StandardCharsets.ISO_8859_1)).isEqualTo("styp");
            assertThat(seg.headers().firstValue("Content-Type")).hasValue(rep.equals("0") ? "video/mp4" : "audio/mp4");
        }
        assertThat(origin.lastRequestLine()).doesNotContain("sg_session").doesNotContain("token");

        // a live reload (minimumUpdatePeriod) follows Location: answered with a rewritten MPD and a renewed credential
        HttpResponse<String> reload = get("/live/ev1/" + location(d));
        assertThat(reload.statusCode()).isEqualTo(200);
        Document d2 = parse(reload.body());
        assertThat(location(d2)).startsWith("manifest.mpd?sg_session=").isNotEqualTo(location(d));
        assertThat(attr(d2, "SegmentTemplate", "media")).allMatch(m -> m.contains("?sg_session="));

        // a second viewer with the same one-time token
        HttpResponse<String> second = get("/live/ev1/manifest.mpd?token=" + t);
        assertThat(second.statusCode()).isEqualTo(401);
        assertThat(reason(second)).isEqualTo("replayed");
    }

    @Test
    void aSegmentWithoutTheCredentialIsRefused() throws Exception {
        get("/live/ev1/manifest.mpd?token=" + token());
        HttpResponse<String> r = get("/live/ev1/init-0.m4s");
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(reason(r)).isEqualTo("missing_token");
    }

    @Test
    void anOversizedManifestIsABadGatewayAndConsumesNothing() throws Exception {
        try (GatewayServer small = GatewayHarness.start(dir, key, GatewayHarness.head(key, 0) + "replay: {mode: once}\n"
                + "hls: {maxPlaylistBytes: 1024}\n"
                + "routes: [{name: hls, path: /live/, type: hls, upstream: '" + origin.httpBase() + "/live/'}]\n",
                Clock.systemUTC())) {
            String t = token();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(small.uri().resolve("/live/ev1/manifest.mpd?token="
                    + t)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(http.send(HttpRequest.newBuilder(java.net.URI.create(origin.httpBase() + "/live/ev1/manifest.mpd"))
                    .build(), HttpResponse.BodyHandlers.ofString()).body().length()).isGreaterThan(1024);
            assertThat(r.statusCode()).isEqualTo(502);
            assertThat(reason(r)).isEqualTo("upstream_unavailable");
            // the token was not used up: segments (never buffered) still play with it
            HttpResponse<byte[]> init = http.send(HttpRequest.newBuilder(small.uri().resolve("/live/ev1/init-0.m4s?token="
                    + t)).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(init.statusCode()).isEqualTo(200);
        }
    }

    @Test
    void ffmpegPlaysTheLiveDashPresentationWithAOneTimeToken() throws Exception {
        boolean hasFfmpeg = runs("ffmpeg", "-version") && runs("ffprobe", "-version");
        if (!hasFfmpeg) {
            System.err.println("!!! SKIPPED: ffmpeg is not installed; install the Debian package ffmpeg (.ci/run does)");
        }
        assumeTrue(hasFfmpeg, "ffmpeg is not installed");
        Path out = dir.resolve("out.mkv");
        // -re: read at the presentation's pace, as a player does (ffmpeg's DASH demuxer asks for a live
        // segment as soon as it starts, not when it is complete, and skips ahead on a 404)
        Process p = new ProcessBuilder("ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-re",
                "-i", gateway.uri() + "/live/ev1/manifest.mpd?token=" + token(), "-map", "0", "-t", "6", "-c", "copy",
                out.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("ffmpeg.log").toFile()).start();
        try {
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("ffmpeg finishes").isTrue();
        } finally {
            p.destroyForcibly();
        }
        String log = Files.readString(dir.resolve("ffmpeg.log"));
        assertThat(p.exitValue()).as("ffmpeg exit; output:\n" + log).isZero();
        Matcher m = Pattern.compile("error", Pattern.CASE_INSENSITIVE).matcher(log);
        assertThat(m.find()).as("ffmpeg reported: " + log).isFalse();
        Process probe = new ProcessBuilder("ffprobe", "-v", "error", "-show_entries", "format=duration:stream=codec_type",
                "-of", "default=noprint_wrappers=1", out.toString()).redirectErrorStream(true).start();
        assertThat(probe.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String info = new String(probe.getInputStream().readAllBytes());
        assertThat(info).contains("codec_type=video").contains("codec_type=audio");
        Matcher duration = Pattern.compile("duration=([0-9.]+)").matcher(info);
        assertThat(duration.find()).as(info).isTrue();
        assertThat(Double.parseDouble(duration.group(1))).as("seconds copied").isGreaterThanOrEqualTo(5.0);
    }

    /** True when the command runs; a missing binary is a skip, not an error. */
    private static boolean runs(String... command) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
