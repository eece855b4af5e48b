package io.streamgate.gateway.scaleout;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.jose4j.json.JsonUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.streamgate.filters.testing.RedisServerProcess;
import io.streamgate.filters.testing.TestKeys;
import io.streamgate.filters.testing.Tokens;
import io.streamgate.gateway.config.ConfigLoader;
import io.streamgate.gateway.runtime.GatewayServer;
import io.streamgate.gateway.testing.TestReplicas;
import io.streamgate.gateway.testing.Viewer;
import io.streamgate.origin.DemoOrigin;

/**
 * Sessions across two gateway replicas sharing a real redis-server: revocation at one ends
 * sessions held at the other, renewal at one extends sessions opened at the other, and
 * sharing limits count HLS and WebSocket viewers of one key together.
 */
class SessionsScaleOutTest {
    @TempDir
    Path dir;

    private final TestKeys key = TestKeys.es256("k1");
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(java.time.Duration.ofSeconds(5)).build();
    private TestReplicas replicas;
    private RedisServerProcess redis;
    private DemoOrigin origin;
    private WebSocketClient ws;

    @BeforeEach
    void start() throws Exception {
        replicas = TestReplicas.start(dir, key);
        redis = replicas.redis();
        origin = replicas.origin();
        ws = replicas.ws();
    }

    @AfterEach
    void stop() throws Exception {
        if (replicas != null) { // without redis-server, start() was aborted
            replicas.close();
        }
    }

    /** A replica; its admin listener (on a port the system picked) is {@code admin(replica, path)}. */
    private GatewayServer replica(String replay) throws Exception {
        return replica(replay, Clock.systemUTC(), "");
    }

    /** A replica on {@code clock}, with more {@code hls} settings (e.g. {@code sessionTtl: 30s}). */
    private GatewayServer replica(String replay, Clock clock, String hls) throws Exception {
        // a Redis call may take 200 ms on a busy machine: 2 s before a store error (a 503), not 200 ms
        String yaml = "listen: {host: 127.0.0.1, port: 0}\nwarmup: {verifications: 0}\n"
                + "admin: {host: 127.0.0.1, port: 0}\n"
                + "keys: [{kid: k1, file: key.pem}]\n"
                + "verify: {leeway: 0s}\n"
                + "replay: {store: redis, redis: '" + redis.uri() + "', timeout: 2s, lease: 1s, " + replay + "}\n"
                + "hls: {sessionSecret: 'shared-by-all-replicas-0123'" + (hls.isEmpty() ? "" : ", " + hls) + "}\n"
                + "routes:\n"
                + "  - {name: hls, path: /live/, type: hls, upstream: '" + origin.httpBase() + "/live/',"
                + " require: [{claim: 'roles[].eventId', contains: '{path.0}'}]}\n"
                + "  - {name: ws, path: /ws, type: websocket, onExpiry: close, upstream: '" + origin.wsBase()
                + "/h5live/stream'}\n";
        return replicas.replica(yaml, clock);
    }

    private URI admin(GatewayServer g, String path) {
        return g.adminUri().resolve(path);
    }

    private Tokens token(String sub, long ttlSeconds) {
        return token(Clock.systemUTC(), sub, ttlSeconds, "ev1");
    }

    /** A token of {@code sub} on {@code clock}, granting these events. */
    private Tokens token(Clock clock, String sub, long ttlSeconds, String... events) {
        long now = clock.millis() / 1000;
        return Tokens.signedBy(key, now).claim("sub", sub).claim("exp", now + ttlSeconds)
                .claim("roles", java.util.Arrays.stream(events).map(e -> Map.of("eventId", e)).toList());
    }

