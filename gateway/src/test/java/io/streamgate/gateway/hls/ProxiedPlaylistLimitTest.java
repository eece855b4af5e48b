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

/**
 * Review of issue 20 (coverage, passes): PlaylistLimitTest exercises BodyTooLarge on the
 * shielded path only (GET *.m3u8 with the shield on). This covers the proxied path
 * (UpstreamProxy.Leg with PlaylistHooks): shield off, Content-Length and chunked, and a HEAD
 * (fetched upstream as a GET); a one-time token is not consumed by a 502.
 */
class ProxiedPlaylistLimitTest {
    @TempDir
    Path dir;

    @Test
    void anOversizedPlaylistIsABadGatewayOnTheProxiedPathToo() throws Exception {
        WireMockServer origin = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        origin.start();
        TestKeys key = TestKeys.es256("k1");
        String big = "#EXTM3U\n" + "#EXTINF:2,\nseg.ts\n".repeat(400); // ~7 KB
        origin.stubFor(WireMock.get(urlPathEqualTo("/live/a/big.m3u8")).willReturn(aResponse()
                .withHeader("Content-Type", "application/vnd.apple.mpegurl").withBody(big)));
        origin.stubFor(WireMock.get(urlPathEqualTo("/live/a/chunked.m3u8")).willReturn(aResponse()
                .withHeader("Content-Type", "application/vnd.apple.mpegurl").withBody(big)
                .withChunkedDribbleDelay(8, 40)));
        origin.stubFor(WireMock.get(urlPathEqualTo("/live/a/small.m3u8")).willReturn(aResponse()
                .withHeader("Content-Type", "application/vnd.apple.mpegurl").withBody("#EXTM3U\n#EXTINF:2,\nseg.ts\n")));
        try (GatewayServer gw = GatewayHarness.start(dir, key, GatewayHarness.head(key, 0)
                + "hls: {maxPlaylistBytes: 4096}\nreplay: {mode: once}\n"
                + "routes: [{name: hls, path: /live/, type: hls, shield: false, upstream: '" + origin.baseUrl()
                + "/live/'}]\n", Clock.systemUTC())) {
            HttpClient http = HttpClient.newHttpClient();
            String t = Tokens.signedBy(key, System.currentTimeMillis() / 1000).sign();
            for (String p : new String[] {"big", "chunked"}) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(gw.uri().resolve("/live/a/" + p
                        + ".m3u8?token=" + t)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(p).isEqualTo(502);
                assertThat(JsonUtil.parseJson(r.body())).as(p).containsEntry("reason", "upstream_unavailable");
            }
            HttpResponse<Void> head = http.send(HttpRequest.newBuilder(gw.uri().resolve("/live/a/big.m3u8?token=" + t))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
            assertThat(head.statusCode()).as("HEAD, fetched as a GET").isEqualTo(502);
            HttpResponse<String> ok = http.send(HttpRequest.newBuilder(gw.uri().resolve("/live/a/small.m3u8?token=" + t))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(ok.statusCode()).as("the one-time token was not consumed by the 502s").isEqualTo(200);
        } finally {
            origin.stop();
        }
    }
    /**
     * Coverage: docs/troubleshooting.md says an origin silent for proxy.idleTimeout is 504
     * upstream_timeout. No test covered that on an hls route: the shielded playlist fetch, the
     * proxied (HEAD) playlist and a segment, each against a silent origin.
     */
    @Test
    void aSilentOriginIsAGatewayTimeoutOnEveryHlsPath() throws Exception {
        WireMockServer origin = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        origin.start();
        TestKeys key = TestKeys.es256("k1");
        origin.stubFor(WireMock.any(urlPathEqualTo("/live/a/slow.m3u8")).willReturn(aResponse()
                .withHeader("Content-Type", "application/vnd.apple.mpegurl").withBody("#EXTM3U\n").withFixedDelay(4000)));
        origin.stubFor(WireMock.get(urlPathEqualTo("/live/a/slow.ts")).willReturn(aResponse()
                .withHeader("Content-Type", "video/mp2t").withBody(new byte[16]).withFixedDelay(4000)));
        try (GatewayServer gw = GatewayHarness.start(dir, key, GatewayHarness.head(key, 0)
                + "proxy: {connectTimeout: 2s, idleTimeout: 1s}\n"
                + "routes: [{name: hls, path: /live/, type: hls, upstream: '" + origin.baseUrl() + "/live/'}]\n",
                Clock.systemUTC())) {
            HttpClient http = HttpClient.newHttpClient();
            String t = Tokens.signedBy(key, System.currentTimeMillis() / 1000).sign();
            HttpResponse<String> shielded = http.send(HttpRequest.newBuilder(gw.uri().resolve("/live/a/slow.m3u8?token=" + t))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(shielded.statusCode()).as("shielded playlist " + shielded.body()).isEqualTo(504);
            HttpResponse<Void> head = http.send(HttpRequest.newBuilder(gw.uri().resolve("/live/a/slow.m3u8?token=" + t))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
            assertThat(head.statusCode()).as("proxied playlist (HEAD)").isEqualTo(504);
            HttpResponse<String> segment = http.send(HttpRequest.newBuilder(gw.uri().resolve("/live/a/slow.ts?token=" + t))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(segment.statusCode()).as("segment " + segment.body()).isEqualTo(504);
        } finally {
            origin.stop();
        }
    }
}
