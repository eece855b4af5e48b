package io.streamgate.gateway.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import org.jose4j.json.JsonUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.testing.TestKeys;
import io.streamgate.filters.testing.Tokens;
import io.streamgate.gateway.GatewayHarness;
import io.streamgate.origin.DemoOrigin;
import io.streamgate.gateway.edge.Authorization;

/**
 * Live configuration through a real gateway started from a config file, real HTTP and
 * WebSocket clients and the demo origin: {@code POST /reload} (and {@link GatewayServer#reload},
 * the path {@code SIGHUP} takes) applies a valid config to new requests while a relayed
 * WebSocket and an HLS session play on; an invalid one changes nothing; key files are picked
 * up by themselves; {@code GET /keys} and the admin token.
 */
@SuppressWarnings("unchecked")
class ConfigReloadTest {
    static final String ADMIN_TOKEN = "test-admin-token-0123456789";

    @TempDir
    Path dir;

    private final TestKeys k1 = TestKeys.es256("k1");
    private final TestKeys k2 = TestKeys.es256("k2");
    private final HttpClient http = HttpClient.newHttpClient();
    private DemoOrigin origin;
    private GatewayServer gateway;
    private int adminPort;

    @BeforeEach
    void start() throws Exception {
        origin = DemoOrigin.start("127.0.0.1", 0, Clock.systemUTC());
        Files.writeString(dir.resolve("k1.pem"), k1.publicPem());
        Files.writeString(dir.resolve("k2.pem"), k2.publicPem());
        gateway = GatewayHarness.startFromFile(dir, config("[{kid: k1, file: k1.pem}]", ""), Clock.systemUTC());
        adminPort = gateway.adminPort(); // admin.port 0: the one the system picked
    }

