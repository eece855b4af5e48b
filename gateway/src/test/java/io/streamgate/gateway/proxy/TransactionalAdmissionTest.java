package io.streamgate.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.exceptions.UpgradeException;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.jose4j.json.JsonUtil;
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
import io.streamgate.gateway.testing.ReservedPort;

/**
 * One-time use is transactional: a {@code jti} under {@code replay: {mode: once}} is consumed
 * only when the origin accepted the request (status &lt; 500, or its 101); when the origin
 * answered 5xx, was down or silent, the viewer retries with the same token. Two concurrent
 * first uses admit exactly one.
 */
class TransactionalAdmissionTest {
    @TempDir
    Path dir;

    private final TestKeys key = TestKeys.es256("k1");
    private final MutableClock clock = new MutableClock(java.time.Instant.now());
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private RecordingOrigin origin;
    private GatewayServer gateway;
    private WebSocketClient ws;

    @BeforeEach
    void start() throws Exception {
        ws = new WebSocketClient();
        ws.start();
    }

    @AfterEach
    void stop() throws Exception {
        ws.stop();
        if (gateway != null) {
            gateway.close();
        }
        if (origin != null) {
            origin.close();
        }
    }

    private void gateway(int originPort) throws Exception {
        gateway = GatewayHarness.start(dir, key, GatewayHarness.head(key, 0)
                + "replay: {mode: once}\n"
                + "proxy: {connectTimeout: 2s, idleTimeout: 1s}\n"
                + "routes:\n"
                + "  - {name: media, path: /media/, type: http, upstream: 'http://127.0.0.1:" + originPort + "/m/'}\n"
                + "  - {name: wslive, path: /ws/live, type: websocket, upstream: 'ws://127.0.0.1:" + originPort
                + "/ws/x'}\n", clock);
    }

    private String token() {
        return Tokens.signedBy(key, clock).sign();
    }

    private HttpResponse<String> get(String pathAndQuery) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(gateway.uri() + pathAndQuery)).timeout(Duration.ofSeconds(20))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String reason(HttpResponse<String> r) throws Exception {
        Map<String, Object> body = JsonUtil.parseJson(r.body());
        return String.valueOf(body.get("reason"));
    }

    @Test
    void aOneTimeTokenSurvivesAnOrigin5xxAndIsConsumedByTheOriginsAcceptance() throws Exception {
        origin = new RecordingOrigin();
        gateway(origin.port());
        String t = token();
        assertThat(get("/media/status/502?token=" + t).statusCode()).isEqualTo(502);
        assertThat(get("/media/status/503?token=" + t).statusCode()).isEqualTo(503);
        assertThat(get("/media/ok?token=" + t).statusCode()).as("retry after the origin's 5xx").isEqualTo(200);
        HttpResponse<String> again = get("/media/ok?token=" + t);
        assertThat(again.statusCode()).isEqualTo(401);
        assertThat(reason(again)).isEqualTo("replayed");

        String u = token();
        assertThat(get("/media/status/404?token=" + u).statusCode()).as("a 4xx is the origin's acceptance").isEqualTo(404);
        assertThat(get("/media/ok?token=" + u).statusCode()).isEqualTo(401);
    }

    @Test
    void aOneTimeTokenSurvivesAnOriginThatIsDown() throws Exception {
        try (ReservedPort down = ReservedPort.reserve()) { // taken, nobody listening: connections refused
            int port = down.port();
            gateway(port);
            String t = token();
            HttpResponse<String> refused = get("/media/ok?token=" + t);
            assertThat(refused.statusCode()).isEqualTo(502);
            assertThat(reason(refused)).isEqualTo("upstream_unavailable");
            origin = new RecordingOrigin(port);
            assertThat(get("/media/ok?token=" + t).statusCode()).as("the same token once the origin is up").isEqualTo(200);
            assertThat(get("/media/ok?token=" + t).statusCode()).isEqualTo(401);
        }
    }

    @Test
    void aOneTimeTokenSurvivesASilentOrigin() throws Exception {
        origin = new RecordingOrigin();
        gateway(origin.port());
        String t = token();
        HttpResponse<String> silent = get("/media/hold?token=" + t);
        assertThat(silent.statusCode()).isEqualTo(504);
        assertThat(reason(silent)).isEqualTo("upstream_timeout");
        assertThat(get("/media/ok?token=" + t).statusCode()).as("retry after the timeout").isEqualTo(200);
        assertThat(get("/media/ok?token=" + t).statusCode()).isEqualTo(401);
    }

    @Test
    void concurrentFirstUsesOfOneTokenAdmitExactlyOne() throws Exception {
        origin = new RecordingOrigin();
        gateway(origin.port());
        for (int round = 0; round < 5; round++) {
            String t = token();
            List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                all.add(http.sendAsync(HttpRequest.newBuilder(URI.create(gateway.uri() + "/media/ok?token=" + t))
                        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString()));
            }
            int admitted = 0;
            for (CompletableFuture<HttpResponse<String>> f : all) {
                HttpResponse<String> r = f.get(20, TimeUnit.SECONDS);
                if (r.statusCode() == 200) {
                    admitted++;
                } else {
                    assertThat(r.statusCode()).isEqualTo(401);
                }
            }
            assertThat(admitted).as("round " + round).isEqualTo(1);
        }
    }

    @Test
    void aWebSocketUpgradeToADownOriginIs502NeverA101AndTheTokenWorksOnceTheOriginIsUp() throws Exception {
        ReservedPort down = ReservedPort.reserve(); // taken, nobody listening: connections refused
        int port = down.port();
        gateway(port);
        String t = token();
        URI uri = URI.create("ws://127.0.0.1:" + gateway.port() + "/ws/live?token=" + t);
        assertThatThrownBy(() -> ws.connect(new Session.Listener.AutoDemanding() { }, uri).get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(UpgradeException.class)
                .satisfies(e -> assertThat(((UpgradeException) e).getResponseStatusCode()).isEqualTo(502));
        origin = new RecordingOrigin(port);
        down.close();
        Session s = ws.connect(new Session.Listener.AutoDemanding() { }, uri).get(10, TimeUnit.SECONDS);
        assertThat(s.isOpen()).isTrue();
        s.close();
        assertThatThrownBy(() -> ws.connect(new Session.Listener.AutoDemanding() { }, uri).get(10, TimeUnit.SECONDS))
                .cause().isInstanceOf(UpgradeException.class)
                .satisfies(e -> assertThat(((UpgradeException) e).getResponseStatusCode()).isEqualTo(401));
    }
}
