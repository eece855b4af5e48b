package io.streamgate.gateway.cli;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;

import org.jose4j.json.JsonUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;

import io.streamgate.filters.testing.TestKeys;
import io.streamgate.gateway.GatewayHarness;
import io.streamgate.gateway.runtime.GatewayServer;

/**
 * {@code keys --config}: key files and JWKS URLs (served by WireMock) listed as the gateway
 * would load them, with the fingerprint {@code keygen} prints and {@code GET /keys} gives.
 */
class KeysCommandTest {
    @TempDir
    Path dir;

    private final TestKeys partner = TestKeys.rs256("partner-2");
    private final TestKeys idp = TestKeys.eddsa("idp-1");
    private WireMockServer jwks;

    @BeforeEach
    void start() {
        jwks = new WireMockServer(WireMockConfiguration.options().dynamicPort().bindAddress("127.0.0.1"));
        jwks.start();
        jwks.stubFor(get(urlPathEqualTo("/jwks.json")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody(TestKeys.jwks(partner, idp))));
        jwks.stubFor(get(urlPathEqualTo("/gone.json")).willReturn(aResponse().withStatus(404)));
    }

    @AfterEach
    void stop() {
        jwks.stop();
    }

    /** The fingerprint keygen printed: {@code fingerprint: <hex> (...)}. */
    private static String printedFingerprint(CliRun keygen) {
        String line = keygen.out().lines().filter(l -> l.startsWith("fingerprint: ")).findFirst().orElseThrow();
        return line.substring("fingerprint: ".length(), line.indexOf(' ', "fingerprint: ".length()));
    }

    private Path config(String keys) throws Exception {
        return Files.writeString(dir.resolve("gateway.yaml"), "keys: " + keys + "\n"
                + "routes:\n  - {name: hls, path: /live/, type: hls, upstream: 'http://127.0.0.1:1/live/',"
                + " require: [{claim: sub, equals: viewer}]}\n");
    }

    @Test
    void keysFromAConfigAreTheKeyFilesAndEveryJwksKeyWithTheFingerprintKeygenPrinted() throws Exception {
        CliRun keygen = CliRun.run("keygen", "--kid", "demo", "--out", dir.resolve("keys/demo").toString());
        assertThat(keygen.code()).as(keygen.toString()).isZero();
        String fingerprint = printedFingerprint(keygen);
        assertThat(fingerprint).matches("[0-9a-f]{64}");
        Path c = config("[{kid: demo, file: keys/demo/public.pem}, {jwks: '" + jwks.baseUrl() + "/jwks.json'}]");

        CliRun keys = CliRun.run("keys", "--config", c.toString());
        assertThat(keys.code()).as(keys.toString()).isZero();
        List<String> lines = keys.out().lines().toList();
        assertThat(lines).hasSize(4);
        assertThat(lines.get(0)).matches("KID +TYPE / ALGORITHMS +FINGERPRINT \\(SHA-256 OF SPKI, HEX\\) +SOURCE");
        assertThat(lines.get(1).split(" {2,}")).containsExactly("demo", "EC P-256 / ES256", fingerprint,
                "keys[0] file " + dir.resolve("keys/demo/public.pem"));
        String[] rsa = lines.get(2).split(" {2,}");
        assertThat(rsa[0]).isEqualTo("partner-2");
        assertThat(rsa[1]).as("a JWK's alg narrows its algorithms").isEqualTo("RSA 2048 / RS256");
        assertThat(rsa[2]).isEqualTo(KeysCommand.fingerprint(partner.publicKey()));
        assertThat(rsa[3]).isEqualTo("keys[1] jwks " + jwks.baseUrl() + "/jwks.json");
        assertThat(lines.get(3).split(" {2,}")).containsExactly("idp-1", "Ed25519 / EdDSA",
                KeysCommand.fingerprint(idp.publicKey()), "keys[1] jwks " + jwks.baseUrl() + "/jwks.json");
        assertThat(keys.err()).isEmpty();
    }

