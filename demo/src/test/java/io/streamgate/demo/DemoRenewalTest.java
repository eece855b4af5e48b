package io.streamgate.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.streamgate.filters.testing.MutableClock;
import io.streamgate.gateway.cli.Main;

/**
 * The demo's player page lives on short tokens it renews: {@code GET /demo/token} mints the
 * next one, {@code POST /_streamgate/renew} moves the page's session past the first token's
 * {@code exp}; the printed {@code revoke} command then refuses that session {@code 401 revoked}.
 * Time is moved by hand (the demo's gateway and origin run on the test's clock). The browser
 * side (hls.js playing through renewals, the page showing the refusal) is
 * {@code scripts/e2e-player.sh}.
 */
class DemoRenewalTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PAGE_TOKEN = Pattern.compile("<textarea id=\"token\"[^>]*>([A-Za-z0-9_.-]+)</textarea>");

    private final MutableClock clock = new MutableClock(Instant.now());
    private final HttpClient http = HttpClient.newHttpClient();
    private Demo demo;
    private String gw;

    @BeforeEach
    void start() throws Exception {
        demo = Demo.start(0, 0, clock, Duration.ofSeconds(60));
        gw = demo.gateway().uri().toString();
    }

    @AfterEach
    void stop() throws Exception {
        demo.close();
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> renew(String token, String previous) throws Exception {
        String body = JSON.createObjectNode().put("token", token).put("previous", previous).toString();
        return http.send(HttpRequest.newBuilder(URI.create(gw + "/_streamgate/renew"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode claims(String token) throws Exception {
        return JSON.readTree(Base64.getUrlDecoder().decode(token.split("\\.")[1]));
    }

    private String pageToken() throws Exception {
        HttpResponse<String> page = get(gw + "/");
        assertThat(page.statusCode()).isEqualTo(200);
        Matcher m = PAGE_TOKEN.matcher(page.body());
        assertThat(m.find()).as("the page carries a token").isTrue();
        return m.group(1);
    }

    /** Opens an HLS session as hls.js does; returns the media playlist URL on its credential. */
    private String openSession(String token) throws Exception {
        HttpResponse<String> master = get(gw + "/live/demo/master.m3u8?token=" + token);
        assertThat(master.statusCode()).isEqualTo(200);
        String media = master.body().lines().filter(l -> l.startsWith("media.m3u8?sg_session=")).findFirst().orElseThrow();
        assertThat(get(gw + "/live/demo/" + media).statusCode()).isEqualTo(200);
        return gw + "/live/demo/" + media;
    }

    /** A segment of the media playlist at {@code url}, fetched on its credential. */
    private HttpResponse<String> lastSegment(String mediaUrl) throws Exception {
        HttpResponse<String> media = get(mediaUrl);
        assertThat(media.statusCode()).as(media.body()).isEqualTo(200);
        String seg = media.body().lines().filter(l -> l.contains(".ts?sg_session=")).reduce((a, b) -> b).orElseThrow();
        return get(gw + "/live/demo/" + seg);
    }

    @Test
    void thePageAndTheTokenEndpointHandOutShortTokensOfThePlayersSubject() throws Exception {
        String first = pageToken();
        String next = get(gw + "/demo/token").body();
        for (String t : new String[] {first, next}) {
            JsonNode c = claims(t);
            assertThat(c.get("sub").asText()).isEqualTo(Demo.PLAYER_SUB);
            assertThat(c.get("exp").asLong() - c.get("iat").asLong()).isEqualTo(60);
            assertThat(c.get("iat").asLong()).isEqualTo(clock.epochSeconds());
        }
        assertThat(claims(next).get("jti").asText()).isNotEqualTo(claims(first).get("jti").asText());
        HttpResponse<String> r = get(gw + "/demo/token");
        assertThat(r.headers().firstValue("Cache-Control")).contains("no-store");
        assertThat(get(gw + "/player/renew.js").body()).contains("/_streamgate/renew", "/demo/token");
        assertThat(get(gw + "/").body()).contains("<script src=\"/player/renew.js\"></script>", "id=\"renewal\"");
    }

    @Test
    void renewalsFromTheTokenEndpointKeepThePagesSessionPlayingPastItsFirstToken() throws Exception {
        String first = pageToken();
        String renewedMedia = openSession(first);
        String otherMedia = openSession(pageToken()); // a second page that does not renew

        clock.advance(Duration.ofSeconds(45));   // renew.js renews 15 s before a 60 s token's exp
        String second = get(gw + "/demo/token").body();
        HttpResponse<String> r = renew(second, first);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(JSON.readTree(r.body()).get("expiresAt").asLong()).isEqualTo(claims(second).get("exp").asLong());
        // beside each epoch expiresAt, the same instant as ISO-8601 UTC
        assertThat(JSON.readTree(r.body()).get("expiresAtIso").asText())
                .isEqualTo(java.time.Instant.ofEpochSecond(claims(second).get("exp").asLong()).toString());
        for (JsonNode session : JSON.readTree(r.body()).get("sessions")) {
            assertThat(java.time.Instant.parse(session.get("expiresAtIso").asText()).getEpochSecond())
                    .isEqualTo(session.get("expiresAt").asLong());
        }

        clock.advance(Duration.ofSeconds(30));   // 75 s: past the first token's exp
        assertThat(lastSegment(renewedMedia).statusCode()).isEqualTo(200);
        HttpResponse<String> unrenewed = get(otherMedia);
        assertThat(unrenewed.statusCode()).isEqualTo(401);

        clock.advance(Duration.ofSeconds(15));   // the page renews again, naming the token that last renewed
        String third = get(gw + "/demo/token").body();
        assertThat(renew(third, second).statusCode()).isEqualTo(200);
        clock.advance(Duration.ofSeconds(50));   // 140 s: past the second token's exp too
        assertThat(lastSegment(renewedMedia).statusCode()).isEqualTo(200);
    }

    @Test
    void thePrintedRevokeCommandRefusesThePagesSessionAndItsRenewals() throws Exception {
        String first = pageToken();
        String media = openSession(first);
        String viewerToken = demo.token();
        openSession(viewerToken);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        demo.printWelcome(new PrintStream(out, true, StandardCharsets.UTF_8));
        String line = out.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains("streamgate.jar revoke "))
                .findFirst().orElseThrow();
        String[] args = line.substring(line.indexOf("streamgate.jar ") + "streamgate.jar ".length()).trim().split("\\s+");
        assertThat(args).contains("--sub", Demo.PLAYER_SUB, "--admin", "http://127.0.0.1:" + demo.gateway().adminPort());
        assertThat(Main.execute(args)).as(Arrays.toString(args)).isZero();

        HttpResponse<String> refused = get(media);
        for (long deadline = System.nanoTime() + 3_000_000_000L; refused.statusCode() == 200 && System.nanoTime() < deadline; ) {
            Thread.sleep(20); // bounded poll: every replica re-reads revocations within a second
            refused = get(media);
        }
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(refused.body()).get("reason").asText()).isEqualTo("revoked");
        HttpResponse<String> renewal = renew(get(gw + "/demo/token").body(), first);
        assertThat(renewal.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(renewal.body()).get("reason").asText()).isEqualTo("revoked");
        // the printed 24 h token belongs to another subject: it still plays
        assertThat(get(gw + "/live/demo/master.m3u8?token=" + viewerToken).statusCode()).isEqualTo(200);
    }

    @Test
    void tooShortAPlayerTokenLifetimeIsRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Demo.start(0, 0, clock, Duration.ofSeconds(5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("10s");
    }
}
