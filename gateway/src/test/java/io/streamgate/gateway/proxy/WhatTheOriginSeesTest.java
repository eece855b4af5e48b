package io.streamgate.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.streamgate.filters.testing.MutableClock;
import io.streamgate.filters.testing.TestKeys;
import io.streamgate.filters.testing.Tokens;
import io.streamgate.gateway.GatewayHarness;
import io.streamgate.gateway.RecordingOrigin;
import io.streamgate.gateway.runtime.GatewayServer;

/**
 * What the origin receives of a viewer's request on http, hls and websocket routes: no
 * token from any configured source (query, header, cookie, subprotocol entry), a Referer
 * without token parameters, client-address headers only from a trusted proxy, and claim
 * headers as percent-encoded UTF-8. A real gateway, a real origin recording what arrived.
 */
class WhatTheOriginSeesTest {
    @TempDir
    Path dir;

    private final TestKeys key = TestKeys.es256("k1");
    private final MutableClock clock = new MutableClock(java.time.Instant.now());
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private RecordingOrigin origin;
    private GatewayServer gateway;
    private WebSocketClient ws;
    private int adminPort;

    @BeforeEach
    void start() throws Exception {
        origin = new RecordingOrigin();
        ws = new WebSocketClient();
        ws.start();
    }

    @AfterEach
    void stop() throws Exception {
        ws.stop();
        if (gateway != null) {
            gateway.close();
        }
        origin.close();
    }

    /** Default token sources: query token and jwtoken, Authorization, cookie sg_token, websocket-protocol. */
    private void gateway(String extra) throws Exception {
        gateway = GatewayHarness.start(dir, key, GatewayHarness.head(key, 0) + extra
                + "routes:\n"
                + "  - {name: media, path: /media/, type: http, upstream: '" + origin.http() + "/m/',"
                + " claimHeaders: {sub: X-Viewer-Id, groups: X-Groups}}\n"
                + "  - {name: live, path: /live/, type: hls, upstream: '" + origin.http() + "/l/'}\n"
                + "  - {name: wslive, path: /ws/live, type: websocket, upstream: '" + origin.ws() + "/ws/x'}\n", clock);
        adminPort = gateway.adminPort();
    }

    private String token() {
        return Tokens.signedBy(key, clock).sign();
    }

    private HttpResponse<String> get(String pathAndQuery, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(gateway.uri() + pathAndQuery)).timeout(Duration.ofSeconds(20));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    // 3. stripping

    @Test
    void aTokenInSecWebSocketProtocolNeverReachesAnHttpOrHlsOrigin() throws Exception {
        gateway("");
        for (String path : List.of("/media/a", "/live/ev/seg0.ts")) {
            String t = token();
            HttpResponse<String> r = get(path, "Sec-WebSocket-Protocol", "h5live, " + t + ", other");
            assertThat(r.statusCode()).as(path + ": the subprotocol entry authorises").isEqualTo(200);
            RecordingOrigin.Seen s = origin.next();
            assertThat(s.header("sec-websocket-protocol")).as(path).isEqualTo("h5live, other");
            assertThat(s.allHeaders()).as(path).doesNotContain(t).doesNotContain("eyJ");
        }
        // a token that came from elsewhere: the subprotocol entry is still not forwarded
        String t = token();
        String extra = token();
        assertThat(get("/media/b?token=" + t, "Sec-WebSocket-Protocol", extra).statusCode()).isEqualTo(200);
        RecordingOrigin.Seen s = origin.next();
        assertThat(s.header("sec-websocket-protocol")).isNull();
        assertThat(s.allHeaders()).doesNotContain("eyJ");
    }

    @Test
    void everyConfiguredTokenSourceIsStrippedOnHttpAndHlsRoutes() throws Exception {
        gateway("");
        for (String path : List.of("/media/a", "/live/ev/seg0.ts")) {
            String t = token();
            HttpResponse<String> r = get(path + "?x=1&token=" + t + "&jwtoken=" + token() + "&y=2",
                    "Authorization", "Bearer " + token(), "Cookie", "lang=de; sg_token=" + token() + "; theme=dark");
            assertThat(r.statusCode()).as(path).isEqualTo(200);
            RecordingOrigin.Seen s = origin.next();
            assertThat(s.target()).as(path).endsWith("?x=1&y=2");
            assertThat(s.allHeaders()).as(path).doesNotContain("eyJ").doesNotContainIgnoringCase("authorization:");
            assertThat(s.header("cookie")).as(path).isEqualTo("lang=de; theme=dark");
        }
    }

