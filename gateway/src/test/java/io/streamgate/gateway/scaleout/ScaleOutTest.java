package io.streamgate.gateway.scaleout;

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
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.jose4j.json.JsonUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.streamgate.filters.redis.RedisReplayStore;
import io.streamgate.filters.testing.RedisServerProcess;
import io.streamgate.filters.testing.TestKeys;
import io.streamgate.filters.testing.Tokens;
import io.streamgate.gateway.GatewayHarness;
import io.streamgate.gateway.config.ConfigLoader;
import io.streamgate.gateway.runtime.GatewayServer;
import io.streamgate.gateway.testing.TestReplicas;
import io.streamgate.gateway.testing.Viewer;
import io.streamgate.origin.DemoOrigin;

/** Two gateway replicas sharing replay state through a real redis-server. */
class ScaleOutTest {
    @TempDir
    Path dir;

    private final TestKeys key = TestKeys.es256("k1");
    private final HttpClient http = HttpClient.newHttpClient();
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

    private GatewayServer replica(String replay, int adminPort) throws Exception {
        return replica(replay, adminPort, redis.uri());
    }

    private GatewayServer replica(String replay, int adminPort, java.net.URI redisUri) throws Exception {
        // a Redis call may take 200 ms on a busy machine: 2 s before a store error (a 503), not 200 ms
        String yaml = "listen: {host: 127.0.0.1, port: 0}\nwarmup: {verifications: 0}\nadmin: {host: 127.0.0.1, port: " + adminPort + "}\n"
                + "keys: [{kid: k1, file: key.pem}]\n"
                + "replay: {store: redis, redis: '" + redisUri + "', timeout: 2s, lease: 1s, " + replay + "}\n"
                + "hls: {sessionSecret: 'shared-by-all-replicas-0123'}\n"
                + "routes:\n"
                + "  - {name: hls, path: /live/, type: hls, upstream: '" + origin.httpBase() + "/live/'}\n"
                + "  - {name: ws, path: /ws, type: websocket, upstream: '" + origin.wsBase() + "/h5live/stream'}\n";
        return replicas.replica(yaml, Clock.systemUTC());
    }

    private String token() {
        return Tokens.signedBy(key, System.currentTimeMillis() / 1000)
                .claim("roles", List.of(Map.of("eventId", "ev1"))).sign();
    }

    private HttpResponse<String> get(GatewayServer g, String pathAndQuery) throws Exception {
        return http.send(HttpRequest.newBuilder(g.uri().resolve(pathAndQuery)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A WebSocket upgrade over a raw socket, to read a refusal's body; returns the response text. */
    private static String rawUpgrade(GatewayServer g, String pathAndQuery) throws Exception {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", g.port())) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(("GET " + pathAndQuery + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n"
                    + "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            byte[] buf = new byte[8192];
            StringBuilder sb = new StringBuilder();
            int n;
            while (!sb.toString().contains("\"requestId\"") && (n = s.getInputStream().read(buf)) > 0) {
                sb.append(new String(buf, 0, n, java.nio.charset.StandardCharsets.US_ASCII));
            }
            return sb.toString();
        }
    }

    private static String reason(HttpResponse<String> r) throws Exception {
        return (String) JsonUtil.parseJson(r.body()).get("reason");
    }

    /** Opens a WebSocket viewer; returns it, or the HTTP status that refused it. */
    private Object connect(GatewayServer g, String token) throws Exception {
        return Viewer.openOrStatus(ws, URI.create(g.uri().toString().replace("http", "ws") + "/ws?token=" + token),
                new Viewer());
    }

    /** Bounded poll: true once a WebSocket viewer with this token is admitted at {@code g}. */
    private boolean admittedEventually(GatewayServer g, String token) throws InterruptedException {
        return eventually(() -> {
            try {
                return connect(g, token) instanceof Viewer;
            } catch (Exception e) {
                return false;
            }
        });
    }

    static boolean eventually(BooleanSupplier c) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (c.getAsBoolean()) {
                return true;
            }
            Thread.sleep(100); // bounded poll
        }
        return false;
    }