    private HttpResponse<String> get(GatewayServer g, String pathAndQuery) throws Exception {
        return http.send(HttpRequest.newBuilder(g.uri().resolve(pathAndQuery)).timeout(java.time.Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(URI uri, String json) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).timeout(java.time.Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * A renewal right after the session opened: its record is written as the opening answer goes
     * out, so a renewal sent within milliseconds may not find it yet (404): asked again, bounded.
     */
    private HttpResponse<String> renew(GatewayServer g, String json) throws Exception {
        return renew(g, json, 1);
    }

    /**
     * As {@link #renew(GatewayServer, String)}, asked again (bounded) until the answer accounts
     * for {@code sessions} sessions of the previous token (renewed or refused): each record is
     * written as its own opening answer goes out, so the last may not be there yet.
     */
    private HttpResponse<String> renew(GatewayServer g, String json, int sessions) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SETTLE_MS);
        HttpResponse<String> r = post(g.uri().resolve("/_streamgate/renew"), json);
        while ((r.statusCode() == 404 || r.statusCode() == 200 && accounted(r) < sessions)
                && System.nanoTime() < deadline) {
            Thread.sleep(25); // bounded poll
            r = post(g.uri().resolve("/_streamgate/renew"), json);
        }
        return r;
    }

    private static int accounted(HttpResponse<String> r) throws Exception {
        Map<String, Object> body = JsonUtil.parseJson(r.body());
        return (body.get("sessions") instanceof List<?> s ? s.size() : 0)
                + (body.get("refused") instanceof List<?> f ? f.size() : 0);
    }

    /** {@code <field>Iso} is the ISO-8601 UTC form of the epoch seconds in {@code <field>}. */
    static void assertIsoBeside(Map<?, ?> json, String field) {
        assertThat(json.get(field)).as(field).isInstanceOf(Number.class);
        long epoch = ((Number) json.get(field)).longValue();
        assertThat(json.get(field + "Iso")).as(field + "Iso").isInstanceOf(String.class);
        String iso = (String) json.get(field + "Iso");
        assertThat(iso).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
        assertThat(java.time.Instant.parse(iso).getEpochSecond()).as(field + "Iso").isEqualTo(epoch);
    }

    private static String reason(HttpResponse<String> r) throws Exception {
        return (String) JsonUtil.parseJson(r.body()).get("reason");
    }

    /** An HLS playback opened with a token: the media playlist's URL (carrying the credential). */
    private String openHls(GatewayServer g, String token) throws Exception {
        return openHls(g, token, "ev1");
    }

    private String openHls(GatewayServer g, String token, String event) throws Exception {
        HttpResponse<String> master = get(g, "/live/" + event + "/master.m3u8?token=" + token);
        assertThat(master.statusCode()).as(master.body()).isEqualTo(200);
        return "/live/" + event + "/" + master.body().lines().filter(l -> l.startsWith("media.m3u8")).findFirst()
                .orElseThrow();
    }

    /** The first segment's URL of a media playlist fetched with its credential. */
    private String firstSegment(GatewayServer g, String media) throws Exception {
        HttpResponse<String> playlist = get(g, media);
        assertThat(playlist.statusCode()).as(playlist.body()).isEqualTo(200);
        return media.substring(0, media.lastIndexOf('/') + 1)
                + playlist.body().lines().filter(l -> l.startsWith("seg-")).findFirst().orElseThrow();
    }

    private static String credentialOf(String url) {
        return url.substring(url.indexOf("sg_session=") + "sg_session=".length());
    }

    private static String jti(Tokens t) throws Exception {
        return (String) JsonUtil.parseJson(t.payloadJson()).get("jti");
    }

    /** Opens a WebSocket viewer; returns it, or the HTTP status that refused it. */
    private Object connect(GatewayServer g, String token, Viewer v) throws Exception {
        return Viewer.openOrStatus(ws, URI.create(g.uri().toString().replace("http", "ws") + "/ws?token=" + token), v);
    }

    /**
     * How long a change may take to reach another replica here before a test gives up: a bound
     * for a busy machine, not the target (about 0.5 s, measured by the loadtest's
     * {@code revocation-propagation}: docs/benchmarks.md).
     */
    static final long SETTLE_MS = 15_000;

    static boolean within(long millis, BooleanSupplier c) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (System.nanoTime() < deadline) {
            if (c.getAsBoolean()) {
                return true;
            }
            Thread.sleep(25); // bounded poll
        }
        return c.getAsBoolean();
    }

    private BooleanSupplier status(GatewayServer g, String path, int expected) {
        return () -> {
            try {
                return get(g, path).statusCode() == expected;
            } catch (Exception e) {
                return false;
            }
        };
    }

