package io.streamgate.gateway.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.jose4j.json.JsonUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.streamgate.gateway.GatewayHarness;
import io.streamgate.gateway.cli.Main;
import io.streamgate.origin.DemoOrigin;
import io.streamgate.gateway.edge.Authorization;

/** The README's "Key rotation runbook", step by step, with the CLI's keygen and mint and a real gateway. */
class KeyRotationRunbookTest {
    private static final String ADMIN_TOKEN = "runbook-admin-token-0123456789";

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();
    private DemoOrigin origin;
    private GatewayServer gateway;
    private int adminPort;

    @BeforeEach
    void start() throws Exception {
        origin = DemoOrigin.start("127.0.0.1", 0, Clock.systemUTC());
        // the starting point: one key, partner-2026, whose private half the issuer holds
        cli("keygen", "--alg", "ES256", "--kid", "partner-2026", "--out", dir.resolve("old-key").toString());
        Files.createDirectories(dir.resolve("keys"));
        Files.copy(dir.resolve("old-key/public.pem"), dir.resolve("keys/partner-2026.pem"));
        gateway = GatewayHarness.startFromFile(dir, config("  - { kid: partner-2026, file: keys/partner-2026.pem }\n"),
                Clock.systemUTC());
        adminPort = gateway.adminPort(); // admin.port 0: the one the system picked
    }

    @AfterEach
    void stop() throws Exception {
        gateway.close();
        origin.close();
    }

    private String config(String keys) {
        return "listen: {host: 127.0.0.1, port: 0}\nwarmup: {verifications: 0}\n"
                + "admin: {host: 127.0.0.1, port: 0, token: " + ADMIN_TOKEN + "}\n"
                + "keys:\n" + keys
                + "routes: [{name: api, path: /api/, type: http, upstream: '" + origin.httpBase() + "/public/'}]\n";
    }

    @Test
    void rotatingTheSigningKeyFollowingTheRunbookRefusesNoValidViewer() throws Exception {
        String oldToken = mint("old-key", "partner-2026");
        assertThat(status(oldToken)).isEqualTo(200);

        // 1. make the new key; its public half goes beside the config
        cli("keygen", "--alg", "ES256", "--kid", "partner-2027", "--out", dir.resolve("new-key").toString());
        Files.copy(dir.resolve("new-key/public.pem"), dir.resolve("keys/partner-2027.pem"));

        // 2. add it next to the old one, check, reload; GET /keys lists both with the openssl fingerprint
        Files.writeString(dir.resolve("gateway.yaml"), config("  - { kid: partner-2026, file: keys/partner-2026.pem }\n"
                + "  - { kid: partner-2027, file: keys/partner-2027.pem }\n"));
        assertThat(cli("check-config", "--config", dir.resolve("gateway.yaml").toString())).isZero();
        assertThat(admin("POST", "/reload").statusCode()).isEqualTo(200);
        Map<String, String> listed = keys();
        assertThat(listed).containsOnlyKeys("partner-2026", "partner-2027");
        assertThat(listed.get("partner-2027")).isEqualTo(spkiSha256(dir.resolve("keys/partner-2027.pem")));
        opensslFingerprint(dir.resolve("keys/partner-2027.pem"))
                .ifPresent(f -> assertThat(listed.get("partner-2027")).isEqualTo(f));

        // 3. both valid
        String newToken = mint("new-key", "partner-2027");
        assertThat(status(oldToken)).isEqualTo(200);
        assertThat(status(newToken)).isEqualTo(200);

        // 4. the issuer mints with the new key; tokens handed out before still work
        assertThat(status(mint("new-key", "partner-2027"))).isEqualTo(200);
        assertThat(status(oldToken)).isEqualTo(200);

        // 5. retire the old key: its tokens are unknown_key, the new ones go on
        Files.writeString(dir.resolve("gateway.yaml"), config("  - { kid: partner-2027, file: keys/partner-2027.pem }\n"));
        assertThat(admin("POST", "/reload").statusCode()).isEqualTo(200);
        HttpResponse<String> retired = get(oldToken);
        assertThat(retired.statusCode()).isEqualTo(401);
        assertThat(JsonUtil.parseJson(retired.body()).get("reason")).isEqualTo("unknown_key");
        assertThat(status(newToken)).isEqualTo(200);
        assertThat(keys()).containsOnlyKeys("partner-2027");
    }

    private String mint(String keyDir, String kid) {
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            assertThat(Main.execute("mint", "--key", dir.resolve(keyDir + "/private.pem").toString(), "--kid", kid,
                    "--ttl", "1h")).isZero();
        } finally {
            System.setOut(saved);
        }
        return out.toString(StandardCharsets.UTF_8).trim();
    }

    private static int cli(String... args) {
        PrintStream saved = System.out;
        System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        try {
            return Main.execute(args);
        } finally {
            System.setOut(saved);
        }
    }

    private HttpResponse<String> get(String token) throws Exception {
        return http.send(HttpRequest.newBuilder(gateway.uri().resolve("/api/status?token=" + token)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private int status(String token) throws Exception {
        return get(token).statusCode();
    }

    private HttpResponse<String> admin(String method, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                .method(method, HttpRequest.BodyPublishers.noBody())
                .header("Authorization", "Bearer " + ADMIN_TOKEN).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** kid → spkiSha256 from GET /keys. */
    private Map<String, String> keys() throws Exception {
        Map<String, String> out = new java.util.TreeMap<>();
        for (Object k : (List<?>) JsonUtil.parseJson(admin("GET", "/keys").body()).get("keys")) {
            Map<?, ?> m = (Map<?, ?>) k;
            out.put((String) m.get("kid"), (String) m.get("spkiSha256"));
        }
        return out;
    }

    private static String spkiSha256(Path pem) throws Exception {
        String b64 = Files.readString(pem).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        byte[] der = java.util.Base64.getDecoder().decode(b64);
        new X509EncodedKeySpec(der); // it is an SPKI
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(der));
    }

    /** What the README's openssl command prints, where openssl is installed. */
    private Optional<String> opensslFingerprint(Path pem) throws Exception {
        Path der = dir.resolve("key.der");
        try {
            Process p = new ProcessBuilder("openssl", "pkey", "-pubin", "-in", pem.toString(), "-outform", "DER",
                    "-out", der.toString()).redirectErrorStream(true).start();
            if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return Optional.empty();
            }
        } catch (java.io.IOException e) {
            return Optional.empty(); // no openssl here
        }
        return Optional.of(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(der))));
    }
}
