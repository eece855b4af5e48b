package io.streamgate.gateway.hls;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;

import org.jose4j.json.JsonUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.WireMock;

import io.streamgate.filters.testing.TestKeys;
import io.streamgate.filters.testing.Tokens;
import io.streamgate.gateway.GatewayHarness;
import io.streamgate.gateway.runtime.GatewayServer;

/** Playlists are buffered for rewriting only up to hls.maxPlaylistBytes; segments are never buffered. */
class PlaylistLimitTest {
    @TempDir
    Path dir;

    @Test
    void oversizedPlaylistIsABadGatewayAndTheGatewayKeepsServing() throws Exception {
        WireMockServer origin = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        origin.start();
        TestKeys key = TestKeys.es256("k1");
        String big = "#EXTM3U\n" + "#EXTINF:2,\nseg.ts\n".repeat(400); // ~7 KB
        String small = "#EXTM3U\n#EXTINF:2,\nseg.ts\n";
        origin.stubFor(WireMock.get(urlPathEqualTo("/live/a/big.m3u8")).willReturn(aResponse()
                .withHeader("Content-Type", "application/vnd.apple.mpegurl").withBody(big)));
        origin.stubFor(WireMock.get(urlPathEqualTo("/live/a/small.m3u8")).willReturn(aResponse()
                .withHeader("Content-Type", "application/vnd.apple.mpegurl").withBody(small)));
        origin.stubFor(WireMock.get(urlPathEqualTo("/live/a/chunked.m3u8")).willReturn(aResponse()
                .withHeader("Content-Type", "application/vnd.apple.mpegurl").withBody(big)
                .withChunkedDribbleDelay(8, 40))); // no Content-Length: the cap is met mid-body
        origin.stubFor(WireMock.get(urlPathEqualTo("/live/a/seg.ts")).willReturn(aResponse()
                .withHeader("Content-Type", "video/mp2t").withBody(new byte[64 * 1024])));
        try (GatewayServer gw = GatewayHarness.start(dir, key, GatewayHarness.head(key, 0)
                + "hls: {maxPlaylistBytes: 4096}\n"
                + "routes: [{name: hls, path: /live/, type: hls, upstream: '" + origin.baseUrl() + "/live/'}]\n",
                Clock.systemUTC())) {
            HttpClient http = HttpClient.newHttpClient();
            String t = Tokens.signedBy(key, System.currentTimeMillis() / 1000).sign();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(gw.uri().resolve("/live/a/big.m3u8?token=" + t))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(502);
            assertThat(JsonUtil.parseJson(r.body())).containsEntry("reason", "upstream_unavailable");
            HttpResponse<String> chunked = http.send(HttpRequest.newBuilder(
                    gw.uri().resolve("/live/a/chunked.m3u8?token=" + t)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(chunked.statusCode()).isEqualTo(502);
            assertThat(JsonUtil.parseJson(chunked.body())).containsEntry("reason", "upstream_unavailable");
            HttpResponse<String> ok = http.send(HttpRequest.newBuilder(gw.uri().resolve("/live/a/small.m3u8?token=" + t))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.body()).contains("seg.ts?sg_session=");
            HttpResponse<byte[]> seg = http.send(HttpRequest.newBuilder(gw.uri().resolve("/live/a/seg.ts?token=" + t))
                    .build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(seg.body()).as("segments are larger than the playlist cap and stream untouched").hasSize(64 * 1024);
        } finally {
            origin.stop();
        }
    }

    @Test
    void anOversizedPlaylistDoesNotConsumeAOneTimeToken() throws Exception {
        WireMockServer origin = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        origin.start();
        TestKeys key = TestKeys.es256("k1");
        origin.stubFor(WireMock.get(urlPathEqualTo("/live/a/big.m3u8")).willReturn(aResponse()
                .withHeader("Content-Type", "application/vnd.apple.mpegurl")
                .withBody("#EXTM3U\n" + "#EXTINF:2,\nseg.ts\n".repeat(400))));
        origin.stubFor(WireMock.get(urlPathEqualTo("/live/a/small.m3u8")).willReturn(aResponse()
                .withHeader("Content-Type", "application/vnd.apple.mpegurl").withBody("#EXTM3U\n#EXTINF:2,\nseg.ts\n")));
        try (GatewayServer gw = GatewayHarness.start(dir, key, GatewayHarness.head(key, 0)
                + "hls: {maxPlaylistBytes: 4096}\nreplay: {mode: once}\n"
                + "routes: [{name: hls, path: /live/, type: hls, upstream: '" + origin.baseUrl() + "/live/'}]\n",
                Clock.systemUTC())) {
            HttpClient http = HttpClient.newHttpClient();
            String t = Tokens.signedBy(key, System.currentTimeMillis() / 1000).sign();
            assertThat(http.send(HttpRequest.newBuilder(gw.uri().resolve("/live/a/big.m3u8?token=" + t)).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(502);
            // regression: the token was committed on the origin's 200 headers, before the size check
            assertThat(http.send(HttpRequest.newBuilder(gw.uri().resolve("/live/a/small.m3u8?token=" + t)).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            assertThat(http.send(HttpRequest.newBuilder(gw.uri().resolve("/live/a/small.m3u8?token=" + t)).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).as("then consumed").isEqualTo(401);
        } finally {
            origin.stop();
        }
    }
}