    @Test
    void aJwksThatCannotBeFetchedIsNamedWithItsErrorAndTheOthersAreStillListed() throws Exception {
        CliRun keygen = CliRun.run("keygen", "--kid", "demo", "--out", dir.resolve("keys/demo").toString());
        String gone = jwks.baseUrl() + "/gone.json";
        Path c = config("[{kid: demo, file: keys/demo/public.pem}, {jwks: '" + gone + "'}]");
        CliRun keys = CliRun.run("keys", "--config", c.toString());
        assertThat(keys.code()).as("a key was listed: 0 " + keys).isZero();
        assertThat(keys.out().lines().toList()).hasSize(2).last().asString().startsWith("demo ")
                .contains(printedFingerprint(keygen));
        assertThat(keys.err().strip()).isEqualTo("error: keys[1] jwks " + gone + ": HTTP 404; no key listed from it");

        // no key at all: exit 1, and every source named with its error
        CliRun none;
        String refused;
        try (io.streamgate.gateway.testing.ReservedPort closed = io.streamgate.gateway.testing.ReservedPort.reserve()) {
            refused = "http://127.0.0.1:" + closed.port() + "/jwks.json"; // held, never listening: refused
            Path only = config("[{jwks: '" + gone + "'}, {jwks: '" + refused + "', timeout: 2s}]");
            none = CliRun.run("keys", "--config", only.toString());
        }
        assertThat(none.code()).as(none.toString()).isEqualTo(1);
        assertThat(none.out()).isEmpty();
        assertThat(none.err()).contains("error: keys[0] jwks " + gone + ": HTTP 404",
                "error: keys[1] jwks " + refused + ": cannot connect: refused or unreachable (ConnectException)", "error: no key could be listed (2 sources failed)");
    }

    @Test
    void aBrokenConfigIsAUsageErrorAsInCheckConfig() throws Exception {
        Files.writeString(dir.resolve("bad.pem"), "-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC KEY-----\n");
        CliRun keys = CliRun.run("keys", "--config", config("[{kid: k1, file: bad.pem}]").toString());
        assertThat(keys.code()).isEqualTo(2);
        assertThat(keys.err()).contains("keys[0]: PEM body is not base64");
        assertThat(CliRun.run("keys", "--config", dir.resolve("absent.yaml").toString()).code()).isEqualTo(2);
    }

    @Test
    void keygenKeysAndTheAdminApiGiveTheSameFingerprint() throws Exception {
        String[] fingerprints = new String[3];
        for (int i = 0; i < 3; i++) {
            String alg = new String[] {"ES256", "RS256", "EdDSA"}[i];
            CliRun keygen = CliRun.run("keygen", "--alg", alg, "--kid", "k-" + alg, "--out",
                    dir.resolve("keys/" + alg).toString());
            assertThat(keygen.code()).as(keygen.toString()).isZero();
            fingerprints[i] = printedFingerprint(keygen);
        }
        Files.writeString(dir.resolve("gateway.yaml"), "listen: {host: 127.0.0.1, port: 0}\nwarmup: {verifications: 0}\n"
                + "admin: {host: 127.0.0.1, port: 0}\n"
                + "keys: [{kid: k-ES256, file: keys/ES256/public.pem}, {kid: k-RS256, file: keys/RS256/public.pem},"
                + " {kid: k-EdDSA, file: keys/EdDSA/jwks.json}]\n"
                + "routes:\n  - {name: hls, path: /live/, type: hls, upstream: 'http://127.0.0.1:1/live/',"
                + " require: [{claim: sub, equals: viewer}]}\n");
        CliRun fromConfig = CliRun.run("keys", "--config", dir.resolve("gateway.yaml").toString());
        assertThat(fromConfig.code()).as(fromConfig.toString()).isZero();
        try (GatewayServer gw = GatewayHarness.startFromFile(dir, Files.readString(dir.resolve("gateway.yaml")),
                Clock.systemUTC())) {
            CliRun fromAdmin = CliRun.run("keys", "--admin", "http://127.0.0.1:" + gw.adminPort());
            assertThat(fromAdmin.code()).as(fromAdmin.toString()).isZero();
            for (CliRun listed : List.of(fromConfig, fromAdmin)) {
                List<String[]> rows = listed.out().lines().skip(1).map(l -> l.split(" {2,}")).toList();
                assertThat(rows).extracting(r -> r[0]).containsExactly("k-ES256", "k-RS256", "k-EdDSA");
                assertThat(rows).extracting(r -> r[2]).containsExactly(fingerprints);
            }
            assertThat(fromConfig.out()).contains("RSA 2048 / RS256,RS384,RS512,PS256,PS384,PS512", "Ed25519 / EdDSA");
            assertThat(fromAdmin.out()).as("the admin API gives algorithms, not sizes or curves")
                    .contains("RSA / RS256,RS384,RS512,PS256,PS384,PS512", "Ed25519/Ed448 / EdDSA");
            // and GET /keys' own field is the same fingerprint
            Map<String, Object> body = JsonUtil.parseJson(java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + gw.adminPort() + "/keys"))
                            .build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body());
            assertThat(((List<?>) body.get("keys")).stream().map(k -> (String) ((Map<?, ?>) k).get("spkiSha256"))
                    .toList()).containsExactly(fingerprints);
        }
    }
}