    @Test
    void aRevocationAtOneReplicaEndsSessionsHeldAtTheOtherWithinTwoSeconds() throws Exception {
        GatewayServer a = replica("mode: off");
        GatewayServer b = replica("mode: off");
        Viewer watching = new Viewer();
        assertThat(connect(b, token("fan@example.com", 3600).sign(), watching)).isSameAs(watching);
        Viewer bystander = new Viewer();
        assertThat(connect(b, token("someone-else", 3600).sign(), bystander)).isSameAs(bystander);
        String media = openHls(b, token("fan@example.com", 3600).sign());
        assertThat(get(b, media).statusCode()).isEqualTo(200);

        HttpResponse<String> created = post(admin(a, "/revocations"), "{\"sub\":\"fan@example.com\",\"ttl\":\"1h\","
                + "\"reason\":\"chargeback\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String id = (String) JsonUtil.parseJson(created.body()).get("id");

        assertThat(watching.closedWithin(SETTLE_MS)).as("the WebSocket at B closed").isTrue();
        assertThat(watching.closeCode()).isEqualTo(1008);
        assertThat(watching.closeReason()).isEqualTo("revoked");
        assertThat(within(SETTLE_MS, status(b, media, 401)))
                .as("the HLS session at B refused").isTrue();
        assertThat(reason(get(b, media))).isEqualTo("revoked");
        HttpResponse<String> fresh = get(b, "/live/ev1/master.m3u8?token=" + token("fan@example.com", 3600).sign());
        assertThat(fresh.statusCode()).isEqualTo(401);
        assertThat(reason(fresh)).isEqualTo("revoked");
        assertThat(bystander.isClosed()).as("another viewer keeps watching").isFalse();

        HttpResponse<String> list = http.send(HttpRequest.newBuilder(admin(b, "/revocations")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(list.body()).contains("\"sub\":\"fan@example.com\"").contains(id).contains("chargeback");
        Map<?, ?> listed = ((List<?>) JsonUtil.parseJson(list.body()).get("revocations")).stream()
                .map(r -> (Map<?, ?>) r).filter(r -> id.equals(r.get("id"))).findFirst().orElseThrow();
        assertIsoBeside(listed, "until");
        assertIsoBeside(listed, "created");
        assertThat(http.send(HttpRequest.newBuilder(admin(b, "/metrics")).build(), HttpResponse.BodyHandlers.ofString())
                .body()).contains("streamgate_revocations_applied_total{kind=\"websocket\",reason=\"revoked\"}")
                .contains("streamgate_revocations_active");

        // lifted at B: new tokens pass at A again
        assertThat(http.send(HttpRequest.newBuilder(admin(b, "/revocations/" + id)).DELETE().build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(204);
        assertThat(within(SETTLE_MS, status(a, "/live/ev1/master.m3u8?token=" + token("fan@example.com", 3600).sign(), 200)))
                .isTrue();
        assertThat(http.send(HttpRequest.newBuilder(admin(b, "/revocations/" + id)).DELETE().build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
    }

    @Test
    void aReplicaStartedLaterReadsTheStoredRevocations() throws Exception {
        GatewayServer a = replica("mode: off");
        Tokens t = token("late@example.com", 3600);
        String jti = (String) JsonUtil.parseJson(t.payloadJson()).get("jti");
        assertThat(post(admin(a, "/revocations"), "{\"jti\":\"" + jti + "\"}").statusCode()).isEqualTo(201);
        GatewayServer later = replica("mode: off");
        HttpResponse<String> r = get(later, "/live/ev1/master.m3u8?token=" + t.sign());
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(reason(r)).isEqualTo("revoked");
    }

    @Test
    void aRenewalAtOneReplicaExtendsSessionsOpenedAtTheOther() throws Exception {
        GatewayServer a = replica("mode: once");
        GatewayServer b = replica("mode: once");
        String first = token("renewer", 3).sign();
        String media = openHls(b, first);
        String second = token("renewer", 3).sign();
        Viewer renewedViewer = new Viewer();
        assertThat(connect(b, second, renewedViewer)).isSameAs(renewedViewer);
        // the control's token expires at least 2 s after the renewed ones' first tokens: B checks
        // every session's expiry on one scheduler thread, in deadline order, so once the control
        // is closed the renewed sessions' own checks at their first exp are long done
        Viewer control = new Viewer();
        assertThat(connect(b, token("renewer", 5).sign(), control)).isSameAs(control);

        HttpResponse<String> byPrevious = renew(a,
                "{\"token\":\"" + token("renewer", 60).sign() + "\",\"previous\":\"" + second + "\"}");
        assertThat(byPrevious.statusCode()).as(byPrevious.body()).isEqualTo(200);
        Map<String, Object> renewal = JsonUtil.parseJson(byPrevious.body());
        assertThat(renewal).containsKeys("sid", "expiresAt");
        assertIsoBeside(renewal, "expiresAt");
        assertThat((List<?>) renewal.get("sessions")).isNotEmpty()
                .allSatisfy(session -> assertIsoBeside((Map<?, ?>) session, "expiresAt"));
        String credential = media.substring(media.indexOf("sg_session=") + "sg_session=".length());
        HttpResponse<String> bySession = post(a.uri().resolve("/_streamgate/renew"),
                "{\"token\":\"" + token("renewer", 60).sign() + "\",\"session\":\"" + credential + "\"}");
        assertThat(bySession.statusCode()).as(bySession.body()).isEqualTo(200);

        // past the first tokens' exp: the control closes with 1008, the renewed ones go on
        assertThat(control.closedWithin(SETTLE_MS)).as("an unrenewed session ends at its exp")
                .isTrue();
        assertThat(control.closeCode()).isEqualTo(1008);
        assertThat(renewedViewer.isClosed()).as("the renewed WebSocket stays open").isFalse();
        HttpResponse<String> reload = get(b, media);
        assertThat(reload.statusCode()).as("the credential issued before the renewal still plays").isEqualTo(200);
        String segment = reload.body().lines().filter(l -> l.startsWith("seg-")).findFirst().orElseThrow();
        assertThat(get(b, "/live/ev1/" + segment).statusCode()).isEqualTo(200);
        assertThat(get(a, media).statusCode()).as("and at the other replica").isEqualTo(200);
    }

    @Test
    void aRenewalIsRefusedClearlyAndChangesNothing() throws Exception {
        GatewayServer a = replica("mode: once");
        String first = token("viewer", 3600).sign();
        openHls(a, first);
        URI renew = a.uri().resolve("/_streamgate/renew");
        String fresh = token("viewer", 3600).sign();
        Map<String, String> bodies = new java.util.LinkedHashMap<>();
        bodies.put("not json", "malformed_request");
        bodies.put("[1,2]", "malformed_request");
        bodies.put("{\"token\":\"" + fresh + "\"}", "malformed_request");
        bodies.put("{\"token\":\"" + fresh + "\",\"previous\":\"" + first + "\",\"extra\":1}", "malformed_request");
        bodies.put("{\"token\":\"" + fresh + "\",\"previous\":\"" + first + "\",\"session\":\"x\"}", "malformed_request");
        bodies.put("{\"token\":\"" + fresh + "\",\"previous\":\"" + first.substring(0, first.length() - 4) + "AAAA\"}",
                "bad_signature");
        bodies.put("{\"token\":\"" + fresh + "\",\"session\":\"3.AAAA\"}", "bad_signature");
        bodies.put("{\"token\":\"" + fresh + "\",\"previous\":\"" + token("viewer", 3600).sign() + "\"}",
                "session_not_found");
        bodies.put("{\"token\":\"" + token("somebody-else", 3600).sign() + "\",\"previous\":\"" + first + "\"}",
                "forbidden");
        bodies.put("{\"token\":\"" + token("viewer", -10).sign() + "\",\"previous\":\"" + first + "\"}", "expired");
        bodies.put("{\"token\":\"" + "x".repeat(20_000) + "\",\"previous\":\"" + first + "\"}", "malformed_request");
        for (Map.Entry<String, String> e : bodies.entrySet()) {
            HttpResponse<String> r = post(renew, e.getKey());
            assertThat(r.statusCode()).as(e.getValue()).isBetween(400, 499);
            assertThat(reason(r)).as(e.getKey().length() > 80 ? e.getKey().substring(0, 80) : e.getKey())
                    .isEqualTo(e.getValue());
        }
        // nothing was consumed by the refusals: the fresh token still renews
        HttpResponse<String> ok = post(renew, "{\"token\":\"" + fresh + "\",\"previous\":\"" + first + "\"}");
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        HttpResponse<String> again = post(renew, "{\"token\":\"" + fresh + "\",\"previous\":\"" + first + "\"}");
        assertThat(reason(again)).as("its jti is consumed in once mode").isEqualTo("replayed");
        HttpResponse<String> get = http.send(HttpRequest.newBuilder(renew).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(get.statusCode()).isEqualTo(405);
    }

    @Test
    void revocationBodiesAreCheckedAndBadOnesChangeNothing() throws Exception {
        GatewayServer a = replica("mode: off");
        URI revocations = admin(a, "/revocations");
        for (String bad : new String[] {"nope", "{}", "{\"jti\":\"a\",\"sub\":\"b\"}", "{\"jti\":\"a\",\"colour\":\"red\"}",
            "{\"jti\":\"\"}", "{\"issuedBefore\":\"yesterday\"}", "{\"jti\":\"a\",\"ttl\":\"forever\"}",
            "{\"jti\":\"a\",\"ttl\":\"0s\"}", "{\"jti\":\"a\",\"reason\":\"session_limit\"}",
            "{\"jti\":\"" + "j".repeat(20_000) + "\"}"}) {
            HttpResponse<String> r = post(revocations, bad);
            assertThat(r.statusCode()).as(bad.length() > 60 ? bad.substring(0, 60) : bad).isEqualTo(400);
            assertThat(reason(r)).isEqualTo("malformed_request");
        }
        assertThat(http.send(HttpRequest.newBuilder(revocations).build(), HttpResponse.BodyHandlers.ofString()).body())
                .isEqualTo("{\"revocations\":[]}");
        long now = System.currentTimeMillis() / 1000;
        long cutOff = now - 30;
        assertThat(post(revocations, "{\"issuedBefore\":" + cutOff + ",\"iss\":\"other-issuer\"}").statusCode()).isEqualTo(201);
        assertThat(get(a, "/live/ev1/master.m3u8?token=" + token("v", 3600).claim("iat", now - 60).sign()).statusCode())
                .as("another issuer's cut-off").isEqualTo(200);
        assertThat(post(revocations, "{\"issuedBefore\":" + cutOff + "}").statusCode()).isEqualTo(201);
        HttpResponse<String> old = get(a, "/live/ev1/master.m3u8?token=" + token("v", 3600).claim("iat", now - 60).sign());
        assertThat(reason(old)).isEqualTo("revoked");
        assertThat(get(a, "/live/ev1/master.m3u8?token=" + token("v", 3600).sign()).statusCode())
                .as("issued after the cut-off").isEqualTo(200);
    }

    @Test
    void aSessionLimitBySubjectHoldsAcrossReplicasForHlsAndWebSocketTogether() throws Exception {
        GatewayServer a = replica("mode: limit, maxSessions: 1, limitBy: sub");
        GatewayServer b = replica("mode: limit, maxSessions: 1, limitBy: sub");
        String media = openHls(a, token("ticket-holder", 3600).sign());
        Object second = connect(b, token("ticket-holder", 3600).sign(), new Viewer());
        assertThat(second).as("a second viewer of the same sub, other token, other replica, other kind").isEqualTo(401);
        Viewer other = new Viewer();
        assertThat(connect(b, token("another-holder", 3600).sign(), other)).isSameAs(other);
        assertThat(get(b, media).statusCode()).as("the first viewer plays on").isEqualTo(200);
        // renewing the live session neither counts as another session nor ends it
        String credential = media.substring(media.indexOf("sg_session=") + "sg_session=".length());
        HttpResponse<String> renewed = post(b.uri().resolve("/_streamgate/renew"),
                "{\"token\":\"" + token("ticket-holder", 3600).sign() + "\",\"session\":\"" + credential + "\"}");
        assertThat(renewed.statusCode()).as(renewed.body()).isEqualTo(200);
        assertThat(get(a, media).statusCode()).isEqualTo(200);
        assertThat(connect(a, token("ticket-holder", 3600).sign(), new Viewer())).as("still one session").isEqualTo(401);
    }

    @Test
    void evictOldestEndsTheOlderSessionOfEitherKind() throws Exception {
        GatewayServer a = replica("mode: limit, maxSessions: 1, limitBy: sub, onLimit: evict-oldest");
        GatewayServer b = replica("mode: limit, maxSessions: 1, limitBy: sub, onLimit: evict-oldest");
        Viewer first = new Viewer();
        assertThat(connect(a, token("sharer", 3600).sign(), first)).isSameAs(first);
        String media = openHls(b, token("sharer", 3600).sign());
        assertThat(first.closedWithin(SETTLE_MS)).as("the older WebSocket at A was evicted").isTrue();
        assertThat(first.closeCode()).isEqualTo(1008);
        assertThat(first.closeReason()).isEqualTo("session_limit");
        assertThat(get(b, media).statusCode()).isEqualTo(200);

        Viewer newest = new Viewer();
        assertThat(connect(a, token("sharer", 3600).sign(), newest)).isSameAs(newest);
        assertThat(within(SETTLE_MS, status(b, media, 401))).as("the older HLS session was evicted").isTrue();
        assertThat(reason(get(b, media))).isEqualTo("session_limit");
        assertThat(newest.isClosed()).isFalse();
    }

    @Test
    void theJtiScopeKeepsViewersWithTheSameJtiApart() throws Exception {
        // the partner-key guide mints jti: String(now): two viewers in one second share a jti
        String jti = Long.toString(System.currentTimeMillis() / 1000);
        GatewayServer byIssuer = replica("mode: once");
        assertThat(get(byIssuer, "/live/ev1/master.m3u8?token=" + token("alice", 3600).claim("jti", jti).sign())
                .statusCode()).isEqualTo(200);
        HttpResponse<String> bob = get(byIssuer, "/live/ev1/master.m3u8?token=" + token("bob", 3600).claim("jti", jti).sign());
        assertThat(reason(bob)).as("jtiScope: issuer").isEqualTo("replayed");

        GatewayServer bySubject = replica("mode: once, jtiScope: subject, keyPrefix: 'subject:'");
        assertThat(get(bySubject, "/live/ev1/master.m3u8?token=" + token("alice", 3600).claim("jti", jti).sign())
                .statusCode()).isEqualTo(200);
        assertThat(get(bySubject, "/live/ev1/master.m3u8?token=" + token("bob", 3600).claim("jti", jti).sign())
                .statusCode()).as("jtiScope: subject").isEqualTo(200);
        HttpResponse<String> aliceAgain = get(bySubject, "/live/ev1/master.m3u8?token="
                + token("alice", 3600).claim("jti", jti).sign());
        assertThat(reason(aliceAgain)).isEqualTo("replayed");
    }

    @Test
    void redisDownDuringRenewalAndRevocationFollowsOnStoreError() throws Exception {
        GatewayServer deny = replica("mode: off, onStoreError: deny");
        GatewayServer allow = replica("mode: off, onStoreError: allow");
        String first = token("v", 3600).sign();
        openHls(deny, first);
        redis.kill();
        HttpResponse<String> renewal = post(deny.uri().resolve("/_streamgate/renew"),
                "{\"token\":\"" + token("v", 3600).sign() + "\",\"previous\":\"" + first + "\"}");
        assertThat(renewal.statusCode()).isEqualTo(503);
        assertThat(reason(renewal)).isEqualTo("replay_store_unavailable");
        HttpResponse<String> refused = post(admin(deny, "/revocations"), "{\"sub\":\"v\"}");
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(get(deny, "/live/ev1/master.m3u8?token=" + token("v", 3600).sign()).statusCode())
                .as("nothing was revoked").isEqualTo(200);
        HttpResponse<String> local = post(admin(allow, "/revocations"), "{\"sub\":\"v\"}");
        assertThat(local.statusCode()).isEqualTo(201);
        assertThat(local.body()).contains("\"scope\":\"local\"");
        assertThat(reason(get(allow, "/live/ev1/master.m3u8?token=" + token("v", 3600).sign()))).isEqualTo("revoked");
    }

    @Test
    void theCredentialRevealsNoClaim() throws Exception {
        GatewayServer a = replica("mode: off");
        Tokens t = token("someone@example.com", 3600).claim("iss", "https://tickets.example");
        String jti = (String) JsonUtil.parseJson(t.payloadJson()).get("jti");
        String media = openHls(a, t.sign());
        String credential = java.net.URLDecoder.decode(media.substring(media.indexOf("sg_session=") + 11),
                java.nio.charset.StandardCharsets.UTF_8);
        byte[] decoded = java.util.Base64.getUrlDecoder().decode(credential.substring(credential.indexOf('.') + 1));
        String text = new String(decoded, java.nio.charset.StandardCharsets.ISO_8859_1);
        for (String claim : new String[] {"someone", "example.com", jti, jti.substring(0, 8), "tickets", "ev1"}) {
            assertThat(credential).doesNotContain(claim);
            assertThat(text).doesNotContain(claim);
        }
    }

    @Test
    void theRevokeCommandGoesThroughTheAdminApi() throws Exception {
        GatewayServer a = replica("mode: off");
        Tokens t = token("cli-viewer", 3600);
        String jti = (String) JsonUtil.parseJson(t.payloadJson()).get("jti");
        String adminUrl = admin(a, "").toString();
        assertThat(io.streamgate.gateway.cli.Main.execute("revoke", "--admin", adminUrl, "--jti", jti, "--ttl", "1h"))
                .isZero();
        assertThat(reason(get(a, "/live/ev1/master.m3u8?token=" + t.sign()))).isEqualTo("revoked");
        assertThat(io.streamgate.gateway.cli.Main.execute("revoke", "--admin", adminUrl, "--sub", "x", "--ttl", "forever"))
                .as("the gateway's 400 is a usage error").isEqualTo(2);
        assertThat(io.streamgate.gateway.cli.Main.execute("revoke", "--admin", adminUrl, "--sub", "x", "--jti", "y"))
                .as("one of jti, sub, sid, issued-before").isEqualTo(2);
        assertThat(io.streamgate.gateway.cli.Main.execute("revoke", "--admin", "http://127.0.0.1:1", "--sub", "x"))
                .isEqualTo(1);
    }

    // ---- sessions hold (issue 19): each a reproduction that used to fail ----

    @Test
    void aRenewalExtendsExactlyTheSessionsItsTokenGrants() throws Exception {
        io.streamgate.filters.testing.MutableClock clock = new io.streamgate.filters.testing.MutableClock(
                java.time.Instant.now());
        GatewayServer a = replica("mode: off", clock, "");
        GatewayServer b = replica("mode: off", clock, "");
        String first = token(clock, "two-events", 60, "ev1", "ev2").sign();
        String ev1 = openHls(b, first, "ev1");
        String ev2 = openHls(b, first, "ev2");

        HttpResponse<String> renewed = renew(a, "{\"token\":\""
                + token(clock, "two-events", 3600, "ev1").sign() + "\",\"previous\":\"" + first + "\"}", 2);
        assertThat(renewed.statusCode()).as(renewed.body()).isEqualTo(200);
        Map<String, Object> body = JsonUtil.parseJson(renewed.body());
        assertThat((List<?>) body.get("sessions")).hasSize(1);
        assertThat(renewed.body()).contains("\"reason\":\"forbidden\"");

        clock.advance(java.time.Duration.ofSeconds(120)); // past the first token's exp
        assertThat(get(b, ev1).statusCode()).as("the granted session plays on").isEqualTo(200);
        HttpResponse<String> other = get(b, ev2);
        assertThat(other.statusCode()).as("the other keeps its cap").isEqualTo(401);
        assertThat(reason(other)).isEqualTo("expired");

        HttpResponse<String> none = post(a.uri().resolve("/_streamgate/renew"), "{\"token\":\""
                + token(clock, "two-events", 3600, "ev3").sign() + "\",\"previous\":\"" + first + "\"}");
        assertThat(none.statusCode()).isEqualTo(403);
        assertThat(reason(none)).isEqualTo("forbidden");
    }

    @Test
    void aPlaylistAnsweredOtherThan2xxHoldsNoLease() throws Exception {
        GatewayServer a = replica("mode: limit, maxSessions: 1");
        String t = token("one-seat", 3600).sign();
        assertThat(get(a, "/live/ev1/not-there.m3u8?token=" + t).statusCode()).isEqualTo(404);
        HttpResponse<String> real = get(a, "/live/ev1/master.m3u8?token=" + t);
        assertThat(real.statusCode()).as(real.body()).isEqualTo(200);
    }

    @Test
    void aSegmentOnlyViewerIsRefusedAfterItsEvictionAtAnotherReplica() throws Exception {
        GatewayServer a = replica("mode: limit, maxSessions: 1, limitBy: sub, onLimit: evict-oldest");
        GatewayServer b = replica("mode: limit, maxSessions: 1, limitBy: sub, onLimit: evict-oldest");
        String segment = firstSegment(a, openHls(a, token("segment-only", 3600).sign()));
        assertThat(get(a, segment).statusCode()).isEqualTo(200);
        openHls(b, token("segment-only", 3600).sign());
        assertThat(within(SETTLE_MS, status(a, segment, 401))).as("refused at A after the eviction at B")
                .isTrue();
        assertThat(reason(get(a, segment))).isEqualTo("session_limit");
    }

    @Test
    void anEvictionStillHoldsPastTheSessionTtlAndAgainstRenewal() throws Exception {
        io.streamgate.filters.testing.MutableClock clock = new io.streamgate.filters.testing.MutableClock(
                java.time.Instant.now());
        String limit = "mode: limit, maxSessions: 1, limitBy: sub, onLimit: evict-oldest";
        GatewayServer a = replica(limit, clock, "sessionTtl: 30s");
        GatewayServer b = replica(limit, clock, "sessionTtl: 30s");
        String first = token(clock, "evicted", 3600, "ev1").sign();
        String media = openHls(a, first);
        openHls(b, token(clock, "evicted", 3600, "ev1").sign());
        assertThat(within(SETTLE_MS, status(a, media, 401))).isTrue();

        clock.advance(java.time.Duration.ofSeconds(30 + 120 + 1));
        HttpResponse<String> bySession = post(a.uri().resolve("/_streamgate/renew"), "{\"token\":\""
                + token(clock, "evicted", 3600, "ev1").sign() + "\",\"session\":\"" + credentialOf(media) + "\"}");
        assertThat(bySession.statusCode()).as(bySession.body()).isEqualTo(401);
        assertThat(reason(bySession)).isEqualTo("session_limit");
        HttpResponse<String> byPrevious = post(b.uri().resolve("/_streamgate/renew"), "{\"token\":\""
                + token(clock, "evicted", 3600, "ev1").sign() + "\",\"previous\":\"" + first + "\"}");
        assertThat(byPrevious.statusCode()).as(byPrevious.body()).isEqualTo(401);
        assertThat(reason(byPrevious)).isEqualTo("session_limit");
        assertThat(get(a, media).statusCode()).isEqualTo(401);
        assertThat(get(b, media).statusCode()).isEqualTo(401);
    }

    @Test
    void revokingTheJtiThatRenewedASessionEndsIt() throws Exception {
        GatewayServer a = replica("mode: off");
        GatewayServer b = replica("mode: off");
        String first = token("renewed-then-revoked", 3600).sign();
        String media = openHls(b, first);
        Viewer viewer = new Viewer();
        assertThat(connect(b, first, viewer)).isSameAs(viewer);
        Tokens second = token("renewed-then-revoked", 7200);
        String body = "{\"token\":\"" + second.sign() + "\",\"previous\":\"" + first + "\"}";
        // both records are written as the answers go out: renewed (again, mode off) until both are found
        assertThat(within(SETTLE_MS, () -> {
            try {
                HttpResponse<String> r = renew(a, body);
                return r.statusCode() == 200 && ((List<?>) JsonUtil.parseJson(r.body()).get("sessions")).size() == 2;
            } catch (Exception e) {
                return false;
            }
        })).as("the renewal extends the HLS and the WebSocket session").isTrue();

        assertThat(post(admin(a, "/revocations"), "{\"jti\":\"" + jti(second) + "\"}").statusCode()).isEqualTo(201);
        assertThat(viewer.closedWithin(SETTLE_MS)).as("the renewed WebSocket at B closed").isTrue();
        assertThat(viewer.closeCode()).isEqualTo(1008);
        assertThat(viewer.closeReason()).isEqualTo("revoked");
        assertThat(within(SETTLE_MS, status(b, media, 401))).as("the renewed HLS session at B refused").isTrue();
        assertThat(reason(get(b, media))).isEqualTo("revoked");
    }

    @Test
    void issuedBeforeRevokesTokensWithoutIat() throws Exception {
        GatewayServer a = replica("mode: off");
        long now = System.currentTimeMillis() / 1000;
        assertThat(post(admin(a, "/revocations"), "{\"issuedBefore\":" + (now - 30) + "}").statusCode()).isEqualTo(201);
        HttpResponse<String> noIat = get(a, "/live/ev1/master.m3u8?token=" + token("v", 3600).claim("iat", null).sign());
        assertThat(noIat.statusCode()).isEqualTo(401);
        assertThat(reason(noIat)).isEqualTo("revoked");
        assertThat(get(a, "/live/ev1/master.m3u8?token=" + token("v", 3600).sign()).statusCode())
                .as("issued after the cut-off").isEqualTo(200);
    }

    @Test
    void concurrentRenewalsNeverLowerACap() throws Exception {
        GatewayServer a = replica("mode: off");
        GatewayServer b = replica("mode: off");
        String first = token("racer", 3600).sign();
        openHls(a, first);
        String warm = "{\"token\":\"" + token("racer", 3600).sign() + "\",\"previous\":\"" + first + "\"}";
        assertThat(within(SETTLE_MS, () -> {
            try {
                return post(a.uri().resolve("/_streamgate/renew"), warm).statusCode() == 200;
            } catch (Exception e) {
                return false;
            }
        })).as("the session is recorded (written as its playlist went out)").isTrue();
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        long longest = 0;
        for (int i = 0; i < 20; i++) {
            long ttl = 4000 + (i * 7919L) % 3000;
            longest = Math.max(longest, ttl);
            GatewayServer g = i % 2 == 0 ? a : b;
            all.add(http.sendAsync(HttpRequest.newBuilder(g.uri().resolve("/_streamgate/renew"))
                    .timeout(java.time.Duration.ofSeconds(10)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"token\":\"" + token("racer", ttl).sign()
                            + "\",\"previous\":\"" + first + "\"}")).build(), HttpResponse.BodyHandlers.ofString()));
        }
        long max = 0;
        for (java.util.concurrent.CompletableFuture<HttpResponse<String>> f : all) {
            HttpResponse<String> r = f.get(20, TimeUnit.SECONDS);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            max = Math.max(max, ((Number) JsonUtil.parseJson(r.body()).get("expiresAt")).longValue());
        }
        // one more renewal with a short token reports the cap the store holds: the longest
        HttpResponse<String> last = post(a.uri().resolve("/_streamgate/renew"),
                "{\"token\":\"" + token("racer", 3700).sign() + "\",\"previous\":\"" + first + "\"}");
        assertThat(((Number) JsonUtil.parseJson(last.body()).get("expiresAt")).longValue()).isEqualTo(max);
        assertThat(max).isGreaterThanOrEqualTo(System.currentTimeMillis() / 1000 + longest - 60);
    }

    private static long sessionThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().equals("streamgate-sessions")).count();
    }

    @Test
    void noSessionThreadOutlivesCloseOrAFailedStart() throws Exception {
        long before = sessionThreads();
        GatewayServer a = replica("mode: off");
        assertThat(sessionThreads()).isEqualTo(before + 1);
        replicas.stop(a);
        assertThat(within(SETTLE_MS, () -> sessionThreads() == before)).as("the poller stopped with close()").isTrue();
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            String yaml = "listen: {host: 127.0.0.1, port: " + taken.getLocalPort() + "}\nwarmup: {verifications: 0}\n"
                    + "admin: {enabled: false}\n"
                    + "keys: [{kid: k1, file: key.pem}]\n"
                    + "replay: {store: redis, redis: '" + redis.uri() + "', mode: off}\n"
                    + "routes:\n  - {name: hls, path: /live/, type: hls, upstream: '" + origin.httpBase() + "/live/'}\n";
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> GatewayServer.start(
                    new ConfigLoader(System::getenv).parse(yaml, dir), Clock.systemUTC())).isInstanceOf(Exception.class);
        }
        assertThat(within(SETTLE_MS, () -> sessionThreads() == before)).as("nor after a failed start").isTrue();
    }

    @Test
    void aSegmentOnlyViewerWhoseLeaseLapsedIsRefusedOnceAnotherTookItsPlace() throws Exception {
        GatewayServer a = replica("mode: limit, maxSessions: 1, limitBy: sub");
        GatewayServer b = replica("mode: limit, maxSessions: 1, limitBy: sub");
        String segment = firstSegment(a, openHls(a, token("paused", 3600).sign()));
        assertThat(get(a, segment).statusCode()).isEqualTo(200);
        // the first viewer pauses past its 1 s lease; another viewer of the same sub takes the place at B
        String other = "/live/ev1/master.m3u8?token=" + token("paused", 3600).sign();
        assertThat(within(SETTLE_MS, status(b, other, 200))).as("the lapsed lease frees the place").isTrue();
        HttpResponse<String> resumed = get(a, segment);
        assertThat(resumed.statusCode()).as("segments keep the lease too").isEqualTo(401);
        assertThat(reason(resumed)).isEqualTo("session_limit");
        assertThat(reason(get(b, segment))).as("and the session is over at every replica").isIn("session_limit");
    }

    @Test
    void aClosedWebSocketIsNotRenewed() throws Exception {
        GatewayServer a = replica("mode: off");
        String first = token("left-already", 3600).sign();
        Viewer v = new Viewer();
        Session session = ws.connect(v, URI.create(a.uri().toString().replace("http", "ws") + "/ws?token=" + first))
                .get(10, TimeUnit.SECONDS);
        String body = "{\"token\":\"" + token("left-already", 7200).sign() + "\",\"previous\":\"" + first + "\"}";
        assertThat(renew(a, body).statusCode()).as("renewed while it plays").isEqualTo(200);
        session.close();
        assertThat(v.closedWithin(SETTLE_MS)).isTrue();
        assertThat(within(SETTLE_MS, () -> {
            try {
                HttpResponse<String> r = post(a.uri().resolve("/_streamgate/renew"), body);
                return r.statusCode() == 401 && "expired".equals(reason(r));
            } catch (Exception e) {
                return false;
            }
        })).as("a closed connection cannot play on: 401 expired").isTrue();
    }

    // ---- from the review of the session change ----

    @Test
    void anIssuedBeforeRevocationDoesNotRefuseRenewalOfLaterSessions() throws Exception {
        GatewayServer a = replica("mode: off");
        long now = System.currentTimeMillis() / 1000;
        assertThat(post(admin(a, "/revocations"), "{\"issuedBefore\":" + (now - 3600) + "}").statusCode()).isEqualTo(201);
        String first = token("fresh-viewer", 3600).sign();
        openHls(a, first);
        HttpResponse<String> r = renew(a, "{\"token\":\"" + token("fresh-viewer", 7200).sign() + "\",\"previous\":\""
                + first + "\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    @Test
    void aLiftedRevocationDoesNotReviveTheSessionsItEnded() throws Exception {
        GatewayServer a = replica("mode: off");
        GatewayServer b = replica("mode: off");
        String first = token("lifted", 3600).sign();
        String media = openHls(a, first);
        String credential = java.net.URLDecoder.decode(credentialOf(media), java.nio.charset.StandardCharsets.UTF_8);
        // the sid is sealed in the credential: revoke by sub, then by the session's own id through a renewal's answer
        HttpResponse<String> created = post(admin(a, "/revocations"), "{\"sub\":\"lifted\",\"ttl\":\"1h\"}");
        String id = (String) JsonUtil.parseJson(created.body()).get("id");
        assertThat(reason(get(a, media))).isEqualTo("revoked");
        assertThat(http.send(HttpRequest.newBuilder(admin(a, "/revocations/" + id)).DELETE().build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(204);
        assertThat(within(SETTLE_MS, status(b, "/live/ev1/master.m3u8?token=" + token("lifted", 3600).sign(), 200)))
                .as("new tokens pass again").isTrue();
        // the end travels as a change like the lift does: every replica has it within a poll
        assertThat(within(SETTLE_MS, status(b, media, 401))).as("the session it ended stays ended, at every replica")
                .isTrue();
        assertThat(reason(get(b, media))).isEqualTo("revoked");
        assertThat(reason(get(a, media))).isEqualTo("revoked");
        HttpResponse<String> renewal = post(b.uri().resolve("/_streamgate/renew"), "{\"token\":\""
                + token("lifted", 3600).sign() + "\",\"session\":\"" + credential + "\"}");
        assertThat(renewal.statusCode()).as(renewal.body()).isEqualTo(401);
        assertThat(reason(renewal)).isEqualTo("revoked");
    }

    @Test
    void aRenewalNeverTouchesAnotherSubjectsSessionWithTheSameJti() throws Exception {
        GatewayServer a = replica("mode: off");
        String jti = Long.toString(System.currentTimeMillis() / 1000); // jti: String(now), as the partner guide mints
        String bob = token("bob", 60).claim("jti", jti).sign();
        String alice = token("alice", 60).claim("jti", jti).sign();
        String bobMedia = openHls(a, bob);
        openHls(a, alice);
        HttpResponse<String> r = renew(a, "{\"token\":\"" + token("alice", 7200).sign() + "\",\"previous\":\""
                + alice + "\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat((List<?>) JsonUtil.parseJson(r.body()).get("sessions")).as("alice's own session only").hasSize(1);
        assertThat((List<?>) JsonUtil.parseJson(r.body()).get("refused")).as("bob's sid is not disclosed").isEmpty();
        assertThat(get(a, bobMedia).statusCode()).isEqualTo(200);
    }

    @Test
    void aRefusedPlaylistUnderEvictOldestDisplacesNobody() throws Exception {
        GatewayServer a = replica("mode: limit, maxSessions: 1, limitBy: sub, onLimit: evict-oldest");
        GatewayServer b = replica("mode: off");
        String media = openHls(a, token("holder", 3600).sign());
        assertThat(get(a, "/live/ev1/not-there.m3u8?token=" + token("holder", 3600).sign()).statusCode()).isEqualTo(404);
        // A marker behind any eviction in the change log: a revocation made at B reaches A only
        // through the log, which A applies in order, so once A refuses the marker, an eviction
        // written by the refused request would have been applied too.
        assertThat(post(admin(b, "/revocations"), "{\"sub\":\"marker\"}").statusCode()).isEqualTo(201);
        assertThat(within(SETTLE_MS, status(a, "/live/ev1/master.m3u8?token=" + token("marker", 3600).sign(), 401)))
                .as("A applied the change log past the refused request").isTrue();
        assertThat(get(a, media).statusCode()).as("the first viewer plays on").isEqualTo(200);
    }

    @Test
    void aSessionWhoseRecordIsGoneIsNotRenewedFromItsCredential() throws Exception {
        GatewayServer a = replica("mode: off");
        String media = openHls(a, token("flushed", 3600).sign());
        assertThat(renew(a, "{\"token\":\"" + token("flushed", 7200).sign() + "\",\"session\":\""
                + java.net.URLDecoder.decode(credentialOf(media), java.nio.charset.StandardCharsets.UTF_8) + "\"}")
                .statusCode()).isEqualTo(200);
        redis.command("FLUSHALL");
        HttpResponse<String> r = post(a.uri().resolve("/_streamgate/renew"), "{\"token\":\""
                + token("flushed", 7200).sign() + "\",\"session\":\""
                + java.net.URLDecoder.decode(credentialOf(media), java.nio.charset.StandardCharsets.UTF_8) + "\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(404);
        assertThat(reason(r)).isEqualTo("session_not_found");
    }
}
