package io.streamgate.demo;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.jose4j.json.JsonUtil;

import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.crypto.JwsSigner;
import io.streamgate.gateway.config.ConfigLoader;
import io.streamgate.gateway.config.GatewayConfig;
import io.streamgate.gateway.runtime.GatewayServer;
import io.streamgate.origin.DemoOrigin;

/**
 * Everything embedded: the {@link DemoOrigin}, a freshly generated ES256 key (kept in a
 * temporary folder, deleted on close), the gateway configured by the classpath's
 * {@code demo/demo.yaml}, and a ready token granting stream {@code demo}.
 *
 * <p>The printed token (for curl, ffmpeg, wscat) lives 24 h. The player page gets a short
 * one ({@link #PLAYER_TOKEN_TTL} unless told otherwise) for subject {@link #PLAYER_SUB}, and
 * renews it in the background: it fetches a fresh one from {@code GET /demo/token} (served
 * only by the demo, never by {@code run}) and hands it to {@code POST /_streamgate/renew}, so
 * it plays for as long as the page is open on tokens that each live a minute — until that
 * subject is revoked.
 */
public final class Demo implements AutoCloseable {
    public static final String KID = "demo";
    public static final String STREAM = "demo";
    /** The subject of the printed token. */
    public static final String SUB = "demo-viewer";
    /** The subject of the player page's short tokens: revoke it to see the page refused. */
    public static final String PLAYER_SUB = "demo-player";
    /** How long each of the player page's tokens lives by default. */
    public static final Duration PLAYER_TOKEN_TTL = Duration.ofSeconds(60);
    private static final Duration PRINTED_TOKEN_TTL = Duration.ofHours(24);
    private static final Duration MIN_PLAYER_TTL = Duration.ofSeconds(10);

    private final DemoOrigin origin;
    private final GatewayServer gateway;
    private final KeyPair key;
    private final Path dir;
    private final String token;
    private final Duration playerTtl;

    private Demo(DemoOrigin origin, GatewayServer gateway, KeyPair key, Path dir, String token, Duration playerTtl) {
        this.origin = origin;
        this.gateway = gateway;
        this.key = key;
        this.dir = dir;
        this.token = token;
        this.playerTtl = playerTtl;
    }

    /** Starts origin and gateway; {@code port}/{@code adminPort} 0 let the OS pick free ports (printed as bound). */
    public static Demo start(int port, int adminPort, Clock clock) throws Exception {
        return start(port, adminPort, clock, PLAYER_TOKEN_TTL);
    }