    @Test
    void aTokenUsedAtOneReplicaIsReplayedAtTheOther() throws Exception {
        GatewayServer a = replica("mode: once", 0);
        GatewayServer b = replica("mode: once", 0);
        String t = token();
        HttpResponse<String> atA = get(a, "/live/ev1/master.m3u8?token=" + t);
        assertThat(atA.statusCode()).isEqualTo(200);
        HttpResponse<String> atB = get(b, "/live/ev1/master.m3u8?token=" + t);
        assertThat(atB.statusCode()).isEqualTo(401);
        assertThat(reason(atB)).isEqualTo("replayed");
        // The session opened at A continues at B: the replicas share the HLS session secret.
        String media = atA.body().lines().filter(l -> l.startsWith("media.m3u8")).findFirst().orElseThrow();
        assertThat(get(b, "/live/ev1/" + media).statusCode()).isEqualTo(200);
    }

    @Test
    void twoGatewaysOnARedisClusterShareOneTimeUseForTokensOnEveryMaster() throws Exception {
        try (io.streamgate.filters.testing.RedisClusterProcess cluster =
                     io.streamgate.filters.testing.RedisClusterProcess.start(3)) {
            GatewayServer a = replica("mode: once", 0, cluster.uri());
            GatewayServer b = replica("mode: once", 0, cluster.uri());
            for (int i = 0; i < 30; i++) { // random jtis: all three masters get keys (chance one gets none: 2e-5)
                String t = token();
                assertThat(get(a, "/live/ev1/master.m3u8?token=" + t).statusCode()).isEqualTo(200);
                HttpResponse<String> atB = get(b, "/live/ev1/master.m3u8?token=" + t);
                assertThat(atB.statusCode()).isEqualTo(401);
                assertThat(reason(atB)).isEqualTo("replayed");
            }
            for (int port : cluster.ports()) {
                assertThat(cluster.keys(port)).as("one-time keys on the master at %d", port).isPositive();
            }
        }
    }

