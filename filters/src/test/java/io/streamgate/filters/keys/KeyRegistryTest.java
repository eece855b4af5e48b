package io.streamgate.filters.keys;

import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.jose4j.json.JsonUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.github.tomakehurst.wiremock.WireMockServer;

import io.streamgate.filters.Authorizer;
import io.streamgate.filters.RoutePolicy;
import io.streamgate.filters.Verdict;
import io.streamgate.filters.core.BasicRequestView;
import io.streamgate.filters.core.ConfigException;
import io.streamgate.filters.core.DenialReason;
import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.testing.Fixture;
import io.streamgate.filters.testing.MutableClock;
import io.streamgate.filters.testing.TestKeys;
import io.streamgate.filters.testing.Tokens;

class KeyRegistryTest {
    private static final RoutePolicy ROUTE = RoutePolicy.anyValidToken("live", "/");

    private final MutableClock clock = MutableClock.fixed();
    private WireMockServer server;

    @BeforeEach
    void startServer() {
        server = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        server.start();
    }

    @AfterEach
    void stopServer() {
        server.stop();
    }

    private static KeyRegistry.Builder builder() {
        return KeyRegistry.builder(Fixture.crypto());
    }

    private static Verdict authorize(Authorizer a, String token) throws Exception {
        return a.authorize(ROUTE, BasicRequestView.of("/live/index.m3u8?token=" + token))
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private Authorizer authorizer(KeyRegistry registry) {
        return Authorizer.builder(registry, Fixture.crypto()).clock(clock).metrics(Fixture.metrics()).build();
    }

    private static String jwkJson(TestKeys k) {
        return JsonUtil.toJson(k.jwk());
    }

    // --- reloads: a changed key file, a registry replacing another -------------------------

    @Test
    void reloadStaticReplacesThatSourceOnlyAndKeepsEqualKeyInstances() {
        TestKeys a = TestKeys.es256("rl-a");
        TestKeys b = TestKeys.es256("rl-b");
        TestKeys a2 = TestKeys.fresh("rl-a", JwsAlgorithm.ES256);
        try (KeyRegistry r = builder().clock(clock).addStatic(a.publicPem(), "rl-a", "keys[0]", "/k/a.pem")
                .addStatic(b.publicPem(), "rl-b", "keys[1]", "/k/b.pem").build()) {
            VerificationKey bBefore = r.find("rl-b", JwsAlgorithm.ES256)[0];
            byte[] hashBefore = r.staticSha256("keys[0]");
            // same text again: same instance (cached verifications stay valid)
            VerificationKey aBefore = r.find("rl-a", JwsAlgorithm.ES256)[0];
            assertThat(r.reloadStatic("keys[0]", a.publicPem())).singleElement().isSameAs(aBefore);
            // new material under the kid: the old key is gone, the other source untouched
            assertThat(r.reloadStatic("keys[0]", a2.publicPem())).singleElement()
                    .satisfies(k -> assertThat(k.publicKey()).isEqualTo(a2.publicKey()));
            assertThat(r.contains(aBefore)).isFalse();
            assertThat(r.find("rl-b", JwsAlgorithm.ES256)).singleElement().isSameAs(bBefore);
            assertThat(r.staticSha256("keys[0]")).isNotEqualTo(hashBefore);
            assertThat(r.staticSha256("keys[9]")).isNull();
        }
    }

    @Test
    void reloadStaticWithAnUnusableTextChangesNothingAndNamesTheSource() {
        TestKeys a = TestKeys.es256("rl-a");
        try (KeyRegistry r = builder().addStatic(a.publicPem(), "rl-a", "keys[0]", "/k/a.pem").build()) {
            VerificationKey before = r.find("rl-a", JwsAlgorithm.ES256)[0];
            byte[] hash = r.staticSha256("keys[0]");
            assertThatThrownBy(() -> r.reloadStatic("keys[0]", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"))
                    .isInstanceOf(ConfigException.class).hasMessageStartingWith("keys[0]");
            assertThatThrownBy(() -> r.reloadStatic("keys[0]", "")).isInstanceOf(ConfigException.class);
            assertThat(r.find("rl-a", JwsAlgorithm.ES256)).singleElement().isSameAs(before);
            assertThat(r.staticSha256("keys[0]")).isEqualTo(hash);
        }
    }

    @Test
    void listNamesEachKeysSourceLocationLoadTimeAndSpkiFingerprint() throws Exception {
        TestKeys a = TestKeys.es256("rl-a");
        java.time.Instant t0 = clock.instant();
        try (KeyRegistry r = builder().clock(clock).addStatic(a.publicPem(), "rl-a", "keys[0]", "/k/a.pem")
                .addStatic(TestKeys.jwks(TestKeys.rs256("rl-r")), null, "keys[1]").build()) {
            assertThat(r.list()).hasSize(2);
            KeyRegistry.KeyInfo first = r.list().get(0);
            assertThat(first.kid()).isEqualTo("rl-a");
            assertThat(first.algorithms()).containsExactly(JwsAlgorithm.ES256);
            assertThat(first.source()).isEqualTo("keys[0]");
            assertThat(first.location()).isEqualTo("/k/a.pem");
            assertThat(first.loadedAt()).isEqualTo(t0);
            assertThat(first.spkiSha256()).isEqualTo(java.util.HexFormat.of().formatHex(
                    java.security.MessageDigest.getInstance("SHA-256").digest(a.publicKey().getEncoded())));
            assertThat(r.list().get(1).location()).as("key text given directly").isNull();

            // a registry replacing it keeps the load time of an equal key, stamps a new one with now
            clock.advance(Duration.ofMinutes(5));
            TestKeys c = TestKeys.es256("rl-c");
            try (KeyRegistry next = builder().clock(clock).previous(r)
                    .addStatic(a.publicPem(), "rl-a", "keys[0]", "/k/a.pem").addStatic(c.publicPem(), "rl-c", "keys[1]").build()) {
                assertThat(next.list()).extracting(KeyRegistry.KeyInfo::loadedAt).containsExactly(t0, clock.instant());
            }
        }
    }

    @Test
    void aRegistryReplacingAnotherServesTheSameJwksUrlsLastGoodKeysBeforeItsOwnFetch() throws Exception {
        TestKeys k = TestKeys.es256("rl-jwks");
        server.stubFor(get(urlEqualTo("/jwks")).willReturn(okJson(TestKeys.jwks(k))));
        URI uri = URI.create(server.baseUrl() + "/jwks");
        try (KeyRegistry first = builder().clock(clock).addRemote(uri, "keys[0]", Duration.ofMinutes(10),
                Duration.ofSeconds(30), Duration.ofSeconds(5)).build()) {
            first.start().get(10, TimeUnit.SECONDS);
            assertThat(first.find("rl-jwks", JwsAlgorithm.ES256)).hasSize(1);
            server.stubFor(get(urlEqualTo("/jwks")).willReturn(com.github.tomakehurst.wiremock.client.WireMock.serverError()));
            try (KeyRegistry next = builder().clock(clock).previous(first).addRemote(uri, "keys[0]",
                    Duration.ofMinutes(10), Duration.ofSeconds(30), Duration.ofSeconds(5)).build()) {
                assertThat(next.ready()).isTrue();
                assertThat(next.find("rl-jwks", JwsAlgorithm.ES256)).as("before its first fetch").hasSize(1);
                next.start().get(10, TimeUnit.SECONDS);
                assertThat(next.find("rl-jwks", JwsAlgorithm.ES256)).as("after a failed fetch: last good keys").hasSize(1);
                assertThat(next.list()).singleElement().satisfies(i -> assertThat(i.location()).isEqualTo(uri.toString()));
            }
        }
    }

    @Test
    void keysLoadedGaugeFollowsTheRegistryInForceForFileKeysToo() {
        io.micrometer.core.instrument.simple.SimpleMeterRegistry meters = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        io.streamgate.filters.metrics.StreamGateMetrics metrics = new io.streamgate.filters.metrics.StreamGateMetrics(meters);
        java.util.function.Function<String, Double> gauge = src -> {
            io.micrometer.core.instrument.Gauge g = meters.find("streamgate.keys.loaded").tag("source", src).gauge();
            return g == null ? null : g.value();
        };
        try (KeyRegistry first = builder().metrics(metrics).addStatic(TestKeys.es256("g-a").publicPem(), "g-a", "keys[0]")
                .addStatic(TestKeys.es256("g-b").publicPem(), "g-b", "keys[1]").build()) {
            assertThat(gauge.apply("keys[0]")).isEqualTo(1.0);
            assertThat(gauge.apply("keys[1]")).isEqualTo(1.0);
            try (KeyRegistry next = builder().metrics(metrics).previous(first)
                    .addStatic(TestKeys.jwks(TestKeys.es256("g-c"), TestKeys.rs256("g-d")), null, "keys[0]").build()) {
                assertThat(gauge.apply("keys[0]")).as("the new registry's count").isEqualTo(2.0);
                assertThat(gauge.apply("keys[1]")).as("a source no longer configured").isNull();
            }
        }
    }

    // --- static keys by kid ------------------------------------------------------------------

    @Test
    void pemKeysAreFoundByKidOnlyForAlgorithmsOfTheirType() {
        TestKeys ec = TestKeys.es256("reg-ec");
        TestKeys rsa = TestKeys.rs256("reg-rsa");
        TestKeys ed = TestKeys.eddsa("reg-ed");
        try (KeyRegistry r = builder().addStatic(ec.publicPem(), "ec", "keys[0]")
                .addStatic(rsa.publicPem(), "rsa", "keys[1]").addStatic(ed.publicPem(), "ed", "keys[2]").build()) {
            assertThat(r.find("ec", JwsAlgorithm.ES256)).singleElement()
                    .satisfies(k -> assertThat(k.publicKey()).isEqualTo(ec.publicKey()));
            for (JwsAlgorithm a : JwsAlgorithm.values()) {
                assertThat(r.find("ec", a)).as("ec/%s", a).hasSize(a == JwsAlgorithm.ES256 ? 1 : 0);
                assertThat(r.find("rsa", a)).as("rsa/%s", a).hasSize(a.keyType() == JwsAlgorithm.KeyType.RSA ? 1 : 0);
                assertThat(r.find("ed", a)).as("ed/%s", a).hasSize(a == JwsAlgorithm.EdDSA ? 1 : 0);
            }
            assertThat(r.find("unknown", JwsAlgorithm.ES256)).isNotNull().isEmpty();
            assertThat(r.find("EC", JwsAlgorithm.ES256)).as("kids are case-sensitive").isEmpty();
            assertThat(r.size()).isEqualTo(3);
            assertThat(r.ready()).isTrue();
            assertThat(r.anySourceFailing()).isFalse();
        }
    }

    @Test
    void jwkAndJwksTextAddKeysUnderTheirKids() {
        TestKeys single = TestKeys.es256("reg-single");
        TestKeys a = TestKeys.eddsa("reg-set-a");
        TestKeys b = TestKeys.rs256("reg-set-b");
        try (KeyRegistry r = builder().addStatic(jwkJson(single), null, "keys[0]")
                .addStatic(TestKeys.jwks(a, b), null, "keys[1]").build()) {
            assertThat(r.find("reg-single", JwsAlgorithm.ES256)).hasSize(1);
            assertThat(r.find("reg-set-a", JwsAlgorithm.EdDSA)).singleElement()
                    .satisfies(k -> assertThat(k.source()).isEqualTo("keys[1]"));
            assertThat(r.find("reg-set-b", JwsAlgorithm.RS256)).hasSize(1);
            assertThat(r.size()).isEqualTo(3);
        }
    }

    @Test
    void jwkAlgLimitsWhichAlgorithmFindsTheKey() {
        TestKeys rsa = TestKeys.rs256("reg-rsa");
        Map<String, Object> jwk = new LinkedHashMap<>(rsa.jwk());
        jwk.put("alg", "PS256");
        try (KeyRegistry r = builder().addStatic(JsonUtil.toJson(jwk), null, "keys[0]").build()) {
            assertThat(r.find("reg-rsa", JwsAlgorithm.PS256)).hasSize(1);
            assertThat(r.find("reg-rsa", JwsAlgorithm.RS256)).isEmpty();
            assertThat(r.find("reg-rsa", JwsAlgorithm.PS384)).isEmpty();
        }
    }

    @Test
    void configuredKidSelectsOneKeyOfAStaticJwks() {
        TestKeys a = TestKeys.es256("reg-set-c");
        TestKeys b = TestKeys.es256("reg-set-d");
        try (KeyRegistry r = builder().addStatic(TestKeys.jwks(a, b), "reg-set-d", "keys[0]").build()) {
            assertThat(r.find("reg-set-d", JwsAlgorithm.ES256)).hasSize(1);
            assertThat(r.find("reg-set-c", JwsAlgorithm.ES256)).isEmpty();
        }
    }

    @Test
    void twoKeysUnderOneKidAreBothCandidates() throws Exception {
        TestKeys old = TestKeys.fresh("rotating", JwsAlgorithm.ES256);
        TestKeys next = TestKeys.fresh("rotating", JwsAlgorithm.ES256);
        KeyRegistry r = builder().addStatic(old.publicPem(), "rotating", "keys[0]")
                .addStatic(next.publicPem(), "rotating", "keys[1]").build();
        assertThat(r.find("rotating", JwsAlgorithm.ES256)).hasSize(2);
        try (Authorizer a = authorizer(r)) {
            assertThat(authorize(a, Tokens.signedBy(old, clock).sign()).allowed()).isTrue();
            assertThat(authorize(a, Tokens.signedBy(next, clock).sign()).allowed()).isTrue();
        }
    }

    /** Review finding: keys compared by object, so a re-parsed unchanged key lost every cached verification. */
    @Test
    void keysCompareByKidAlgorithmsAndKeyBytesNotByObject() {
        TestKeys ec = TestKeys.es256("reg-ec");
        TestKeys sameKidOtherBytes = TestKeys.fresh("reg-ec", JwsAlgorithm.ES256);
        try (KeyRegistry r1 = Fixture.registry(ec); KeyRegistry r2 = Fixture.registry(ec);
             KeyRegistry asJwk = builder().addStatic(jwkJson(ec), null, "keys[7]").build();
             KeyRegistry otherKid = builder().addStatic(ec.publicPem(), "reg-ec-2", "keys[0]").build();
             KeyRegistry rotated = Fixture.registry(sameKidOtherBytes)) {
            VerificationKey k1 = r1.find("reg-ec", JwsAlgorithm.ES256)[0];
            VerificationKey k2 = r2.find("reg-ec", JwsAlgorithm.ES256)[0];
            VerificationKey fromJwk = asJwk.find("reg-ec", JwsAlgorithm.ES256)[0];
            assertThat(k2).isNotSameAs(k1).isEqualTo(k1).hasSameHashCodeAs(k1);
            assertThat(fromJwk).as("PEM and JWK of one key, other source").isEqualTo(k1);
            assertThat(r1.contains(k1)).isTrue();
            assertThat(r2.contains(k1)).as("same key parsed again").isTrue();
            assertThat(otherKid.contains(k1)).as("same bytes, other kid").isFalse();
            assertThat(rotated.contains(k1)).as("same kid, other bytes").isFalse();
        }
        Map<String, Object> ps = new LinkedHashMap<>(TestKeys.rs256("reg-rsa").jwk());
        ps.put("alg", "PS256");
        try (KeyRegistry any = builder().addStatic(TestKeys.rs256("reg-rsa").publicPem(), "reg-rsa", "keys[0]").build();
             KeyRegistry narrowed = builder().addStatic(JsonUtil.toJson(ps), null, "keys[0]").build()) {
            VerificationKey k = any.find("reg-rsa", JwsAlgorithm.PS256)[0];
            assertThat(narrowed.contains(k)).as("same bytes, other algorithms").isFalse();
        }
    }

    @Test
    void registryWithoutRemoteSourcesNeverRefetchesAndStartsAtOnce() throws Exception {
        try (KeyRegistry r = Fixture.registry(TestKeys.es256("reg-ec"))) {
            assertThat(r.start()).isCompleted();
            assertThat(r.refetchForUnknownKid()).isNull();
        }
    }

    @Test
    void registryWithoutKeysIsNotReady() {
        try (KeyRegistry r = builder().build()) {
            assertThat(r.ready()).isFalse();
            assertThat(r.size()).isZero();
            assertThat(r.find(null, JwsAlgorithm.ES256)).isEmpty();
        }
    }

    // --- configuration errors ----------------------------------------------------------------

    @Test
    void pemWithoutKidIsAConfigErrorNamingTheKey() {
        String pem = TestKeys.es256("reg-ec").publicPem();
        for (String kid : new String[] {null, "", "  "}) {
            assertThatThrownBy(() -> builder().addStatic(TestKeys.es256("x").publicPem(), "a", "keys[0]")
                    .addStatic(pem, kid, "keys[1]").build())
                    .as("kid %s", kid)
                    .isInstanceOfSatisfying(ConfigException.class, e ->
                            assertThat(e.problems()).singleElement().asString().startsWith("keys[1].kid:"));
        }
    }

    @Test
    void everyBadStaticSourceIsReportedWithItsKeyPath() throws Exception {
        java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("RSA");
        g.initialize(1024);
        String rsa1024 = "-----BEGIN PUBLIC KEY-----\n"
                + java.util.Base64.getMimeEncoder().encodeToString(g.generateKeyPair().getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
        String oct = "{\"kty\":\"oct\",\"kid\":\"mac\",\"k\":\"c2VjcmV0\"}";
        TestKeys ok = TestKeys.es256("reg-ec");
        ConfigException e = (ConfigException) org.assertj.core.api.Assertions.catchThrowable(() -> builder()
                .addStatic(ok.publicPem(), "fine", "keys[0]")
                .addStatic(rsa1024, "old", "keys[1]")
                .addStatic(oct, null, "keys[2]")
                .addStatic(ok.privatePem(), "leaked", "keys[3]")
                .addStatic(TestKeys.jwks(ok), "absent", "keys[4]")
                .addStatic(ok.publicPem(), null, "keys[5]")
                .build());
        assertThat(e).isNotNull();
        List<String> problems = e.problems();
        assertThat(problems).hasSize(5);
        assertThat(problems.get(0)).startsWith("keys[1]: ").contains("1024 bits");
        assertThat(problems.get(1)).startsWith("keys[2]: ").contains("oct");
        assertThat(problems.get(2)).startsWith("keys[3]: ").contains("private key");
        assertThat(problems.get(3)).startsWith("keys[4]: ").contains("no key with kid \"absent\"");
        assertThat(problems.get(4)).startsWith("keys[5].kid: ");
        assertThat(e.getMessage()).isEqualTo(String.join("\n", problems));
    }

    // --- tokens without kid ------------------------------------------------------------------

    @Test
    void tokenWithoutKidResolvesOnlyWhenExactlyOneKeyFitsItsAlgorithm() {
        TestKeys ec = TestKeys.es256("reg-ec");
        TestKeys rsa = TestKeys.rs256("reg-rsa");
        try (KeyRegistry one = Fixture.registry(ec, rsa)) {
            assertThat(one.find(null, JwsAlgorithm.ES256)).singleElement()
                    .satisfies(k -> assertThat(k.kid()).isEqualTo("reg-ec"));
            assertThat(one.find(null, JwsAlgorithm.PS256)).singleElement()
                    .satisfies(k -> assertThat(k.kid()).isEqualTo("reg-rsa"));
            assertThat(one.find(null, JwsAlgorithm.EdDSA)).isEmpty();
            assertThat(one.find(null, JwsAlgorithm.ES384)).isEmpty();
        }
        try (KeyRegistry two = Fixture.registry(ec, TestKeys.es256("reg-ec-2"), rsa)) {
            assertThat(two.find(null, JwsAlgorithm.ES256)).as("two ES256 keys: no guessing").isEmpty();
            assertThat(two.find(null, JwsAlgorithm.RS256)).hasSize(1);
        }
    }

    @Test
    void keyWithoutKidIsFoundOnlyByTokensWithoutKid() {
        Map<String, Object> jwk = new LinkedHashMap<>(TestKeys.es256("reg-ec").jwk());
        jwk.remove("kid");
        try (KeyRegistry r = builder().addStatic(JsonUtil.toJson(jwk), null, "keys[0]").build()) {
            assertThat(r.find(null, JwsAlgorithm.ES256)).singleElement()
                    .satisfies(k -> assertThat(k.kid()).isNull());
            assertThat(r.find("reg-ec", JwsAlgorithm.ES256)).isEmpty();
        }
    }

    @Test
    void tokenWithoutKidIsAllowedWithOneFittingKeyAndUnknownKeyWithTwo() throws Exception {
        TestKeys ec = TestKeys.es256("reg-ec");
        String token = Tokens.signedBy(ec, clock).header("kid", null).sign();
        try (Authorizer a = authorizer(Fixture.registry(ec, TestKeys.rs256("reg-rsa")))) {
            assertThat(authorize(a, token).allowed()).isTrue();
        }
        try (Authorizer a = authorizer(Fixture.registry(ec, TestKeys.es256("reg-ec-2")))) {
            assertThat(authorize(a, token).reason()).isEqualTo(DenialReason.UNKNOWN_KEY);
        }
    }

    // --- header fields naming key sources are never followed ---------------------------------

    /** jku names an attacker's JWKS holding the key that signed the token; it must never be fetched. */
    @Test
    void jkuPointingAtAnAttackerJwksIsNeverFetched() throws Exception {
        TestKeys legit = TestKeys.es256("legit");
        TestKeys attacker = TestKeys.fresh("attacker-kid", JwsAlgorithm.ES256);
        server.stubFor(get("/attacker/jwks.json").willReturn(okJson(TestKeys.jwks(attacker))));
        String jku = server.baseUrl() + "/attacker/jwks.json";

        try (Authorizer a = authorizer(Fixture.registry(legit))) {
            Verdict unknownKid = authorize(a, Tokens.signedBy(attacker, clock).header("jku", jku).sign());
            assertThat(unknownKid.reason()).isEqualTo(DenialReason.UNKNOWN_KEY);

            TestKeys attackerAsLegit = TestKeys.fresh("legit", JwsAlgorithm.ES256);
            server.stubFor(get("/attacker/jwks.json").willReturn(okJson(TestKeys.jwks(attackerAsLegit))));
            Verdict knownKid = authorize(a, Tokens.signedBy(attackerAsLegit, clock).header("jku", jku)
                    .header("x5u", jku).sign());
            assertThat(knownKid.reason()).isEqualTo(DenialReason.BAD_SIGNATURE);
        }
        server.verify(0, anyRequestedFor(anyUrl()));
        assertThat(server.getAllServeEvents()).isEmpty();
    }

    /** With a configured JWKS, an unknown kid refetches the configured URL, never the token's jku. */
    @Test
    void unknownKidRefetchesTheConfiguredJwksNotTheTokensJku() throws Exception {
        TestKeys legit = TestKeys.es256("legit");
        TestKeys attacker = TestKeys.fresh("attacker-kid", JwsAlgorithm.ES256);
        server.stubFor(get("/idp/jwks.json").willReturn(okJson(TestKeys.jwks(legit))));
        server.stubFor(get("/attacker/jwks.json").willReturn(okJson(TestKeys.jwks(attacker))));
        KeyRegistry registry = builder().clock(clock)
                .addRemote(URI.create(server.baseUrl() + "/idp/jwks.json"), "keys[0]", Duration.ofHours(1),
                        Duration.ofSeconds(30), Duration.ofSeconds(5))
                .build();
        try (Authorizer a = authorizer(registry)) {
            registry.start().get(10, TimeUnit.SECONDS);
            clock.advance(Duration.ofSeconds(31));
            String token = Tokens.signedBy(attacker, clock)
                    .header("jku", server.baseUrl() + "/attacker/jwks.json").sign();
            assertThat(authorize(a, token).reason()).isEqualTo(DenialReason.UNKNOWN_KEY);
        }
        server.verify(2, getRequestedFor(urlEqualTo("/idp/jwks.json")));
        server.verify(0, getRequestedFor(urlEqualTo("/attacker/jwks.json")));
    }

    /** An embedded jwk header (the key that signed the token) is not a key source either. */
    @Test
    void embeddedJwkHeaderIsIgnored() throws Exception {
        TestKeys legit = TestKeys.es256("legit");
        TestKeys attacker = TestKeys.fresh("legit", JwsAlgorithm.ES256);
        try (Authorizer a = authorizer(Fixture.registry(legit))) {
            String withKid = Tokens.signedBy(attacker, clock).header("jwk", attacker.jwk()).sign();
            assertThat(authorize(a, withKid).reason()).isEqualTo(DenialReason.BAD_SIGNATURE);
            String withoutKid = Tokens.signedBy(attacker, clock).header("kid", null).header("jwk", attacker.jwk()).sign();
            assertThat(authorize(a, withoutKid).reason()).isEqualTo(DenialReason.BAD_SIGNATURE);
        }
    }
}
