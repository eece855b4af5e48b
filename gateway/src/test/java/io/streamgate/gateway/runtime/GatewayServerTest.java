package io.streamgate.gateway.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.streamgate.filters.testing.MutableClock;
import io.streamgate.filters.testing.TestKeys;
import io.streamgate.filters.testing.Tokens;
import io.streamgate.gateway.GatewayHarness;
import io.streamgate.gateway.testing.Viewer;
import io.streamgate.origin.DemoOrigin;

/** Admin endpoints and graceful shutdown of a real gateway in front of the demo origin. */
class GatewayServerTest {
    @TempDir
    Path dir;

    private final TestKeys key = TestKeys.es256("k1");
    private final MutableClock clock = new MutableClock(java.time.Instant.now());
    private final HttpClient http = HttpClient.newHttpClient();
    private DemoOrigin origin;
    private GatewayServer gateway;
    private int adminPort;

    @AfterEach
    void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        if (origin != null) {
            origin.close();
        }
    }

    private void start(String extra) throws Exception {
        origin = DemoOrigin.start("127.0.0.1", 0, java.time.Clock.systemUTC());
        gateway = GatewayHarness.start(dir, key, "listen: {host: 127.0.0.1, port: 0}\nwarmup: {verifications: 0}\n"
                + "admin: {host: 127.0.0.1, port: 0}\n" + extra + "routes:\n"
                + "  - {name: hls, path: /live/, type: hls, upstream: '" + origin.httpBase() + "/live/'}\n"
                + "  - {name: ws, path: /h5live/authstream, type: websocket, upstream: '" + origin.wsBase() + "/h5live/stream'}\n",
                clock);
        adminPort = gateway.adminPort();
    }

    private HttpResponse<String> admin(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void readinessWaitsForTheWarmStartWhichIsBoundedByItsDuration() throws Exception {
        origin = DemoOrigin.start("127.0.0.1", 0, java.time.Clock.systemUTC());
        gateway = GatewayHarness.start(dir, key, "listen: {host: 127.0.0.1, port: 0}\n"
                + "warmup: {verifications: 10000000, maxDuration: 5s}\n"
                + "admin: {host: 127.0.0.1, port: 0}\nkeys: [{kid: k1, file: key.pem}]\n"
                + "routes: [{name: hls, path: /live/, type: hls, upstream: '" + origin.httpBase() + "/live/'}]\n", clock);
        adminPort = gateway.adminPort();
        HttpResponse<String> cold = admin("/readyz");
        assertThat(cold.statusCode()).as("not ready while warming").isEqualTo(503);
        assertThat(cold.body()).contains("\"warm\":false");
        // traffic is served meanwhile: a load balancer decides by /readyz, the gateway does not refuse
        String t = Tokens.signedBy(key, clock).sign();
        assertThat(http.send(HttpRequest.newBuilder(gateway.uri().resolve("/live/demo/master.m3u8?token=" + t)).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        // ready within the poll's bound: far sooner than ten million verifications could take
        HttpResponse<String> ready = cold;
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
        while (ready.statusCode() != 200 && System.nanoTime() < deadline) {
            Thread.sleep(100); // polling an endpoint, bounded
            ready = admin("/readyz");
        }
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).contains("\"warm\":true");
    }

    @Test
    void aMalformedConnectTargetIsAnsweredAsJsonAndNeverLoggedWithItsToken() throws Exception {
        start("keys: [{kid: k1, file: key.pem}]\n");
        String answer;
        try (java.net.Socket raw = new java.net.Socket("127.0.0.1", gateway.port())) {
            raw.setSoTimeout(10_000);
            raw.getOutputStream().write("CONNECT [::1?token=eyJhbGciOi.secret.part HTTP/1.1\r\nHost: x\r\n\r\n"
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            answer = new String(raw.getInputStream().readNBytes(400), java.nio.charset.StandardCharsets.ISO_8859_1);
        }
        assertThat(answer).startsWith("HTTP/1.1 400").contains("application/json").doesNotContain("secret");
        // regression: Jetty's HostPort wrote "Bad IPv6 host: [[::1?token=...]" at WARN
        assertThat(org.slf4j.LoggerFactory.getLogger("org.eclipse.jetty.util.HostPort").isErrorEnabled()).isFalse();
    }

    @Test
    void theWarmStartNeverReachesAnOrigin() throws Exception {
        for (String path : new String[] {"/live/", "/"}) { // "/" would serve the warm-up's own path
            com.github.tomakehurst.wiremock.WireMockServer wm = new com.github.tomakehurst.wiremock.WireMockServer(
                    com.github.tomakehurst.wiremock.core.WireMockConfiguration.options().dynamicPort()
                            .bindAddress("127.0.0.1"));
            wm.start();
            try (GatewayServer gw = GatewayHarness.start(dir, key, "listen: {host: 127.0.0.1, port: 0}\n"
                    + "warmup: {verifications: 2000, maxDuration: 20s}\n"
                    + "admin: {host: 127.0.0.1, port: 0}\nkeys: [{kid: k1, file: key.pem}]\n"
                    + "routes: [{name: open, path: " + path + ", type: http, auth: none, upstream: '" + wm.baseUrl()
                    + "/'}]\n", clock)) {
                HttpResponse<String> ready;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                do {
                    Thread.sleep(50); // polling an endpoint, bounded
                    ready = http.send(HttpRequest.newBuilder(gw.adminUri().resolve("/readyz")).build(),
                            HttpResponse.BodyHandlers.ofString());
                } while (ready.statusCode() != 200 && System.nanoTime() < deadline);
                assertThat(ready.statusCode()).isEqualTo(200);
                assertThat(wm.getAllServeEvents()).as("requests the origin got during the warm start (%s)", path)
                        .isEmpty();
            } finally {
                wm.stop();
            }
        }
    }

    @Test
    void aClientTricklingItsHeadersIsCutOffAtTheHeaderDeadline() throws Exception {
        origin = DemoOrigin.start("127.0.0.1", 0, java.time.Clock.systemUTC());
        gateway = GatewayHarness.start(dir, key, "listen: {host: 127.0.0.1, port: 0, headerTimeout: 1s, idleTimeout: 30s}\n"
                + "warmup: {verifications: 0}\nadmin: {enabled: false}\nkeys: [{kid: k1, file: key.pem}]\n"
                + "routes: [{name: hls, path: /live/, type: hls, upstream: '" + origin.httpBase() + "/live/'}]\n", clock);
        try (java.net.Socket raw = new java.net.Socket("127.0.0.1", gateway.port())) {
            raw.setSoTimeout(10_000);
            java.io.OutputStream out = raw.getOutputStream();
            out.write("GET /live/demo/master.m3u8 HTTP/1.1\r\nHost: x\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            boolean closed = false;
            // a header byte every 200 ms keeps the idle timeout (30 s) from ever firing: closed within
            // the loop's 40 bytes is the 1 s header deadline
            for (int i = 0; i < 40 && !closed; i++) {
                try {
                    out.write('X');
                    out.flush();
                    Thread.sleep(200); // the trickle itself is what is tested
                } catch (java.io.IOException e) {
                    closed = true;
                }
                if (!closed && raw.getInputStream().available() == 0) {
                    raw.setSoTimeout(1);
                    try {
                        closed = raw.getInputStream().read() < 0;
                    } catch (java.net.SocketTimeoutException still) {
                        // open
                    } catch (java.io.IOException e) {
                        closed = true;
                    }
                    raw.setSoTimeout(10_000);
                }
            }
            assertThat(closed).as("closed at the header deadline").isTrue();
        }
        // a normal client is unaffected
        String t = Tokens.signedBy(key, clock).sign();
        assertThat(http.send(HttpRequest.newBuilder(gateway.uri().resolve("/live/demo/master.m3u8?token=" + t)).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    }

    @Test
    void aKeptAliveConnectionTricklingItsNextHeadIsCutOffAtTheHeaderDeadline() throws Exception {
        origin = DemoOrigin.start("127.0.0.1", 0, java.time.Clock.systemUTC());
        gateway = GatewayHarness.start(dir, key, "listen: {host: 127.0.0.1, port: 0, headerTimeout: 1s, idleTimeout: 30s}\n"
                + "warmup: {verifications: 0}\nadmin: {enabled: false}\nkeys: [{kid: k1, file: key.pem}]\n"
                + "routes: [{name: hls, path: /live/, type: hls, upstream: '" + origin.httpBase() + "/live/'}]\n", clock);
        try (java.net.Socket raw = new java.net.Socket("127.0.0.1", gateway.port())) {
            raw.setSoTimeout(10_000);
            java.io.OutputStream out = raw.getOutputStream();
            java.io.InputStream in = raw.getInputStream();
            // one quick request (a 404 with a length: the connection stays open) ...
            out.write("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.flush();
            String head = "";
            while (!head.endsWith("\r\n\r\n")) {
                head += (char) in.read();
            }
            assertThat(head).startsWith("HTTP/1.1 404");
            int length = Integer.parseInt(head.replaceAll("(?s).*Content-Length: (\\d+).*", "$1"));
            in.readNBytes(length);
            // ... then the next head a byte every 200 ms, which keeps the idle timeout (30 s) from firing
            out.write("GET /live/demo/master.m3u8 HTTP/1.1\r\nHost: x\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            boolean closed = false;
            for (int i = 0; i < 100 && !closed; i++) {
                try {
                    out.write('X');
                    out.flush();
                    Thread.sleep(200); // the trickle itself is what is tested
                } catch (java.io.IOException e) {
                    closed = true;
                }
                if (!closed) {
                    raw.setSoTimeout(1);
                    try {
                        closed = in.read() < 0;
                    } catch (java.net.SocketTimeoutException still) {
                        // open
                    } catch (java.io.IOException e) {
                        closed = true;
                    }
                }
            }
            assertThat(closed).as("closed while its second head trickled in").isTrue();
        }
        // a viewer that keeps its connection and sends whole heads is unaffected
        String t = Tokens.signedBy(key, clock).sign();
        for (int i = 0; i < 3; i++) {
            assertThat(http.send(HttpRequest.newBuilder(gateway.uri().resolve("/live/demo/master.m3u8?token=" + t)).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void metricsShowDecisionsJvmAndJettyMetersButNeverTokens() throws Exception {
        start("keys: [{kid: k1, file: key.pem}]\n");
        String t = Tokens.signedBy(key, clock).sign();
        HttpResponse<String> ok = http.send(HttpRequest.newBuilder(gateway.uri().resolve("/live/demo/master.m3u8?token=" + t))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(ok.statusCode()).isEqualTo(200);
        http.send(HttpRequest.newBuilder(gateway.uri().resolve("/live/demo/master.m3u8?token=" + t + "x")).build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> m = admin("/metrics");
        assertThat(m.statusCode()).isEqualTo(200);
        assertThat(m.body())
                .contains("streamgate_decisions_total{reason=\"ok\",result=\"allowed\",route=\"hls\"} 1.0")
                .contains("streamgate_decisions_total{reason=\"malformed_token\",result=\"denied\",route=\"hls\"} 1.0")
                .contains("streamgate_verification_seconds_bucket")
                .contains("streamgate_token_cache_requests_total")
                .contains("streamgate_upstream_seconds_count{route=\"hls\",status=\"2xx\"}")
                .contains("jvm_memory_used_bytes")
                .contains("jetty_threads_busy")
                .doesNotContain(t.substring(0, 40));
    }

    @Test
    void healthAndReadiness() throws Exception {
        start("keys: [{kid: k1, file: key.pem}]\n");
        assertThat(admin("/healthz").statusCode()).isEqualTo(200);
        HttpResponse<String> r = admin("/readyz");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"keys\":true");
        assertThat(admin("/other").statusCode()).isEqualTo(404);
    }

    @Test
    void notReadyWhileAJwksSourceHasNeverLoaded() throws Exception {
        // port 1: nobody listens there (as elsewhere in these tests)
        start("keys: [{kid: k1, file: key.pem}, {jwks: 'http://127.0.0.1:1/jwks.json', timeout: 500ms}]\n");
        HttpResponse<String> r = admin("/readyz");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).contains("\"keys\":false");
        assertThat(admin("/healthz").statusCode()).isEqualTo(200);
    }

    @Test
    void theDemosPlayerAndTokenEndpointAreNotServedByRun() throws Exception {
        start("keys: [{kid: k1, file: key.pem}]\n");
        for (String path : new String[] {"/demo/token", "/player/renew.js", "/"}) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(gateway.uri().resolve(path)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(path).isEqualTo(404);
        }
    }

    @Test
    void adminPortZeroListensOnAPortTheSystemPickedReadBackAndLogged() throws Exception {
        ch.qos.logback.classic.Logger log = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(GatewayServer.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines =
                new ch.qos.logback.core.read.ListAppender<>();
        lines.start();
        log.addAppender(lines);
        try {
            start("keys: [{kid: k1, file: key.pem}]\n");
        } finally {
            log.detachAppender(lines);
        }
        assertThat(gateway.adminPort()).isPositive().isNotEqualTo(gateway.port());
        assertThat(gateway.adminUri()).isEqualTo(URI.create("http://127.0.0.1:" + gateway.adminPort()));
        assertThat(http.send(HttpRequest.newBuilder(gateway.adminUri().resolve("/healthz")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        assertThat(lines.list).extracting(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
                .contains("StreamGate listening on " + gateway.uri() + ", admin on " + gateway.adminUri());
    }

    @Test
    void adminEnabledFalseStartsNoAdminListener() throws Exception {
        origin = DemoOrigin.start("127.0.0.1", 0, java.time.Clock.systemUTC());
        gateway = GatewayHarness.start(dir, key, "listen: {host: 127.0.0.1, port: 0}\nwarmup: {verifications: 0}\n"
                + "admin: {enabled: false, port: 0}\nkeys: [{kid: k1, file: key.pem}]\n"
                + "routes: [{name: hls, path: /live/, type: hls, upstream: '" + origin.httpBase() + "/live/'}]\n", clock);
        assertThat(gateway.adminPort()).as("no admin listener").isEqualTo(-1);
        assertThat(gateway.adminUri()).isNull();
        // nor are the admin endpoints anywhere else
        for (String path : new String[] {"/healthz", "/readyz", "/metrics"}) {
            assertThat(http.send(HttpRequest.newBuilder(gateway.uri().resolve(path)).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).as(path).isEqualTo(404);
        }
        String t = Tokens.signedBy(key, clock).sign();
        assertThat(http.send(HttpRequest.newBuilder(gateway.uri().resolve("/live/demo/master.m3u8?token=" + t)).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).as("the gateway serves").isEqualTo(200);
    }

    @Test
    void adminEndpointsAreNotOnThePublicListener() throws Exception {
        start("keys: [{kid: k1, file: key.pem}]\n");
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(gateway.uri().resolve("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(404);
    }

    @Test
    void shutdownLetsInFlightRequestsFinishAndRefusesNewOnes() throws Exception {
        com.github.tomakehurst.wiremock.WireMockServer slow = new com.github.tomakehurst.wiremock.WireMockServer(
                com.github.tomakehurst.wiremock.core.WireMockConfiguration.options().dynamicPort().bindAddress("127.0.0.1"));
        slow.start();
        try {
            slow.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(
                    com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo("/slow/x"))
                    .willReturn(com.github.tomakehurst.wiremock.client.WireMock.aResponse().withFixedDelay(1500).withBody("late")));
            gateway = GatewayHarness.start(dir, key, "listen: {host: 127.0.0.1, port: 0}\nwarmup: {verifications: 0}\nadmin: {enabled: false}\n"
                    + "keys: [{kid: k1, file: key.pem}]\nproxy: {idleTimeout: 10s}\n"
                    + "routes: [{name: slow, path: /slow/, type: http, upstream: '" + slow.baseUrl() + "/slow/'}]\n", clock);
            String t = Tokens.signedBy(key, clock).sign();
            CompletableFuture<HttpResponse<String>> inFlight = http.sendAsync(
                    HttpRequest.newBuilder(gateway.uri().resolve("/slow/x?token=" + t)).build(),
                    HttpResponse.BodyHandlers.ofString());
            // bounded poll (a busy machine's 15 s): until the origin holds the request (WireMock
            // journals it before its 1.5 s delay)
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (slow.getAllServeEvents().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(slow.getAllServeEvents()).as("request reached the origin").isNotEmpty();
            GatewayServer closing = gateway;
            URI stopped = closing.uri().resolve("/slow/x?token=" + t);
            gateway = null;
            closing.close(); // graceful: waits for the in-flight exchange
            HttpResponse<String> r = inFlight.get(10, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("late");
            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> http.send(HttpRequest.newBuilder(stopped)
                    .build(), HttpResponse.BodyHandlers.ofString())))
                    .as("a stopped gateway accepts no connection").isInstanceOf(java.io.IOException.class);
        } finally {
            slow.stop();
        }
    }

    @Test
    void shutdownClosesWebSocketsWith1001() throws Exception {
        start("keys: [{kid: k1, file: key.pem}]\n");
        WebSocketClient client = new WebSocketClient();
        client.start();
        try {
            Viewer viewer = new Viewer();
            String t = Tokens.signedBy(key, clock).sign();
            client.connect(viewer, URI.create(gateway.uri().toString().replace("http", "ws")
                    + "/h5live/authstream?token=" + t)).get(10, TimeUnit.SECONDS);
            assertThat(viewer.frameWithin(Viewer.WAIT)).as("the relay is live: origin frames arrive").isTrue();
            gateway.close();
            gateway = null;
            assertThat(viewer.closeCode(Duration.ofSeconds(15))).isEqualTo(1001);
        } finally {
            client.stop();
        }
    }

}