    @Test
    void theSessionCredentialParameterIsStrippedUnderAnySpelling() throws Exception {
        gateway("");
        HttpResponse<String> r = get("/live/ev/seg0.ts?x=1&token=" + token() + "&SG_SESSION=abc&Sg%5Fsession=def&y=2");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(origin.next().target()).endsWith("/l/ev/seg0.ts?x=1&y=2");
    }

    @Test
    void theOriginGetsTheGatewaysRequestIdNotTheViewers() throws Exception {
        gateway("");
        for (String path : List.of("/media/a", "/live/ev/seg0.ts")) {
            HttpResponse<String> r = get(path + "?token=" + token(), "X-Request-Id", "forged-by-viewer");
            assertThat(r.statusCode()).as(path).isEqualTo(200);
            String id = r.headers().firstValue("X-Request-Id").orElseThrow();
            assertThat(id).isNotEqualTo("forged-by-viewer");
            assertThat(origin.next().header("x-request-id")).as(path).isEqualTo(id);
        }
    }

    @Test
    void everyConfiguredTokenSourceIsStrippedOnAWebSocketRoute() throws Exception {
        gateway("");
        ClientUpgradeRequest req = new ClientUpgradeRequest();
        req.setSubProtocols("h5live", token());
        req.setHeader("Authorization", "Bearer " + token());
        req.setHeader("Cookie", "lang=de; sg_token=" + token());
        Session session = ws.connect(new Session.Listener.AutoDemanding() { },
                URI.create("ws://127.0.0.1:" + gateway.port() + "/ws/live?x=1&token=" + token() + "&jwtoken=" + token()),
                req).get(10, TimeUnit.SECONDS);
        try {
            assertThat(session.getUpgradeResponse().getAcceptedSubProtocol()).isEqualTo("h5live");
            RecordingOrigin.Seen s = origin.next();
            assertThat(s.method()).isEqualTo("UPGRADE");
            assertThat(s.target()).isEqualTo("/ws/x?x=1");
            assertThat(s.subprotocols()).containsExactly("h5live");
            assertThat(s.allHeaders()).doesNotContain("eyJ").doesNotContainIgnoringCase("authorization:");
            assertThat(s.header("cookie")).isEqualTo("lang=de");
        } finally {
            session.close();
        }
    }

    @Test
    void methodOverrideHeadersNeverReachTheOrigin() throws Exception {
        gateway("");
        String[] overrides = {"X-HTTP-Method-Override", "DELETE", "X-HTTP-Method", "PUT", "X-Method-Override", "PATCH"};
        // http, an hls segment (streamed), an hls playlist (through the origin shield)
        for (String path : List.of("/media/a", "/live/ev/seg0.ts", "/live/ev/index.m3u8")) {
            assertThat(get(path + "?token=" + token(), overrides).statusCode()).as(path).isEqualTo(200);
            RecordingOrigin.Seen s = origin.next();
            assertThat(s.method()).as(path).isEqualTo("GET");
            assertThat(s.headers()).as(path).doesNotContainKeys("x-http-method-override", "x-http-method",
                    "x-method-override");
        }
        ClientUpgradeRequest req = new ClientUpgradeRequest();
        for (int i = 0; i < overrides.length; i += 2) {
            req.setHeader(overrides[i], overrides[i + 1]);
        }
        Session session = ws.connect(new Session.Listener.AutoDemanding() { },
                URI.create("ws://127.0.0.1:" + gateway.port() + "/ws/live?token=" + token()), req)
                .get(10, TimeUnit.SECONDS);
        try {
            RecordingOrigin.Seen s = origin.next();
            assertThat(s.method()).isEqualTo("UPGRADE");
            assertThat(s.headers()).as("websocket upgrade").doesNotContainKeys("x-http-method-override",
                    "x-http-method", "x-method-override");
        } finally {
            session.close();
        }
    }

    // 6. Referer and client-address headers

