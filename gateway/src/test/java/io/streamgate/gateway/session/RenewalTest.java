package io.streamgate.gateway.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.jose4j.json.JsonUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.streamgate.filters.testing.TestKeys;
import io.streamgate.filters.testing.Tokens;
import io.streamgate.gateway.GatewayHarness;
import io.streamgate.gateway.runtime.GatewayServer;
import io.streamgate.origin.DemoOrigin;

/**
 * The renewal endpoint reads its body strictly (issue 21): a member twice (which
 * {@code "token"} counts?) or anything after the object is {@code 400 malformed_request} and
 * renews nothing, while the same renewal written once renews. A real gateway, the demo origin,
 * Java's HttpClient.
 */
class RenewalTest {
    @TempDir
    Path dir;

    private final TestKeys key = TestKeys.es256("k1");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private DemoOrigin origin;
    private GatewayServer gateway;

    @BeforeEach
    void start() throws Exception {
        origin = DemoOrigin.start("127.0.0.1", 0, Clock.systemUTC());
        gateway = GatewayHarness.start(dir, key, GatewayHarness.head(key, 0)
                + "hls: {sessionSecret: 'renewal-test-secret-0123456789'}\n"
                + "routes:\n"
                + "  - {name: hls, path: /live/, type: hls, upstream: '" + origin.httpBase() + "/live/',"
                + " require: [{claim: streams, contains: '{path.0}'}]}\n", Clock.systemUTC());
    }

    @AfterEach
    void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        origin.close();
    }

    private String token(long ttlSeconds) {
        long now = System.currentTimeMillis() / 1000;
        return Tokens.signedBy(key, now).claim("exp", now + ttlSeconds).claim("streams", List.of("demo")).sign();
    }

    private HttpResponse<String> renew(String body) throws Exception {
        return http.send(HttpRequest.newBuilder(gateway.uri().resolve("/_streamgate/renew"))
                .timeout(Duration.ofSeconds(20)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Opens an HLS session on {@code token}; a renewal right after may not find its record yet: asked again, bounded. */
    private void open(String token) throws Exception {
        HttpResponse<String> master = http.send(HttpRequest.newBuilder(URI.create(gateway.uri()
                + "/live/demo/master.m3u8?token=" + token)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(master.statusCode()).as(master.body()).isEqualTo(200);
    }

    private static void assertMalformed(HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        Map<String, Object> json = JsonUtil.parseJson(r.body());
        assertThat(json).containsEntry("error", "invalid_request").containsEntry("reason", "malformed_request");
    }

    @Test
    void renewalBodyWithDuplicateMembersIsRefused() throws Exception {
        String first = token(600);
        open(first);
        String longer = token(3600);
        String other = token(7200);
        // a lenient parser keeps the last "token": the body would renew with a token the first member never named
        assertMalformed(renew("{\"token\":\"" + longer + "\",\"token\":\"" + other + "\",\"previous\":\"" + first + "\"}"));
        assertMalformed(renew("{\"token\":\"" + longer + "\",\"previous\":\"" + first + "\",\"previous\":\"" + first + "\"}"));
        // the same renewal, each member once, renews
        HttpResponse<String> ok = renew("{\"token\":\"" + longer + "\",\"previous\":\"" + first + "\"}");
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (ok.statusCode() == 404 && System.nanoTime() < end) {
            Thread.sleep(25); // bounded poll: the session record is written as the opening answer goes out
            ok = renew("{\"token\":\"" + longer + "\",\"previous\":\"" + first + "\"}");
        }
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    }

    @Test
    void renewalBodyWithTrailingContentIsRefused() throws Exception {
        String first = token(600);
        open(first);
        String body = "{\"token\":\"" + token(3600) + "\",\"previous\":\"" + first + "\"}";
        for (String trailing : new String[] {" {}", "{\"token\":\"x\"}", " garbage", "]", ",", " 1", " null"}) {
            assertMalformed(renew(body + trailing));
        }
        assertMalformed(renew("[" + body + "]"));
        assertMalformed(renew(""));
        // trailing whitespace is no content
        HttpResponse<String> ok = renew(body + " \r\n\t");
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (ok.statusCode() == 404 && System.nanoTime() < end) {
            Thread.sleep(25); // bounded poll, as above
            ok = renew(body + " \r\n\t");
        }
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    }
}