    /**
     * As {@link #start(int, int, Clock)}, with the lifetime of each of the player page's
     * tokens (at least 10 s: the page renews a few seconds before expiry).
     */
    public static Demo start(int port, int adminPort, Clock clock, Duration playerTtl) throws Exception {
        if (playerTtl.compareTo(MIN_PLAYER_TTL) < 0) {
            throw new IllegalArgumentException("the player's token lifetime must be at least 10s, not " + playerTtl);
        }
        DemoOrigin origin = DemoOrigin.start("127.0.0.1", 0, clock);
        Path dir = Files.createTempDirectory("streamgate-demo");
        KeyPair key = io.streamgate.filters.crypto.KeyPairs.generate(JwsAlgorithm.ES256);
        Path pub = dir.resolve("demo-public.pem");
        Files.writeString(pub, "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(key.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n");
        Map<String, String> env = Map.of(
                "SG_DEMO_PORT", String.valueOf(port),
                "SG_DEMO_ADMIN_PORT", String.valueOf(adminPort), // 0: the OS picks one, printed as bound
                "SG_DEMO_KEY", pub.toString(),
                "SG_DEMO_ORIGIN", origin.httpBase(),
                "SG_DEMO_ORIGIN_WS", origin.wsBase());
        String yaml;
        try (InputStream in = Demo.class.getResourceAsStream("/demo/demo.yaml")) {
            yaml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        GatewayConfig config = new ConfigLoader(env::get).parse(yaml, dir);
        String token = mint(key, clock, PRINTED_TOKEN_TTL, SUB);
        PlayerHandler player = new PlayerHandler(() -> mint(key, clock, playerTtl, PLAYER_SUB));
        GatewayServer gateway;
        try {
            gateway = GatewayServer.start(config, clock, player);
        } catch (Exception e) {
            origin.close();
            throw e;
        }
        return new Demo(origin, gateway, key, dir, token, playerTtl);
    }

    /** A token for stream {@code demo}: roles[].eventId and streams both grant it. */
    public String mint(Duration ttl, String sub) {
        return mint(key, Clock.systemUTC(), ttl, sub);
    }

    private static String mint(KeyPair key, Clock clock, Duration ttl, String sub) {
        long now = clock.millis() / 1000;
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("iss", "streamgate-demo");
        claims.put("sub", sub);
        claims.put("jti", UUID.randomUUID().toString());
        claims.put("iat", now);
        claims.put("nbf", now);
        claims.put("exp", now + ttl.toSeconds());
        claims.put("roles", List.of(Map.of("name", "ROLE_ATTENDEE", "eventId", STREAM)));
        claims.put("streams", List.of(STREAM));
        String header = "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"" + KID + "\"}";
        return JwsSigner.sign(header, JsonUtil.toJson(claims), JwsAlgorithm.ES256, key.getPrivate());
    }

    /** The token with one character of its signature changed (still canonical base64url). */
    static String tampered(String token) {
        int i = token.lastIndexOf('.') + 5;
        char c = token.charAt(i);
        return token.substring(0, i) + (c == 'A' ? 'B' : 'A') + token.substring(i + 1);
    }

    public DemoOrigin origin() {
        return origin;
    }

    public GatewayServer gateway() {
        return gateway;
    }

    public String token() {
        return token;
    }

    /**
     * Why the demo's admin API has no token, and when one is needed: printed under the admin
     * commands. Without {@code admin.token}, whoever reaches the admin port can revoke viewers and
     * reload the configuration; on loopback that is this machine's users and programs only (web
     * pages are refused by the listener), elsewhere it would be the network.
     */
    static final String ADMIN_NOTE = "The admin API above (revocations, reload) has no token here: it listens on "
            + "127.0.0.1 only, and refuses web pages (other sites, other Host names).\n"
            + "Off loopback set admin.token (e.g. ${SG_ADMIN_TOKEN}; the gateway refuses to start without one), "
            + "else anyone who reaches the port can revoke viewers and reload the configuration.";

    /** What {@code streamgate demo} prints: URLs, the token and commands that play through the gateway. */
    public void printWelcome(PrintStream out) {
        String gw = gateway.uri().toString();
        String ws = gw.replaceFirst("^http", "ws");
        String metrics = "http://127.0.0.1:" + gateway.adminPort() + "/metrics";
        out.println();
        out.println("StreamGate demo is running (Ctrl-C to stop).");
        out.println();
        out.println("  gateway   " + gw);
        out.println("  metrics   " + metrics);
        out.println("  player    " + gw + "/   (open it in a browser: it plays on " + playerTtl.toSeconds()
                + " s tokens of \"" + PLAYER_SUB + "\" that it renews)");
        out.println("  origin    " + origin.httpBase() + "  (embedded live origin; reached only through the gateway)");
        out.println();
        out.println("A token for stream \"" + STREAM + "\" (ES256, kid \"" + KID + "\", sub \"" + SUB
                + "\", valid 24h, for the commands below):");
        out.println();
        out.println("TOKEN=" + token);
        out.println();
        out.println("Play through the gateway:");
        out.println("  curl -i \"" + gw + "/live/demo/master.m3u8?token=$TOKEN\"");
        out.println("  ffplay \"" + gw + "/live/demo/master.m3u8?token=$TOKEN\"");
        out.println("  ffmpeg -i \"" + gw + "/live/demo/master.m3u8?token=$TOKEN\" -t 10 -c copy demo.ts");
        out.println();
        out.println("The same stream as MPEG-DASH (player: " + gw + "/?format=dash):");
        out.println("  curl -i \"" + gw + "/live/demo/manifest.mpd?token=$TOKEN\"");
        out.println("  ffmpeg -re -i \"" + gw + "/live/demo/manifest.mpd?token=$TOKEN\" -t 10 -c copy demo.mkv");
        // -y: npx installs wscat without asking; wscat prints each binary frame's bytes as they are (README)
        out.println("  npx -y wscat -c \"" + ws + "/h5live/authstream?streamname=demo&token=$TOKEN\"");
        out.println();
        out.println("See a denial and its reason:");
        out.println("  curl -i \"" + gw + "/live/demo/master.m3u8?token=" + tampered(token)
                + "\"      # 401 bad_signature: one signature character changed");
        out.println("  curl -i \"" + gw + "/live/other/master.m3u8?token=$TOKEN\"      # 403 forbidden: the token grants \"demo\" only");
        out.println("  curl -s " + metrics + " | grep streamgate_decisions_total");
        out.println();
        String admin = "http://127.0.0.1:" + gateway.adminPort();
        out.println("Revoke the player page's viewer (the page shows 401 revoked within a few seconds):");
        out.println("  java -jar gateway/target/streamgate.jar revoke --admin " + admin + " --sub " + PLAYER_SUB
                + " --ttl 10m");
        out.println("  curl -i -X POST " + admin + "/revocations -H 'Content-Type: application/json' -d '{\"sub\":\""
                + PLAYER_SUB + "\",\"ttl\":\"10m\"}'");
        out.println("  curl -s " + admin + "/revocations      # then lift it: curl -X DELETE " + admin
                + "/revocations/<id>");
        out.println();
        out.println(ADMIN_NOTE);
        out.println();
    }

    @Override
    public void close() throws Exception {
        try {
            gateway.close();
        } finally {
            origin.close();
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
    }
}