    @Test
    void refererReachesTheOriginWithoutTokenParameters() throws Exception {
        gateway("");
        String t = token();
        assertThat(get("/media/a?token=" + token(), "Referer", "http://player.example/event?token=" + t + "&x=1")
                .statusCode()).isEqualTo(200);
        assertThat(origin.next().header("referer")).isEqualTo("http://player.example/event?x=1");
        assertThat(get("/media/a?token=" + token(), "Referer", "http://player.example/event?jwtoken=" + t)
                .statusCode()).isEqualTo(200);
        assertThat(origin.next().header("referer")).isEqualTo("http://player.example/event");
    }

    @Test
    void clientAddressHeadersFromAnUntrustedPeerDoNotReachTheOrigin() throws Exception {
        gateway("");
        assertThat(get("/media/a?token=" + token(), "X-Real-IP", "6.6.6.6", "True-Client-IP", "6.6.6.7",
                "Forwarded", "for=6.6.6.8", "X-Forwarded-For", "6.6.6.9").statusCode()).isEqualTo(200);
        RecordingOrigin.Seen s = origin.next();
        assertThat(s.header("x-real-ip")).isNull();
        assertThat(s.header("true-client-ip")).isNull();
        assertThat(s.header("forwarded")).isNull();
        assertThat(s.header("x-forwarded-for")).isEqualTo("127.0.0.1");
        assertThat(s.allHeaders()).doesNotContain("6.6.6.");
    }

    @Test
    void clientAddressHeadersFromATrustedProxyPassAndForwardedForIsAppended() throws Exception {
        gateway("clientIp: {trustedProxies: [127.0.0.1/32]}\n");
        assertThat(get("/media/a?token=" + token(), "X-Real-IP", "6.6.6.6", "True-Client-IP", "6.6.6.7",
                "Forwarded", "for=6.6.6.8", "X-Forwarded-For", "6.6.6.9").statusCode()).isEqualTo(200);
        RecordingOrigin.Seen s = origin.next();
        assertThat(s.header("x-real-ip")).isEqualTo("6.6.6.6");
        assertThat(s.header("true-client-ip")).isEqualTo("6.6.6.7");
        assertThat(s.header("forwarded")).isEqualTo("for=6.6.6.8");
        assertThat(s.header("x-forwarded-for")).isEqualTo("6.6.6.9, 127.0.0.1");
    }

    // 7. claim headers

    @Test
    void nonAsciiClaimHeadersArrivePercentEncodedUtf8AndDistinct() throws Exception {
        gateway("");
        assertThat(get("/media/a?token=" + Tokens.signedBy(key, clock).claim("sub", "用户A").sign()).statusCode())
                .isEqualTo(200);
        String first = origin.next().header("x-viewer-id");
        assertThat(get("/media/a?token=" + Tokens.signedBy(key, clock).claim("sub", "客户A").sign()).statusCode())
                .isEqualTo(200);
        String second = origin.next().header("x-viewer-id");
        assertThat(first).isEqualTo("%E7%94%A8%E6%88%B7A");
        assertThat(second).isEqualTo(percentEncoded("客户A")).isNotEqualTo(first);
        assertThat(get("/media/a?token=" + Tokens.signedBy(key, clock).claim("sub", "50%off").sign()).statusCode())
                .isEqualTo(200);
        assertThat(origin.next().header("x-viewer-id")).isEqualTo("50%25off");
    }

    @Test
    void anArrayClaimHeaderIsOmittedAndCounted() throws Exception {
        gateway("");
        assertThat(get("/media/a?token=" + Tokens.signedBy(key, clock).claim("groups", List.of("a", "b")).sign())
                .statusCode()).isEqualTo(200);
        RecordingOrigin.Seen s = origin.next();
        assertThat(s.header("x-groups")).isNull();
        assertThat(s.header("x-viewer-id")).isEqualTo("viewer-1");
        String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/metrics"))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics.lines().filter(l -> l.startsWith("streamgate_claim_headers_omitted_total")
                && l.contains("route=\"media\"")).toList())
                .singleElement().satisfies(l -> assertThat(l).endsWith(" 1.0"));
    }

    private static String percentEncoded(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int u = b & 0xff;
            sb.append(u < 0x80 ? String.valueOf((char) u) : String.format("%%%02X", u));
        }
        return sb.toString();
    }
}