    @AfterEach
    void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        origin.close();
    }

    /** A config with these keys and, besides the hls and websocket routes, {@code extraRoutes}. */
    private String config(String keys, String extraRoutes) {
        return "listen: {host: 127.0.0.1, port: 0}\nwarmup: {verifications: 0}\n"
                + "admin: {host: 127.0.0.1, port: 0, token: " + ADMIN_TOKEN + "}\n"
                + "keys: " + keys + "\n"
                + "replay: {mode: once}\n"
                + "hls: {sessionSecret: 'reload-test-secret-0123456789'}\n"
                + "routes:\n"
                + "  - {name: hls, path: /live/, type: hls, upstream: '" + origin.httpBase() + "/live/',"
                + " require: [{claim: 'roles[].eventId', contains: '{path.0}'}]}\n"
                + "  - {name: ws, path: /ws, type: websocket, upstream: '" + origin.wsBase() + "/h5live/stream'}\n"
                + extraRoutes;
    }

    private void writeConfig(String yaml) throws Exception {
        Files.writeString(dir.resolve("gateway.yaml"), yaml);
    }

    static String token(TestKeys key) {
        return Tokens.signedBy(key, System.currentTimeMillis() / 1000)
                .claim("roles", List.of(Map.of("name", "ROLE_ATTENDEE", "eventId", "ev1"))).sign();
    }

    private HttpResponse<String> get(String pathAndQuery) throws Exception {
        return http.send(HttpRequest.newBuilder(gateway.uri().resolve(pathAndQuery)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> admin(String method, String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> reload() throws Exception {
        return admin("POST", "/reload", ADMIN_TOKEN);
    }

    /** A sample's value in /metrics, or -1 when absent; {@code series} is the name with its labels. */
    private double metric(String series) throws Exception {
        for (String line : admin("GET", "/metrics", null).body().lines().toList()) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        return -1;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> json(HttpResponse<String> r) throws Exception {
        return JsonUtil.parseJson(r.body());
    }

    private static String reason(HttpResponse<String> r) throws Exception {
        return (String) json(r).get("reason");
    }

    /** Bounded poll: true as soon as the condition holds, false after {@code within}. */
    static boolean eventually(Duration within, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < end) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(20);
        }
        return condition.getAsBoolean();
    }

    private static String firstUri(String playlist) {
        return playlist.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).findFirst().orElseThrow();
    }

    /** Counts binary frames of a relayed WebSocket. */
    static final class FrameCounter implements WebSocket.Listener {
        final AtomicInteger frames = new AtomicInteger();
        final CountDownLatch first = new CountDownLatch(1);
        final CompletableFuture<Integer> closed = new CompletableFuture<>();

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            if (last) {
                frames.incrementAndGet();
                first.countDown();
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.completeExceptionally(error);
        }
    }

    private WebSocket openRelay(String token, FrameCounter counter) throws Exception {
        URI ws = URI.create("ws://127.0.0.1:" + gateway.port() + "/ws?token=" + token);
        return http.newWebSocketBuilder().buildAsync(ws, counter).get(10, TimeUnit.SECONDS);
    }

    @Test
    void reloadAddsAndRemovesAKeyAndARouteWhileAWebSocketAndAnHlsSessionPlayOn() throws Exception {
        // live sessions opened with k1 before any reload
        FrameCounter frames = new FrameCounter();
        WebSocket relay = openRelay(token(k1), frames);
        assertThat(frames.first.await(10, TimeUnit.SECONDS)).as("relay delivers frames").isTrue();
        HttpResponse<String> master = get("/live/ev1/master.m3u8?token=" + token(k1));
        assertThat(master.statusCode()).isEqualTo(200);
        String media = firstUri(master.body());
        assertThat(media).contains("sg_session=");
        assertThat(get("/extra/x").statusCode()).isEqualTo(404);
        assertThat(get("/live/ev1/master.m3u8?token=" + token(k2)).statusCode()).isEqualTo(401);

        // k2 replaces k1; a new route appears
        writeConfig(config("[{kid: k2, file: k2.pem}]",
                "  - {name: extra, path: /extra/, type: http, upstream: '" + origin.httpBase() + "/public/', auth: none}\n"));
        HttpResponse<String> r = reload();
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        Map<String, Object> body = json(r);
        assertThat(body.get("result")).isEqualTo("applied");
        assertThat((List<Object>) body.get("changed")).contains("keys", "routes");
        assertThat(((Map<?, ?>) body.get("routes")).get("added")).isEqualTo(List.of("extra"));
        Map<?, ?> keys = (Map<?, ?>) body.get("keys");
        assertThat((List<?>) keys.get("added")).singleElement().satisfies(k -> assertThat(((Map<?, ?>) k).get("kid")).isEqualTo("k2"));
        assertThat((List<?>) keys.get("removed")).singleElement().satisfies(k -> assertThat(((Map<?, ?>) k).get("kid")).isEqualTo("k1"));
        assertThat((List<?>) body.get("restartRequired")).isEmpty();

        // new requests see the new config at once
        HttpResponse<String> old = get("/live/ev1/master.m3u8?token=" + token(k1));
        assertThat(old.statusCode()).isEqualTo(401);
        assertThat(reason(old)).isEqualTo("unknown_key");
        assertThat(get("/live/ev1/master.m3u8?token=" + token(k2)).statusCode()).isEqualTo(200);
        HttpResponse<String> extra = get("/extra/x");
        assertThat(extra.statusCode()).isEqualTo(200);
        assertThat(extra.body()).isEqualTo("origin ok\n");

        // the sessions opened before go on: the relay keeps delivering, the HLS credential still plays
        int atReload = frames.frames.get();
        assertThat(eventually(Duration.ofSeconds(10), () -> frames.frames.get() >= atReload + 5))
                .as("frames after the reload").isTrue();
        assertThat(frames.closed).isNotDone();
        HttpResponse<String> mediaPlaylist = get("/live/ev1/" + media);
        assertThat(mediaPlaylist.statusCode()).isEqualTo(200);
        String segment = mediaPlaylist.body().lines().filter(l -> l.contains(".ts")).findFirst().orElseThrow();
        HttpResponse<byte[]> seg = http.send(HttpRequest.newBuilder(gateway.uri().resolve("/live/ev1/" + segment)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(seg.statusCode()).isEqualTo(200);
        assertThat(seg.body()[0]).isEqualTo((byte) 0x47);

        // and back: the route goes away, k1 returns; still the same sessions
        writeConfig(config("[{kid: k1, file: k1.pem}]", ""));
        HttpResponse<String> back = reload();
        assertThat(back.statusCode()).as(back.body()).isEqualTo(200);
        assertThat(((Map<?, ?>) json(back).get("routes")).get("removed")).isEqualTo(List.of("extra"));
        assertThat(get("/extra/x").statusCode()).isEqualTo(404);
        assertThat(get("/live/ev1/master.m3u8?token=" + token(k1)).statusCode()).isEqualTo(200);
        int atSecond = frames.frames.get();
        assertThat(eventually(Duration.ofSeconds(10), () -> frames.frames.get() >= atSecond + 5)).isTrue();
        assertThat(get("/live/ev1/" + media).statusCode()).isEqualTo(200);
        assertThat(metric("streamgate_config_reloads_total{result=\"applied\"}")).isEqualTo(2.0);
        assertThat(metric("streamgate_config_reloads_total{result=\"rejected\"}")).isEqualTo(0.0);
        relay.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
    }

    @Test
    void anInvalidConfigChangesNothingAndAnswers422WithItsProblems() throws Exception {
        String before = Files.readString(dir.resolve("gateway.yaml"));
        Files.writeString(dir.resolve("broken.pem"), "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n");
        // a new key, a new route, but a bad upstream and a key file that does not parse
        writeConfig(config("[{kid: k2, file: k2.pem}, {kid: k3, file: broken.pem}]",
                "  - {name: extra, path: /extra/, type: http, upstream: 'htp:/x', auth: none}\n"));
        HttpResponse<String> r = reload();
        assertThat(r.statusCode()).isEqualTo(422);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        Map<String, Object> body = json(r);
        assertThat(body.get("result")).isEqualTo("rejected");
        assertThat((List<?>) body.get("problems")).anySatisfy(p -> assertThat((String) p).startsWith("routes[2].upstream"));

        // only the key file wrong: its key path is named
        writeConfig(config("[{kid: k2, file: k2.pem}, {kid: k3, file: broken.pem}]", ""));
        HttpResponse<String> keyProblem = reload();
        assertThat(keyProblem.statusCode()).isEqualTo(422);
        assertThat((List<?>) json(keyProblem).get("problems")).anySatisfy(p -> assertThat((String) p).startsWith("keys[1]"));

        // nothing changed: k1 still admits, k2 still unknown, the route still absent
        assertThat(get("/live/ev1/master.m3u8?token=" + token(k1)).statusCode()).isEqualTo(200);
        HttpResponse<String> k2Token = get("/live/ev1/master.m3u8?token=" + token(k2));
        assertThat(k2Token.statusCode()).isEqualTo(401);
        assertThat(reason(k2Token)).isEqualTo("unknown_key");
        assertThat(get("/extra/x").statusCode()).isEqualTo(404);
        assertThat(gateway.config().keys()).singleElement().satisfies(k -> assertThat(k.kid()).isEqualTo("k1"));
        assertThat(metric("streamgate_config_reloads_total{result=\"rejected\"}")).isEqualTo(2.0);
        assertThat(metric("streamgate_config_reloads_total{result=\"applied\"}")).isEqualTo(0.0);

        // a file that is no YAML at all
        writeConfig("routes: [\n");
        assertThat(reload().statusCode()).isEqualTo(422);
        writeConfig(before);
        assertThat(reload().statusCode()).isEqualTo(200);
    }

    @Test
    void aReloadKeepingAKeyKeepsItsVerifiedTokensCachedAndAnotherVerifyPolicyStartsAfresh() throws Exception {
        String hits = "streamgate_token_cache_requests_total{result=\"hit\"}";
        String t = token(k1);
        assertThat(get("/live/ev1/master.m3u8?token=" + t).statusCode()).isEqualTo(200); // verified, cached
        double before = metric(hits);

        writeConfig(config("[{kid: k1, file: k1.pem}, {kid: k2, file: k2.pem}]", ""));
        assertThat(reload().statusCode()).isEqualTo(200);
        HttpResponse<String> again = get("/live/ev1/master.m3u8?token=" + t);
        assertThat(reason(again)).as("one-time token, used").isEqualTo("replayed");
        assertThat(metric(hits)).as("signature not checked again: the cache survived the reload").isEqualTo(before + 1);

        writeConfig(config("[{kid: k1, file: k1.pem}, {kid: k2, file: k2.pem}]", "") + "verify: {leeway: 10s}\n");
        HttpResponse<String> r = reload();
        assertThat((List<Object>) json(r).get("changed")).containsExactly("verify");
        assertThat(reason(get("/live/ev1/master.m3u8?token=" + t))).isEqualTo("replayed");
        assertThat(metric(hits)).as("a new verify policy: verified afresh").isEqualTo(before + 1);
    }

    @Test
    void listenerChangesAreReportedAsNeedingARestartAndOtherwiseIgnored() throws Exception {
        int port = gateway.port();
        writeConfig(config("[{kid: k1, file: k1.pem}]", "").replace("port: 0}", "port: 18080}") // never bound: restart-only
                .replace("replay: {mode: once}", "replay: {mode: once, store: redis, redis: 'redis://127.0.0.1:1'}"));
        HttpResponse<String> r = reload();
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat((List<Object>) json(r).get("restartRequired")).containsExactlyInAnyOrder("listen", "replay.store",
                "replay.redis");
        assertThat(gateway.port()).isEqualTo(port);
        assertThat(gateway.config().replay().store()).isEqualTo(io.streamgate.gateway.config.GatewayConfig.Replay.Store.MEMORY);
        assertThat(get("/live/ev1/master.m3u8?token=" + token(k1)).statusCode()).isEqualTo(200);
    }

    @Test
    void adminEndpointsBeyondMetricsAndHealthNeedTheAdminToken() throws Exception {
        for (String path : List.of("/keys", "/reload")) {
            String method = path.equals("/reload") ? "POST" : "GET";
            HttpResponse<String> none = admin(method, path, null);
            assertThat(none.statusCode()).as(path).isEqualTo(401);
            assertThat(none.headers().firstValue("Content-Type")).hasValue("application/json");
            assertThat(none.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
            assertThat(reason(none)).isEqualTo("admin_token_required");
            HttpResponse<String> wrong = admin(method, path, ADMIN_TOKEN + "x");
            assertThat(wrong.statusCode()).isEqualTo(401);
            assertThat(reason(wrong)).isEqualTo("admin_token_invalid");
            assertThat(wrong.body()).doesNotContain(ADMIN_TOKEN);
        }
        assertThat(metric("streamgate_config_reloads_total{result=\"applied\"}")).as("nothing reloaded").isEqualTo(0.0);
        assertThat(admin("GET", "/metrics", null).statusCode()).isEqualTo(200);
        assertThat(admin("GET", "/healthz", null).statusCode()).isEqualTo(200);
        assertThat(admin("GET", "/readyz", null).statusCode()).isEqualTo(200);
        assertThat(admin("GET", "/keys", ADMIN_TOKEN).statusCode()).isEqualTo(200);
        assertThat(admin("GET", "/keys", ADMIN_TOKEN.toLowerCase(java.util.Locale.ROOT) + "X").statusCode()).isEqualTo(401);
        HttpResponse<String> getReload = admin("GET", "/reload", ADMIN_TOKEN);
        assertThat(getReload.statusCode()).isEqualTo(405);
        assertThat(getReload.headers().firstValue("Allow")).hasValue("POST");
        assertThat(json(getReload)).containsEntry("error", "invalid_request").containsEntry("reason", "method_not_allowed");
        HttpResponse<String> nothing = admin("GET", "/nothing", null);
        assertThat(nothing.statusCode()).isEqualTo(404);
        assertThat(json(nothing)).containsExactly(Map.entry("error", "not_found"));
        assertThat(json(admin("GET", "/healthz", null))).containsExactly(Map.entry("status", "ok"));
        assertThat(json(admin("GET", "/readyz", null))).containsEntry("status", "ready").containsEntry("keys", true)
                .containsEntry("replayStore", true).containsEntry("warm", true);
        HttpResponse<String> noSuchRevocation = admin("DELETE", "/revocations/r-none", ADMIN_TOKEN);
        assertThat(noSuchRevocation.statusCode()).isEqualTo(404);
        assertThat(json(noSuchRevocation)).containsEntry("error", "not_found").containsEntry("reason", "revocation_not_found");
    }

    @Test
    void keysListsEachKeyWithItsSourceLoadTimeAndSpkiFingerprint() throws Exception {
        Instant before = Instant.now().minusSeconds(1);
        Files.writeString(dir.resolve("both.jwks.json"), TestKeys.jwks(k2, TestKeys.rs256("r1")));
        writeConfig(config("[{kid: k1, file: k1.pem}, {file: both.jwks.json}]", ""));
        assertThat(reload().statusCode()).isEqualTo(200);
        HttpResponse<String> r = admin("GET", "/keys", ADMIN_TOKEN);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        List<?> keys = (List<?>) json(r).get("keys");
        assertThat(keys).hasSize(3);
        Map<?, ?> first = (Map<?, ?>) keys.get(0);
        assertThat(first.get("kid")).isEqualTo("k1");
        assertThat(first.get("algorithms")).isEqualTo(List.of("ES256"));
        assertThat(first.get("source")).isEqualTo("keys[0]");
        assertThat(first.get("file")).isEqualTo(dir.resolve("k1.pem").toString());
        assertThat(Instant.parse((String) first.get("loadedAt"))).isAfter(before).isBefore(Instant.now().plusSeconds(1));
        assertThat(first.get("spkiSha256")).isEqualTo(spkiSha256(k1));
        assertThat(keys).anySatisfy(k -> {
            Map<?, ?> m = (Map<?, ?>) k;
            assertThat(m.get("kid")).isEqualTo("r1");
            assertThat(m.get("source")).isEqualTo("keys[1]");
            assertThat(m.get("file")).isEqualTo(dir.resolve("both.jwks.json").toString());
            assertThat(m.get("spkiSha256")).isEqualTo(spkiSha256(TestKeys.rs256("r1")));
        });
        // file keys have their gauge, per source
        assertThat(metric("streamgate_keys_loaded{source=\"keys[0]\"}")).isEqualTo(1.0);
        assertThat(metric("streamgate_keys_loaded{source=\"keys[1]\"}")).isEqualTo(2.0);

        // a reload that keeps k1 keeps its load time; a removed source loses its gauge
        writeConfig(config("[{kid: k1, file: k1.pem}]", ""));
        assertThat(reload().statusCode()).isEqualTo(200);
        Map<?, ?> again = (Map<?, ?>) ((List<?>) json(admin("GET", "/keys", ADMIN_TOKEN)).get("keys")).get(0);
        assertThat(again.get("loadedAt")).isEqualTo(first.get("loadedAt"));
        assertThat(metric("streamgate_keys_loaded{source=\"keys[0]\"}")).isEqualTo(1.0);
        assertThat(metric("streamgate_keys_loaded{source=\"keys[1]\"}")).isEqualTo(-1.0);
    }

    static String spkiSha256(TestKeys key) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.publicKey().getEncoded()));
    }

    @Test
    void aKeyFileReplacedByAtomicRenameIsPickedUpByItself() throws Exception {
        TestKeys rotated = TestKeys.fresh("k1", JwsAlgorithm.ES256);
        String oldToken = token(k1);
        assertThat(get("/live/ev1/master.m3u8?token=" + token(k1)).statusCode()).isEqualTo(200);
        Path tmp = dir.resolve(".k1.pem.tmp");
        Files.writeString(tmp, rotated.publicPem());
        Files.move(tmp, dir.resolve("k1.pem"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        assertThat(eventually(Duration.ofSeconds(10), () -> fingerprints().contains(spkiSha256Unchecked(rotated))))
                .as("picked up within 10 s").isTrue();
        assertThat(get("/live/ev1/master.m3u8?token=" + token(rotated)).statusCode()).isEqualTo(200);
        HttpResponse<String> old = get("/live/ev1/master.m3u8?token=" + oldToken);
        assertThat(old.statusCode()).isEqualTo(401);
        assertThat(reason(old)).isEqualTo("bad_signature");
        assertThat(metric("streamgate_keys_fetches_total{result=\"success\",source=\"keys[0]\"}")).isEqualTo(1.0);
    }

    @Test
    void aKeyFileWrittenInPlaceIsPickedUpAndAnUnusableOneKeepsThePreviousKey() throws Exception {
        TestKeys rotated = TestKeys.fresh("k1", JwsAlgorithm.ES256);
        Files.writeString(dir.resolve("k1.pem"), rotated.publicPem()); // truncate and write, same inode
        assertThat(eventually(Duration.ofSeconds(10), () -> fingerprints().contains(spkiSha256Unchecked(rotated))))
                .as("picked up within 10 s").isTrue();
        assertThat(get("/live/ev1/master.m3u8?token=" + token(rotated)).statusCode()).isEqualTo(200);

        // now garbage: the rotated key stays, the problem is counted
        String failures = "streamgate_keys_fetches_total{result=\"failure\",source=\"keys[0]\"}";
        double failedBefore = Math.max(0, metric(failures)); // a write caught half-done may have counted one
        Files.writeString(dir.resolve("k1.pem"), "-----BEGIN PUBLIC KEY-----\ngarbage\n-----END PUBLIC KEY-----\n");
        assertThat(eventually(Duration.ofSeconds(10), () -> metricUnchecked(failures) > failedBefore))
                .as("the unusable file is counted").isTrue();
        assertThat(fingerprints()).containsExactly(spkiSha256(rotated));
        assertThat(get("/live/ev1/master.m3u8?token=" + token(rotated)).statusCode()).isEqualTo(200);
        assertThat(metric("streamgate_keys_loaded{source=\"keys[0]\"}")).isEqualTo(1.0);
    }

    @Test
    void aChangeNoWatchEventReportsIsFoundByThePeriodicCheck() throws Exception {
        // The configured file is a symlink into another folder (as Kubernetes mounts secrets):
        // the watch service on the link's folder sees nothing when the target changes in place;
        // the content-hash check every 2 s does.
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        Files.writeString(elsewhere.resolve("target.pem"), k1.publicPem());
        Path link = dir.resolve("linked.pem");
        try {
            Files.createSymbolicLink(link, elsewhere.resolve("target.pem"));
        } catch (UnsupportedOperationException | java.io.IOException e) {
            org.junit.jupiter.api.Assumptions.assumeTrue(false, "no symbolic links here: " + e);
        }
        writeConfig(config("[{kid: k1, file: linked.pem}]", ""));
        assertThat(reload().statusCode()).isEqualTo(200);
        TestKeys rotated = TestKeys.fresh("k1", JwsAlgorithm.ES256);
        long start = System.nanoTime();
        Files.writeString(elsewhere.resolve("target.pem"), rotated.publicPem());
        assertThat(eventually(Duration.ofSeconds(10), () -> fingerprints().contains(spkiSha256Unchecked(rotated))))
                .as("picked up within 10 s").isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("within a poll period or two")
                .isLessThan(Duration.ofSeconds(6));
    }

    private List<String> fingerprints() {
        try {
            return ((List<?>) json(admin("GET", "/keys", ADMIN_TOKEN)).get("keys")).stream()
                    .map(k -> (String) ((Map<?, ?>) k).get("spkiSha256")).toList();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static String spkiSha256Unchecked(TestKeys key) {
        try {
            return spkiSha256(key);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private double metricUnchecked(String series) {
        try {
            return metric(series);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void theLiveHlsSessionsGaugeKeepsCountingAcrossReloads() throws Exception {
        for (int i = 0; i < 2; i++) {
            assertThat(get("/live/ev1/master.m3u8?token=" + token(k1)).statusCode()).isEqualTo(200);
        }
        writeConfig(config("[{kid: k1, file: k1.pem}, {kid: k2, file: k2.pem}]", ""));
        assertThat(reload().statusCode()).isEqualTo(200);
        writeConfig(config("[{kid: k1, file: k1.pem}]", ""));
        assertThat(reload().statusCode()).isEqualTo(200);
        for (int i = 0; i < 2; i++) {
            assertThat(get("/live/ev1/master.m3u8?token=" + token(k1)).statusCode()).isEqualTo(200);
        }
        String gauge = admin("GET", "/metrics", null).body().lines()
                .filter(l -> l.startsWith("streamgate_sessions_active{") && l.contains("kind=\"hls\"")
                        && l.contains("route=\"hls\""))
                .findFirst().orElseThrow();
        assertThat(Double.parseDouble(gauge.substring(gauge.lastIndexOf(' ') + 1))).as(gauge).isEqualTo(4.0);
    }
}
