package io.streamgate.gateway.logging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.micrometer.core.instrument.Counter;
import io.streamgate.filters.testing.TestKeys;
import io.streamgate.filters.testing.Tokens;
import io.streamgate.gateway.GatewayHarness;
import io.streamgate.gateway.RawHttp;
import io.streamgate.gateway.RecordingOrigin;
import io.streamgate.gateway.config.ConfigLoader;
import io.streamgate.gateway.config.GatewayConfig;
import io.streamgate.gateway.runtime.GatewayServer;
import io.streamgate.gateway.testing.Viewer;
import io.streamgate.origin.DemoOrigin;

/**
 * The issue's log items through a real gateway, real origins and real clients, with the lines
 * read as the configured encoder wrote them: flat JSON access lines with typed numbers; one
 * request id per answer, on the answer and on its line; a {@code traceparent} to the origin and
 * its trace id on the line; warm-up requests neither logged nor counted; every denial counted;
 * denial lines per reason and client.
 */
class AccessLinesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String VIEWER_TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    @TempDir
    Path dir;

    private final TestKeys key = TestKeys.es256("k1");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private RecordingOrigin origin;
    private DemoOrigin media;
    private GatewayServer gateway;
    private WebSocketClient ws;
    private io.micrometer.prometheusmetrics.PrometheusMeterRegistry registry;

    @AfterEach
    void stop() throws Exception {
        if (ws != null) {
            ws.stop();
        }
        if (gateway != null) {
            gateway.close();
        }
        if (origin != null) {
            origin.close();
        }
        if (media != null) {
            media.close();
        }
        Logging.restoreDefault();
    }

    private void start(String extra) throws Exception {
        origin = new RecordingOrigin();
        media = DemoOrigin.start("127.0.0.1", 0, Clock.systemUTC());
        Files.writeString(dir.resolve("key.pem"), key.publicPem());
        String head = GatewayHarness.head(key, 0);
        if (extra.contains("warmup:")) {
            head = head.replace("warmup: {verifications: 0}\n", "");
        }
        String yaml = head
                + "hls: {sessionSecret: 'test-secret-0123456789'}\n"
                + "clientIp: {trustedProxies: [127.0.0.1]}\n"
                + "log: {format: json, access: true}\n"
                + extra
                + "routes:\n"
                + "  - {name: api, path: /api/, type: http, upstream: '" + origin.http() + "/up/'}\n"
                + "  - {name: hls, path: /live/, type: hls, upstream: '" + media.httpBase() + "/live/'}\n"
                + "  - {name: rec, path: /rec/, type: hls, upstream: '" + origin.http() + "/rec/'}\n"
                + "  - {name: ws, path: /ws/, type: websocket, upstream: '" + origin.ws() + "/ws/'}\n"
                + "  - {name: gone, path: /gone/, type: http, upstream: 'http://127.0.0.1:1/'}\n";
        GatewayConfig config = new ConfigLoader(System::getenv).parse(yaml, dir);
        Logging.configure(config.log(), captured);
        gateway = GatewayServer.start(config, Clock.systemUTC());
        registry = gateway.registry();
    }

    /** Stops the gateway gracefully: every request's completion has run. */
    private void stopped() throws Exception {
        gateway.close();
        gateway = null;
    }

    private String token() {
        return Tokens.signedBy(key, System.currentTimeMillis() / 1000).sign();
    }

    private HttpResponse<String> send(String method, String pathAndQuery, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(gateway.uri() + pathAndQuery))
                .timeout(Duration.ofSeconds(20)).method(method, HttpRequest.BodyPublishers.noBody());
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String pathAndQuery, String... headers) throws Exception {
        return send("GET", pathAndQuery, headers);
    }

    /** Stops the gateway, flushes, and returns every captured line parsed. */
    private List<JsonNode> lines() throws Exception {
        gateway.close();
        gateway = null;
        Logging.restoreDefault();
        List<JsonNode> out = new ArrayList<>();
        for (String line : captured.toString(StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList()) {
            out.add(JSON.readTree(line));
        }
        return out;
    }

    private static List<JsonNode> access(List<JsonNode> lines) {
        return lines.stream().filter(n -> n.path("logger").asText().equals(AccessLog.LOGGER)
                && n.path("message").asText().equals("request")).toList();
    }

    private static JsonNode line(List<JsonNode> lines, String requestId) {
        List<JsonNode> found = access(lines).stream().filter(n -> n.path("requestId").asText().equals(requestId)).toList();
        assertThat(found).as("one access line for request " + requestId).hasSize(1);
        return found.get(0);
    }

    private static String id(HttpResponse<?> r) {
        List<String> ids = r.headers().allValues("X-Request-Id");
        assertThat(ids).as("one X-Request-Id on " + r.uri() + " (" + r.statusCode() + ")").hasSize(1);
        assertThat(ids.get(0)).matches("[0-9a-f]{16}");
        return ids.get(0);
    }

    /**
     * A decision counter's value. Read once the requests finished: after {@link #lines()} or
     * {@link #stopped()} (a graceful stop returns once every request's completion, where denials
     * are counted, has run), or between requests that were answered and completed.
     */
    private double decisions(String route, String reason) {
        Counter c = registry.find("streamgate.decisions").tag("route", route).tag("result", "denied")
                .tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void aPercentEncodedTokenUnderAnotherParameterNameIsNotLogged() throws Exception {
        // a player that sends its token under a name the gateway does not read (401, the token
        // unused and still good), with every character percent-encoded that a browser or a
        // careless encoder may encode: the lines' redaction looks for the text of a JWS
        start("");
        String t = token();
        String encoded = t.replace("e", "%65").replace(".", "%2E");
        String signature = t.substring(t.lastIndexOf('.') + 1);
        HttpResponse<String> r = get("/live/ev1/master.m3u8?auth=" + encoded + "&x=1");
        assertThat(r.statusCode()).isEqualTo(401);
        List<JsonNode> lines = lines();
        JsonNode line = line(lines, id(r));
        assertThat(line.path("path").asText()).isEqualTo("/live/ev1/master.m3u8?(redacted)");
        assertThat(captured.toString(StandardCharsets.UTF_8)).as("no line holds the token, encoded or not")
                .doesNotContain(encoded.substring(0, 40)).doesNotContain(signature);
    }

    @Test
    void jsonAccessLinesAreFlatWithTypedNumbers() throws Exception {
        start("");
        HttpResponse<String> ok = get("/api/clip?keep=1&token=" + token());
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(get("/api/clip").statusCode()).isEqualTo(401);
        List<JsonNode> lines = lines();
        for (JsonNode n : lines) {
            assertThat(n.isObject()).isTrue();
            assertThat(n.fieldNames()).toIterable().as("the common fields").contains("timestamp", "level", "logger",
                    "message");
            assertThat(Instant.parse(n.path("timestamp").asText())).as("ISO-8601").isNotNull();
            assertThat(n.path("timestamp").asText()).as("UTC").endsWith("Z");
            assertThat(n.has("kvpList") || n.has("@version") || n.has("level_value") || n.has("arguments")).isFalse();
        }
        JsonNode line = line(lines, id(ok));
        assertThat(line.path("level").asText()).isEqualTo("INFO");
        assertThat(line.path("status").isIntegralNumber()).as("status is a number: " + line).isTrue();
        assertThat(line.path("status").asInt()).isEqualTo(200);
        assertThat(line.path("durationMs").isIntegralNumber()).isTrue();
        assertThat(line.path("bytes").isIntegralNumber()).isTrue();
        assertThat(line.path("bytes").asLong()).isEqualTo(ok.body().length());
        assertThat(line.path("route").asText()).isEqualTo("api");
        assertThat(line.path("method").asText()).isEqualTo("GET");
        assertThat(line.path("path").asText()).isEqualTo("/api/clip?keep=1");
        assertThat(line.path("reason").asText()).isEqualTo("-");
        assertThat(line.path("client").asText()).isEqualTo("127.0.0.1");
        assertThat(access(lines)).anySatisfy(n -> {
            assertThat(n.path("status").asInt()).isEqualTo(401);
            assertThat(n.path("reason").asText()).isEqualTo("missing_token");
        });
    }

    @Test
    void everyAnswerCarriesXRequestIdMatchingItsAccessLine() throws Exception {
        start("");
        List<HttpResponse<String>> answers = new ArrayList<>();
        answers.add(get("/api/clip?token=" + token()));                                  // proxied 200
        answers.add(get("/api/status/304?token=" + token()));                            // proxied 304
        answers.add(send("OPTIONS", "/api/clip", "Origin", "https://player.example",
                "Access-Control-Request-Method", "GET"));                                // preflight 204
        answers.add(get("/api/clip"));                                                   // 401
        answers.add(get("/nowhere"));                                                    // 404 no_route
        answers.add(get("/gone/x?token=" + token()));                                    // 502
        HttpResponse<String> master = get("/live/ev1/master.m3u8?token=" + token());      // playlist
        answers.add(master);
        String child = master.body().lines().filter(l -> !l.startsWith("#") && !l.isBlank()).findFirst().orElseThrow();
        HttpResponse<String> mediaPlaylist = get("/live/ev1/" + child);                   // child playlist, session
        answers.add(mediaPlaylist);
        String segment = mediaPlaylist.body().lines().filter(l -> !l.startsWith("#") && !l.isBlank()).findFirst()
                .orElseThrow();
        answers.add(get("/live/ev1/" + segment));                                        // segment
        answers.add(send("POST", "/_streamgate/renew", "Content-Type", "application/json")); // renewal 400
        for (HttpResponse<String> r : answers) {
            assertThat(r.statusCode()).isIn(200, 204, 304, 400, 401, 404, 502);
        }
        ws = new WebSocketClient();
        ws.start();
        Viewer v = new Viewer();
        Session session = ws.connect(v, URI.create("ws://127.0.0.1:" + gateway.port() + "/ws/room?token=" + token()))
                .get(10, TimeUnit.SECONDS);
        String upgradeId = session.getUpgradeResponse().getHeader("X-Request-Id");
        session.close(1000, "bye", org.eclipse.jetty.websocket.api.Callback.NOOP);
        assertThat(v.closeCode(Viewer.WAIT)).isEqualTo(1000);
        HttpResponse<String> admin = http.send(HttpRequest.newBuilder(URI.create(gateway.adminUri() + "/healthz"))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        id(admin); // admin answers name their request too (they have no access line)

        List<JsonNode> lines = lines();
        for (HttpResponse<String> r : answers) {
            JsonNode line = line(lines, id(r));
            assertThat(line.path("status").asInt()).as(r.uri().toString()).isEqualTo(r.statusCode());
        }
        assertThat(upgradeId).as("the 101 names its request").matches("[0-9a-f]{16}");
        assertThat(line(lines, upgradeId).path("status").asInt()).isEqualTo(101);
        assertThat(answers.stream().map(AccessLinesTest::id).distinct()).as("one id per request")
                .hasSize(answers.size());
        JsonNode segmentLine = line(lines, id(answers.get(answers.size() - 2)));
        assertThat(segmentLine.path("sid").asText()).as("a session's request carries its sid").isNotBlank();
        assertThat(line(lines, id(mediaPlaylist)).path("sid").asText()).isEqualTo(segmentLine.path("sid").asText());
        assertThat(line(lines, id(master)).path("sid").asText()).as("the session the playlist opened")
                .isEqualTo(segmentLine.path("sid").asText());
        assertThat(line(lines, upgradeId).path("sid").asText()).as("the WebSocket session's sid").isNotBlank();
        assertThat(line(lines, id(answers.get(0))).has("sid")).as("no session, no sid").isFalse();
    }

    @Test
    void originReceivesTraceparent() throws Exception {
        start("");
        // the viewer's valid one passes, its tracestate with it
        HttpResponse<String> passed = get("/api/a?token=" + token(), "traceparent", VIEWER_TRACE, "tracestate",
                "rojo=00f067aa0ba902b7");
        RecordingOrigin.Seen a = origin.next();
        assertThat(a.header("traceparent")).isEqualTo(VIEWER_TRACE);
        assertThat(a.header("tracestate")).isEqualTo("rojo=00f067aa0ba902b7");
        // none: one made here, not sampled
        HttpResponse<String> made = get("/api/b?token=" + token());
        RecordingOrigin.Seen b = origin.next();
        assertThat(b.header("traceparent")).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-00");
        // a malformed one is replaced, and the tracestate that came with it dropped
        HttpResponse<String> replaced = get("/api/c?token=" + token(), "traceparent", VIEWER_TRACE.toUpperCase(),
                "tracestate", "rojo=1");
        RecordingOrigin.Seen c = origin.next();
        assertThat(c.header("traceparent")).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-00")
                .doesNotContain("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(c.header("tracestate")).isNull();
        // a playlist fetched by the origin shield, and a WebSocket upgrade
        assertThat(get("/rec/x/index.m3u8?token=" + token(), "traceparent", VIEWER_TRACE).statusCode()).isEqualTo(200);
        assertThat(origin.next().header("traceparent")).isEqualTo(VIEWER_TRACE);
        ws = new WebSocketClient();
        ws.start();
        org.eclipse.jetty.websocket.client.ClientUpgradeRequest up = new org.eclipse.jetty.websocket.client.ClientUpgradeRequest();
        up.setHeader("traceparent", VIEWER_TRACE);
        Session session = ws.connect(new Viewer(), URI.create("ws://127.0.0.1:" + gateway.port() + "/ws/r?token="
                + token()), up).get(10, TimeUnit.SECONDS);
        RecordingOrigin.Seen upgrade = origin.next();
        assertThat(upgrade.method()).isEqualTo("UPGRADE");
        assertThat(upgrade.header("traceparent")).isEqualTo(VIEWER_TRACE);
        session.close();
        // a denial that went nowhere: the viewer's trace id is still on its line
        HttpResponse<String> denied = get("/api/d", "traceparent", VIEWER_TRACE);
        HttpResponse<String> plain = get("/nowhere");

        List<JsonNode> lines = lines();
        assertThat(line(lines, id(passed)).path("traceId").asText()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(line(lines, id(made)).path("traceId").asText()).isEqualTo(b.header("traceparent").substring(3, 35));
        assertThat(line(lines, id(replaced)).path("traceId").asText()).isEqualTo(c.header("traceparent").substring(3, 35));
        assertThat(line(lines, id(denied)).path("traceId").asText()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(line(lines, id(plain)).has("traceId")).as("no traceparent, nothing proxied: none").isFalse();
    }

    @Test
    void warmupIsNotAccessLogged() throws Exception {
        start("warmup: {verifications: 300, maxDuration: 30s}\n");
        // ready once the warm start (its HTTP leg included) is done
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        boolean warm = false;
        while (!warm && System.nanoTime() < deadline) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(gateway.adminUri() + "/readyz"))
                    .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
            warm = JSON.readTree(r.body()).path("warm").asBoolean();
            if (!warm) {
                new CountDownLatch(1).await(50, TimeUnit.MILLISECONDS); // a bounded poll
            }
        }
        assertThat(warm).as("the warm start finished").isTrue();
        // a viewer asking for the same path, even with a made-up warm-up header, is logged and counted
        HttpResponse<String> viewer = get("/_streamgate/warmup", "X-StreamGate-Warmup", "0123456789abcdef0123456789abcdef");
        assertThat(viewer.statusCode()).isEqualTo(404);
        List<JsonNode> lines = lines();
        Matcher sent = lines.stream().map(n -> Pattern.compile("warm-up: (\\d+) requests through the HTTP path")
                .matcher(n.path("message").asText())).filter(Matcher::find).findFirst().orElseThrow();
        assertThat(Integer.parseInt(sent.group(1))).as("the warm-up sent requests").isPositive();
        assertThat(access(lines)).as("only the viewer's request is logged")
                .extracting(n -> n.path("requestId").asText()).containsExactly(id(viewer));
        assertThat(lines).as("no denial line for the warm-up")
                .noneMatch(n -> n.path("logger").asText().equals(AccessLog.DENIALS)
                        && !n.path("requestId").asText().equals(id(viewer)));
        assertThat(decisions("-", "no_route")).as("the viewer's 404 is counted, none of the warm-up's").isEqualTo(1);
    }

    @Test
    void noRouteAndMethodNotAllowedAreCounted() throws Exception {
        start("");
        assertThat(get("/nowhere").statusCode()).isEqualTo(404);
        assertThat(get("/nowhere/else?a=1").statusCode()).isEqualTo(404);
        assertThat(send("DELETE", "/api/x?token=" + token()).statusCode()).isEqualTo(405);
        assertThat(RawHttp.status(RawHttp.exchange(gateway.port(),
                "GET /api/%2e%2e/x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"))).isEqualTo(400);
        assertThat(RawHttp.status(RawHttp.exchange(gateway.port(),
                "GET /api/x?a=%zz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"))).isEqualTo(400);
        assertThat(get("/_streamgate/renew").statusCode()).as("the renewal endpoint's own denial").isEqualTo(405);
        assertThat(get("/api/x").statusCode()).isEqualTo(401);
        assertThat(get("/live/ev1/x.ts?sg_session=3.bm90LWEtY3JlZGVudGlhbC1hdC1hbGwtMDEyMzQ1Njc4OQ")
                .statusCode()).as("a session credential refused").isEqualTo(401);
        assertThat(get("/gone/x?token=" + token()).statusCode()).isEqualTo(502);
        stopped();

        assertThat(decisions("-", "no_route")).isEqualTo(2);
        assertThat(decisions("api", "method_not_allowed")).isEqualTo(1);
        assertThat(decisions("-", "malformed_path")).isEqualTo(1);
        assertThat(decisions("-", "malformed_query")).as("refused before routing").isEqualTo(1);
        assertThat(decisions("-", "method_not_allowed")).isEqualTo(1);
        assertThat(decisions("api", "missing_token")).as("counted once, by the Authorizer").isEqualTo(1);
        assertThat(decisions("hls", "bad_signature")).as("counted once").isEqualTo(1);
        assertThat(registry.find("streamgate.decisions").tag("reason", "upstream_unavailable").counters()
                .stream().mapToDouble(Counter::count).sum()).as("an origin's failure is not a decision").isZero();
        assertThat(registry.find("streamgate.decisions").tag("route", "/nowhere").counters())
                .as("the route tag never holds a path").isEmpty();
    }

    @Test
    void oneViewersDenialsCannotHideAnothers() throws Exception {
        start("");
        for (int i = 0; i < 5; i++) {
            assertThat(get("/gone/a?token=" + token(), "X-Forwarded-For", "203.0.113.1").statusCode()).isEqualTo(502);
        }
        HttpResponse<String> other = get("/gone/b/c?token=" + token() + "&keep=2", "X-Forwarded-For", "203.0.113.2");
        assertThat(other.statusCode()).isEqualTo(502);
        List<JsonNode> denials = lines().stream().filter(n -> n.path("logger").asText().equals(AccessLog.DENIALS))
                .toList();
        assertThat(denials.stream().filter(n -> n.path("client").asText().equals("203.0.113.1")))
                .as("the first viewer's: one line in the interval").hasSize(1);
        JsonNode second = denials.stream().filter(n -> n.path("client").asText().equals("203.0.113.2")).findFirst()
                .orElseThrow(() -> new AssertionError("the second viewer's denial was hidden: " + denials));
        assertThat(second.path("level").asText()).isEqualTo("WARN");
        assertThat(second.path("requestId").asText()).isEqualTo(id(other));
        assertThat(second.path("reason").asText()).isEqualTo("upstream_unavailable");
        assertThat(second.path("status").asInt()).isEqualTo(502);
        assertThat(second.path("path").asText()).as("canonical, credential-free").isEqualTo("/gone/b/c?keep=2");
        assertThat(second.path("sub").asText()).as("the token's subject").isEqualTo("viewer-1");
        assertThat(second.path("held").asLong()).as("the first viewer's four held back").isEqualTo(4);
        assertThat(second.path("message").asText()).contains("502 upstream_unavailable on route gone")
                .contains("4 more since the last such line");
    }
}