    @Test
    void twoGatewaysOnSentinelShareOneTimeUseBeforeAndAfterAFailover() throws Exception {
        try (io.streamgate.filters.testing.RedisSentinelProcess sentinel =
                     io.streamgate.filters.testing.RedisSentinelProcess.start()) {
            GatewayServer a = replica("mode: once", 0, sentinel.uri());
            GatewayServer b = replica("mode: once", 0, sentinel.uri());
            String before = token();
            assertThat(get(a, "/live/ev1/master.m3u8?token=" + before).statusCode()).isEqualTo(200);
            assertThat(reason(get(b, "/live/ev1/master.m3u8?token=" + before))).isEqualTo("replayed");
            long killed = System.nanoTime();
            sentinel.killMaster();
            // meanwhile viewers get onStoreError's answer (deny: 503); then both recover by themselves
            long deadline = killed + TimeUnit.SECONDS.toNanos(20);
            String after = null;
            while (System.nanoTime() < deadline) {
                String t = token();
                if (get(a, "/live/ev1/master.m3u8?token=" + t).statusCode() == 200) {
                    after = t;
                    break;
                }
                Thread.sleep(100); // probing a recovering replica at a bounded pace
            }
            assertThat(after).as("A recovered within 20 s of the master's death, without a restart").isNotNull();
            System.out.printf("sentinel failover: gateway A admitted again %d ms after the master died%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed));
            HttpResponse<String> atB = get(b, "/live/ev1/master.m3u8?token=" + after);
            long deadlineB = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (atB.statusCode() == 503 && System.nanoTime() < deadlineB) {
                Thread.sleep(100); // B may still be reconnecting
                atB = get(b, "/live/ev1/master.m3u8?token=" + after);
            }
            assertThat(reason(atB)).as("shared again after the failover").isEqualTo("replayed");
        }
    }

    @Test
    void oneSessionPerTokenAcrossReplicasForWebSockets() throws Exception {
        GatewayServer a = replica("mode: limit, maxSessions: 1", 0);
        GatewayServer b = replica("mode: limit, maxSessions: 1", 0);
        String t = token();
        Object first = connect(a, t);
        assertThat(first).isInstanceOf(Viewer.class);
        assertThat(connect(b, t)).as("second session at the other replica").isEqualTo(401);
        String denied = rawUpgrade(b, "/ws?token=" + t);
        assertThat(denied).startsWith("HTTP/1.1 401").contains("\"reason\":\"session_limit\"");
        // Held past several lease periods: renewals keep it. Awaited in Redis itself: the lease's
        // expiry (its score, now + 1 s at each renewal) moves past the first grant's by more than
        // two lease periods, so the first grant would have lapsed twice over by then.
        String leases = "streamgate:lease:{j" + io.streamgate.filters.replay.ReplayGuard.key(claimsOf(t)) + "}";
        long granted = leaseExpiry(leases);
        assertThat(granted).as("the lease in Redis").isPositive();
        assertThat(eventually(() -> leaseExpiry(leases) > granted + 2_000))
                .as("renewed more than two lease periods after it was granted").isTrue();
        assertThat(connect(b, t)).isEqualTo(401);
        ((Viewer) first).session().close(1000, "bye", Callback.NOOP);
        assertThat(admittedEventually(b, t)).as("the released lease admits the next session").isTrue();
    }

    @Test
    void aCrashedReplicasLeaseLapsesByItself() throws Exception {
        GatewayServer b = replica("mode: limit, maxSessions: 1", 0);
        String t = token();
        io.streamgate.filters.verify.Claims claims = claimsOf(t);
        // A replica took the lease and died: nobody renews or releases it.
        try (RedisReplayStore crashed = RedisReplayStore.connect(redis.uri(), "streamgate:", Duration.ofSeconds(1))) {
            assertThat(crashed.acquire("j" + io.streamgate.filters.replay.ReplayGuard.key(claims), "dead-replica-session", 1,
                    1000, System.currentTimeMillis() + 60_000).toCompletableFuture().get(5, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(connect(b, t)).isEqualTo(401);
        assertThat(admittedEventually(b, t)).as("admitted once the dead replica's lease lapsed").isTrue();
    }

    @Test
    void hlsViewerSessionsCountAgainstTheLimit() throws Exception {
        GatewayServer a = replica("mode: limit, maxSessions: 1", 0);
        GatewayServer b = replica("mode: limit, maxSessions: 1", 0);
        String t = token();
        HttpResponse<String> viewer1 = get(a, "/live/ev1/master.m3u8?token=" + t);
        assertThat(viewer1.statusCode()).isEqualTo(200);
        HttpResponse<String> viewer2 = get(b, "/live/ev1/master.m3u8?token=" + t);
        assertThat(viewer2.statusCode()).isEqualTo(401);
        assertThat(reason(viewer2)).isEqualTo("session_limit");
        String media = viewer1.body().lines().filter(l -> l.startsWith("media.m3u8")).findFirst().orElseThrow();
        assertThat(get(b, "/live/ev1/" + media).statusCode()).as("viewer 1 reloads at any replica").isEqualTo(200);
    }

    @Test
    void redisOutageDeniesOrAdmitsAsConfiguredAndRecovers() throws Exception {
        GatewayServer deny = replica("mode: once, onStoreError: deny", 0);
        int adminPort = deny.adminPort();
        GatewayServer allow = replica("mode: once, onStoreError: allow", 0);
        assertThat(get(deny, "/live/ev1/master.m3u8?token=" + token()).statusCode()).isEqualTo(200);
        redis.kill();
        HttpResponse<String> denied = get(deny, "/live/ev1/master.m3u8?token=" + token());
        assertThat(denied.statusCode()).isEqualTo(503);
        assertThat(reason(denied)).isEqualTo("replay_store_unavailable");
        assertThat(get(allow, "/live/ev1/master.m3u8?token=" + token()).statusCode()).isEqualTo(200);
        String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("streamgate_replay_store_errors_total{action=\"deny\"}");
        assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/readyz")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(503);

        redis.launch();
        assertThat(eventually(() -> {
            try {
                return get(deny, "/live/ev1/master.m3u8?token=" + token()).statusCode() == 200;
            } catch (Exception e) {
                return false;
            }
        })).as("recovers without restart").isTrue();
        assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/readyz")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    }

    /** The latest expiry (epoch ms) among the sessions holding a lease set, or -1 when it holds none. */
    private long leaseExpiry(String leaseKey) {
        try {
            String reply = redis.command("ZRANGE " + leaseKey + " -1 -1 WITHSCORES");
            String[] lines = reply.split("\r\n");
            // *2, $len, member, $len, score
            return lines.length >= 5 ? (long) Double.parseDouble(lines[4].trim()) : -1;
        } catch (java.io.IOException | NumberFormatException e) {
            return -1;
        }
    }

    private io.streamgate.filters.verify.Claims claimsOf(String token) {
        var registry = io.streamgate.filters.testing.Fixture.registry(key);
        var verifier = new io.streamgate.filters.verify.TokenVerifier(
                io.streamgate.filters.verify.VerifyPolicy.defaults(), io.streamgate.filters.testing.Fixture.crypto());
        var decoded = verifier.decode(token);
        return verifier.verify(decoded, registry.find(decoded.kid(), decoded.algorithm())).token().claims();
    }

}
