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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.streamgate.filters.testing.TestKeys;
import io.streamgate.filters.testing.Tokens;
import io.streamgate.gateway.GatewayHarness;
import io.streamgate.gateway.testing.Viewer;
import io.streamgate.gateway.RawHttp;
import io.streamgate.gateway.RecordingOrigin;
import io.streamgate.gateway.config.ConfigLoader;
import io.streamgate.gateway.config.GatewayConfig;
import io.streamgate.origin.DemoOrigin;
import io.streamgate.gateway.runtime.GatewayServer;

/**
 * The issue's log test: the gateway at DEBUG with JSON output and the access log on, every
 * route type driven (http; hls playlist, child playlist and segment with the session
 * credential; a WebSocket upgrade, frames both ways and a close) and every denial reason
 * reachable from outside (missing, malformed, bad signature, expired, forbidden, replayed,
 * 405, 400 malformed_path and malformed_query, 404, 502, 504), all of it with tokens in the
 * query, the {@code Authorization} header and a cookie. Everything logged is captured as the
 * configured encoder wrote it, and: every line is one JSON object; the access lines carry
 * the documented fields; no line contains a token used, a JWS-shaped string or a session
 * credential.
 */
class NoTokenInLogsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern JWS = Pattern.compile("eyJ[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]*");

    @TempDir
    Path dir;

    private final TestKeys key = TestKeys.es256("k1");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private final List<String> tokens = new ArrayList<>();
    private final List<String> credentials = new ArrayList<>();
    private RecordingOrigin origin;
    private DemoOrigin media;
    private GatewayServer gateway;
    private WebSocketClient ws;

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

    private GatewayConfig config(String logSection) throws Exception {
        origin = new RecordingOrigin();
        media = DemoOrigin.start("127.0.0.1", 0, Clock.systemUTC());
        int nothing = 1; // nobody listens on port 1: 502
        Files.writeString(dir.resolve("key.pem"), key.publicPem());
        String yaml = GatewayHarness.head(key, 0)
                + "replay: {mode: once}\n"
                + "hls: {sessionSecret: 'test-secret-0123456789'}\n"
                + "proxy: {connectTimeout: 2s, idleTimeout: 1s}\n"
                + logSection
                + "routes:\n"
                + "  - {name: api, path: /api/, type: http, upstream: '" + origin.http() + "/up/',"
                + " require: [{claim: 'roles[].eventId', contains: '{path.0}'}]}\n"
                + "  - {name: hls, path: /live/, type: hls, upstream: '" + media.httpBase() + "/live/',"
                + " require: [{claim: 'roles[].eventId', contains: '{path.0}'}]}\n"
                + "  - {name: ws, path: /ws/, type: websocket, upstream: '" + origin.ws() + "/ws/'}\n"
                + "  - {name: down, path: /down/, type: http, upstream: 'http://127.0.0.1:" + nothing + "/', auth: none}\n"
                + "  - {name: slow, path: /slow/, type: http, upstream: '" + origin.http() + "/up/', auth: none}\n"
                + "  - {name: gone, path: /gone/, type: http, upstream: 'http://127.0.0.1:" + nothing + "/'}\n";
        return new ConfigLoader(System::getenv).parse(yaml, dir);
    }

    private String token(String event) {
        return remember(Tokens.signedBy(key, System.currentTimeMillis() / 1000)
                .claim("roles", List.of(Map.of("name", "ROLE_ATTENDEE", "eventId", event))).sign());
    }

    private String remember(String t) {
        tokens.add(t);
        return t;
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

    private static String reason(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body()).path("reason").asText();
    }

    private static String firstUri(String playlist) {
        return playlist.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).findFirst().orElseThrow();
    }

    private String credentialOf(String uri) {
        Matcher m = Pattern.compile("sg_session=([^&\\s]+)").matcher(uri);
        assertThat(m.find()).as("a session credential in " + uri).isTrue();
        credentials.add(m.group(1));
        return m.group(1);
    }

    /** Stops the gateway (a relayed session's end is logged), flushes, and returns every captured line. */
    private List<String> lines() throws Exception {
        gateway.close();
        gateway = null;
        Logging.restoreDefault(); // drains the async queue into the capture
        String all = captured.toString(StandardCharsets.UTF_8);
        return all.lines().filter(l -> !l.isBlank()).toList();
    }

    /** The fields of a flat JSON line besides timestamp, level, logger, thread and message, as text. */
    static Map<String, String> kvp(JsonNode line) {
        Map<String, String> out = new LinkedHashMap<>();
        line.fields().forEachRemaining(e -> {
            if (!List.of("timestamp", "level", "logger", "thread", "message").contains(e.getKey())) {
                out.put(e.getKey(), e.getValue().asText());
            }
        });
        return out;
    }

    @Test
    void debugJsonWithAccessLinesNeverContainsATokenOrCredential() throws Exception {
        GatewayConfig config = config("log: {level: debug, format: json, access: true}\n");
        assertThat(config.log()).isEqualTo(new GatewayConfig.Log(GatewayConfig.LogLevel.DEBUG,
                GatewayConfig.LogFormat.JSON, true));
        Logging.configure(config.log(), captured);
        assertThat(LoggerFactory.getLogger("io.streamgate.gateway.proxy.UpstreamProxy").isDebugEnabled())
                .as("StreamGate's loggers at debug").isTrue();
        for (String jetty : List.of("org.eclipse.jetty.server.internal.HttpConnection",
                "org.eclipse.jetty.server.internal.HttpChannelState", "org.eclipse.jetty.http.HttpParser",
                "org.eclipse.jetty.proxy.ProxyHandler", "org.eclipse.jetty.websocket.core.WebSocketCoreSession",
                "org.eclipse.jetty.client.transport.internal.HttpSenderOverHTTP")) {
            assertThat(LoggerFactory.getLogger(jetty).isDebugEnabled()).as(jetty + " capped at INFO").isFalse();
            assertThat(LoggerFactory.getLogger(jetty).isInfoEnabled()).as(jetty).isTrue();
        }
        gateway = GatewayServer.start(config, Clock.systemUTC());
        Map<String, String> expected = new LinkedHashMap<>(); // requestId -> reason

        // http: allowed (query token, kept parameter), header token, cookie token
        HttpResponse<String> ok = get("/api/ev1/clip?keep=1&token=" + token("ev1"));
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(get("/api/ev1/clip", "Authorization", "Bearer " + token("ev1")).statusCode()).isEqualTo(200);
        assertThat(get("/api/ev1/clip", "Cookie", "sg_token=" + token("ev1")).statusCode()).isEqualTo(200);

        // every denial reason reachable from outside
        HttpResponse<String> r = get("/api/ev1/clip");
        assertThat(reason(r)).isEqualTo("missing_token");
        r = get("/api/ev1/clip?token=" + remember("eyJhbGciOiJFUzI1NiJ9.not-a-payload"));
        assertThat(reason(r)).isEqualTo("malformed_token");
        String good = token("ev1");
        int i = good.lastIndexOf('.') + 5;
        String tampered = remember(good.substring(0, i) + (good.charAt(i) == 'A' ? 'B' : 'A') + good.substring(i + 1));
        assertThat(reason(get("/api/ev1/clip?token=" + tampered))).isEqualTo("bad_signature");
        String expired = remember(Tokens.signedBy(key, System.currentTimeMillis() / 1000 - 7200)
                .claim("roles", List.of(Map.of("name", "ROLE_ATTENDEE", "eventId", "ev1"))).sign());
        assertThat(reason(get("/api/ev1/clip?token=" + expired))).isEqualTo("expired");
        assertThat(reason(get("/api/ev1/clip", "Authorization", "Bearer " + token("ev2")))).isEqualTo("forbidden");
        String once = token("ev1");
        assertThat(get("/api/ev1/clip?token=" + once).statusCode()).isEqualTo(200);
        assertThat(reason(get("/api/ev1/clip?token=" + once))).isEqualTo("replayed");
        assertThat(send("DELETE", "/api/ev1/clip?token=" + token("ev1")).statusCode()).isEqualTo(405);
        String raw = RawHttp.exchange(gateway.port(), "GET /api/ev1/%2e%2e/x?token=" + token("ev1")
                + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        assertThat(RawHttp.status(raw)).isEqualTo(400);
        assertThat(RawHttp.body(raw)).contains("malformed_path");
        raw = RawHttp.exchange(gateway.port(), "GET /api/ev1/clip?a=%zz&token=" + token("ev1")
                + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        assertThat(RawHttp.body(raw)).contains("malformed_query");
        assertThat(reason(get("/nowhere?token=" + token("ev1")))).isEqualTo("no_route");
        assertThat(reason(get("/down/x?token=" + token("ev1")))).isEqualTo("upstream_unavailable");
        assertThat(reason(get("/slow/hold?token=" + token("ev1")))).isEqualTo("upstream_timeout");

        // hls: master with a token, child playlist and segment with the credential, a bad credential
        HttpResponse<String> master = get("/live/ev1/master.m3u8?token=" + token("ev1"));
        assertThat(master.statusCode()).isEqualTo(200);
        String child = firstUri(master.body());
        credentialOf(child);
        HttpResponse<String> mediaPlaylist = get("/live/ev1/" + child);
        assertThat(mediaPlaylist.statusCode()).isEqualTo(200);
        String segment = firstUri(mediaPlaylist.body());
        credentialOf(segment);
        assertThat(get("/live/ev1/" + segment).statusCode()).isEqualTo(200);
        String credential = credentials.get(0);
        assertThat(get("/live/ev1/" + child.replace(credential, credential.substring(0, credential.length() - 3) + "xyz"))
                .statusCode()).isEqualTo(401);

        // websocket: upgrade with the token as a subprotocol entry, frames both ways, close
        ws = new WebSocketClient();
        ws.start();
        Viewer v = new Viewer();
        ClientUpgradeRequest up = new ClientUpgradeRequest();
        up.setSubProtocols("chat", token("ev1"));
        ws.connect(v, URI.create("ws://127.0.0.1:" + gateway.port() + "/ws/room?token=" + token("ev1")), up)
                .get(10, TimeUnit.SECONDS);
        v.session().sendText("hello " + tokens.get(0), org.eclipse.jetty.websocket.api.Callback.NOOP);
        assertThat(v.next()).isEqualTo("hello " + tokens.get(0));
        v.session().close(1000, "bye", org.eclipse.jetty.websocket.api.Callback.NOOP);
        assertThat(v.closeCode(Viewer.WAIT)).isEqualTo(1000);

        List<String> lines = lines();
        assertThat(lines).as("something was logged").hasSizeGreaterThan(20);
        List<JsonNode> parsed = new ArrayList<>();
        for (String line : lines) {
            JsonNode n = JSON.readTree(line);
            assertThat(n.isObject()).as("one JSON object per line: " + line).isTrue();
            parsed.add(n);
            for (String t : tokens) {
                assertThat(line).as("no token").doesNotContain(t);
                assertThat(line).as("no token fragment").doesNotContain(t.substring(0, t.indexOf('.')));
            }
            for (String c : credentials) {
                assertThat(line).as("no session credential").doesNotContain(c);
            }
            assertThat(JWS.matcher(line).find()).as("nothing JWS-shaped: " + line).isFalse();
            assertThat(line).doesNotContain("sg_session=").doesNotContain("eyJ");
        }
        assertThat(parsed).as("debug lines are written").anyMatch(n -> n.path("level").asText().equals("DEBUG"));

        List<Map<String, String>> requests = new ArrayList<>();
        List<Map<String, String>> sessions = new ArrayList<>();
        for (JsonNode n : parsed) {
            if (n.path("logger").asText().equals(AccessLog.LOGGER)) {
                assertThat(n.path("level").asText()).isEqualTo("INFO");
                Map<String, String> f = kvp(n);
                if (n.path("message").asText().equals("request")) {
                    assertThat(f).containsKeys("requestId", "route", "method", "path", "status", "reason", "client",
                            "durationMs", "bytes");
                    assertThat(f.get("path")).doesNotContain("token").doesNotContain("sg_session");
                    assertThat(Long.parseLong(f.get("durationMs"))).isNotNegative();
                    requests.add(f);
                } else {
                    assertThat(n.path("message").asText()).isEqualTo("session ended");
                    assertThat(f).containsKeys("sid", "route", "sub", "start", "durationMs", "bytes", "end");
                    sessions.add(f);
                }
            }
        }
        assertThat(requests).as("one line per request: 16 api/edge, 4 hls, the upgrade").hasSize(21);
        assertThat(requests).extracting(f -> f.get("reason")).contains("-", "missing_token", "malformed_token",
                "bad_signature", "expired", "forbidden", "replayed", "method_not_allowed", "malformed_path",
                "malformed_query", "no_route", "upstream_unavailable", "upstream_timeout");
        Map<String, String> first = requests.get(0);
        assertThat(first).containsEntry("route", "api").containsEntry("method", "GET")
                .containsEntry("path", "/api/ev1/clip?keep=1").containsEntry("status", "200")
                .containsEntry("reason", "-").containsEntry("client", "127.0.0.1");
        assertThat(Long.parseLong(first.get("bytes"))).isEqualTo(ok.body().length());
        assertThat(requests).anySatisfy(f -> assertThat(f).containsEntry("route", "hls").containsEntry("status", "200")
                .containsEntry("path", "/live/ev1/" + segment.substring(0, segment.indexOf('?'))));
        assertThat(requests).anySatisfy(f -> assertThat(f).containsEntry("route", "-").containsEntry("status", "400")
                .containsEntry("reason", "malformed_path").containsEntry("path", "(malformed)"));
        assertThat(requests).anySatisfy(f -> assertThat(f).containsEntry("route", "-").containsEntry("status", "404")
                .containsEntry("reason", "no_route").containsEntry("path", "/nowhere"));
        Map<String, String> upgrade = requests.stream().filter(f -> f.get("route").equals("ws")).findFirst().orElseThrow();
        assertThat(upgrade).containsEntry("status", "101").containsEntry("path", "/ws/room");

        assertThat(sessions).hasSize(1);
        assertThat(sessions.get(0).get("sid")).as("the session id (WebSocketRoute.sessionId)").isNotBlank();
        assertThat(sessions.get(0)).containsEntry("route", "ws")
                .containsEntry("sub", "viewer-1").containsEntry("end", "viewer closed (1000)");
        assertThat(Long.parseLong(sessions.get(0).get("bytes")))
                .as("the frame both ways").isEqualTo(2L * ("hello " + tokens.get(0)).length());

        // denials and upstream failures at the default levels, rate-limited per reason
        List<JsonNode> denials = parsed.stream().filter(n -> n.path("logger").asText().equals(AccessLog.DENIALS))
                .toList();
        assertThat(denials).anySatisfy(n -> {
            assertThat(n.path("level").asText()).isEqualTo("INFO");
            assertThat(n.path("message").asText()).contains("401 expired on route api");
        });
        assertThat(denials).anySatisfy(n -> {
            assertThat(n.path("level").asText()).isEqualTo("WARN");
            assertThat(n.path("message").asText()).contains("502 upstream_unavailable on route down");
        });
        assertThat(denials).anySatisfy(n -> assertThat(n.path("message").asText())
                .contains("504 upstream_timeout on route slow"));
        assertThat(denials.stream().filter(n -> n.path("message").asText().contains(" missing_token ")))
                .as("one line per reason per interval").hasSize(1);
    }

    @Test
    void aForgedSubOrAForeignCredentialSpellingForgesNoLineAndLeaksNothing() throws Exception {
        GatewayConfig config = config("log: {level: info, format: text, access: true}\n");
        Logging.configure(config.log(), captured);
        gateway = GatewayServer.start(config, Clock.systemUTC());
        String forged = "x\"\nstreamgate.access - request status=\"200\"";
        String forger = remember(Tokens.signedBy(key, System.currentTimeMillis() / 1000).claim("sub", forged)
                .claim("roles", List.of(Map.of("name", "ROLE_ATTENDEE", "eventId", "ev1"))).sign());
        // a denial line naming the sub (the origin is down after the token was accepted)
        assertThat(reason(get("/gone/x?token=" + forger))).isEqualTo("upstream_unavailable");
        // a session-ended line naming the sub
        ws = new WebSocketClient();
        ws.start();
        Viewer v = new Viewer();
        ws.connect(v, URI.create("ws://127.0.0.1:" + gateway.port() + "/ws/room?token=" + forger)).get(10, TimeUnit.SECONDS);
        v.session().close(1000, "bye", org.eclipse.jetty.websocket.api.Callback.NOOP);
        assertThat(v.closeCode(Viewer.WAIT)).isEqualTo(1000);
        // a live session credential under other spellings of its parameter
        HttpResponse<String> master = get("/live/ev1/master.m3u8?token=" + token("ev1"));
        String child = firstUri(master.body());
        String credential = credentialOf(child);
        String childPath = "/live/ev1/" + child.substring(0, child.indexOf('?'));
        for (String spelling : List.of("SG_SESSION", "Sg_Session", "sg%5Fsession")) {
            get(childPath + "?keep=1&" + spelling + "=" + credential);
        }

        List<String> lines = lines();
        assertThat(lines).as("every line is an event's, or an indented stack-trace line")
                .allMatch(l -> TextLayoutTest.EVENT.matcher(l).find() || l.startsWith("\t"));
        assertThat(lines).noneMatch(l -> l.startsWith("streamgate.access"));
        assertThat(lines.stream().filter(l -> l.contains(" streamgate.access - ")))
                .as("the upgrade, the master playlist, three child requests, 502 and the session's end: 7 lines")
                .hasSize(7);
        String escaped = "x\\\"\\nstreamgate.access - request status=\\\"200\\\"";
        assertThat(lines).as("the denial line, sub escaped")
                .anyMatch(l -> l.contains("502 upstream_unavailable on route gone") && l.contains("sub=\"" + escaped + "\""));
        assertThat(lines).as("the session-ended line, sub escaped")
                .anyMatch(l -> l.contains("session ended") && l.contains("sub=\"" + escaped + "\""));
        for (String line : lines) {
            assertThat(line).as("no credential under any spelling").doesNotContain(credential);
            for (String t : tokens) {
                assertThat(line).as("no token").doesNotContain(t);
            }
        }
        assertThat(lines).as("the child requests' access lines keep the rest of the query")
                .filteredOn(l -> l.contains(" streamgate.access - ") && l.contains("path=\"" + childPath + "?keep=1\""))
                .hasSize(3);
    }

    @Test
    void accessLinesAreOffByDefault() throws Exception {
        GatewayConfig config = config("");
        assertThat(config.log()).isEqualTo(GatewayConfig.Log.DEFAULT);
        Logging.configure(config.log(), captured);
        assertThat(LoggerFactory.getLogger(AccessLog.LOGGER).isInfoEnabled()).isFalse();
        gateway = GatewayServer.start(config, Clock.systemUTC());
        assertThat(get("/api/ev1/clip?token=" + token("ev1")).statusCode()).isEqualTo(200);
        assertThat(get("/api/ev1/clip").statusCode()).isEqualTo(401);
        List<String> lines = lines();
        assertThat(lines).as("startup lines in text").anyMatch(l -> l.contains("INFO") && l.contains("StreamGate listening on"));
        assertThat(lines).noneMatch(l -> l.contains(AccessLog.LOGGER));
        assertThat(lines).as("the denial, at INFO, without the request's token")
                .anyMatch(l -> l.contains("INFO") && l.contains("401 missing_token on route api"));
        assertThat(lines).noneMatch(l -> l.contains(tokens.get(0)));
        assertThat(lines).as("text, not JSON").noneMatch(l -> l.startsWith("{"));
    }

    @Test
    void renewalAnswersCarryTheIdOfTheirAccessLine() throws Exception {
        GatewayConfig config = config("log: {level: info, format: json, access: true}\n");
        Logging.configure(config.log(), captured);
        gateway = GatewayServer.start(config, Clock.systemUTC());
        String first = token("ev1");
        assertThat(get("/live/ev1/master.m3u8?token=" + first).statusCode()).isEqualTo(200);
        List<HttpResponse<String>> answers = new ArrayList<>();
        for (String body : new String[] {"{\"token\":\"" + token("ev1") + "\",\"previous\":\"" + first + "\"}",
            "not json"}) {
            answers.add(http.send(HttpRequest.newBuilder(URI.create(gateway.uri() + "/_streamgate/renew"))
                    .timeout(Duration.ofSeconds(20)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        assertThat(answers.get(0).statusCode()).as(answers.get(0).body()).isEqualTo(200);
        assertThat(answers.get(1).statusCode()).isEqualTo(400);
        List<String> lines = lines();
        for (HttpResponse<String> answer : answers) {
            String id = answer.headers().firstValue("X-Request-Id").orElseThrow();
            assertThat(lines.stream().map(l -> {
                try {
                    return kvp(JSON.readTree(l));
                } catch (Exception e) {
                    return Map.<String, String>of();
                }
            }).filter(kv -> id.equals(kv.get("requestId")))).as("the access line of " + id)
                    .anySatisfy(kv -> {
                        assertThat(kv.get("path")).isEqualTo("/_streamgate/renew");
                        assertThat(kv.get("status")).isEqualTo(Integer.toString(answer.statusCode()));
                    });
        }
    }
}
