package io.streamgate.filters;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.jose4j.json.JsonUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.streamgate.filters.core.BasicRequestView;
import io.streamgate.filters.core.DenialReason;
import io.streamgate.filters.crypto.JwsSigner;
import io.streamgate.filters.metrics.StreamGateMetrics;
import io.streamgate.filters.replay.MemoryReplayStore;
import io.streamgate.filters.replay.ReplayGuard;
import io.streamgate.filters.replay.ReplayMode;
import io.streamgate.filters.testing.Fixture;
import io.streamgate.filters.testing.MutableClock;
import io.streamgate.filters.testing.TestKeys;
import io.streamgate.filters.testing.Tokens;

/**
 * Known attacks on JWT verifiers, each through the whole pipeline: always a denial with a
 * reason, never an exception escaping and never an admission.
 */
class AttackCatalogTest {
    private static final RoutePolicy ROUTE = RoutePolicy.anyValidToken("attacks", "/");
    private final MutableClock clock = MutableClock.fixed();
    private final TestKeys es = TestKeys.es256("k1");
    private final TestKeys rsa = TestKeys.rs256("r1");
    private final Authorizer authorizer = Fixture.authorizer(clock, Fixture.metrics(), es, rsa).build();

    private DenialReason decide(String token) {
        Verdict v = authorizer.authorize(ROUTE, BasicRequestView.builder("/live/x")
                .header("Authorization", "Bearer " + token).build()).toCompletableFuture().join();
        return v.allowed() ? null : v.reason();
    }

    private String b64(String s) {
        return JwsSigner.b64(s.getBytes(StandardCharsets.UTF_8));
    }

    private String payload() {
        long now = clock.epochSeconds();
        return "{\"sub\":\"attacker\",\"jti\":\"j\",\"iat\":" + now + ",\"exp\":" + (now + 3600) + "}";
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "None", "NONE", "nOnE", "NoNe"})
    void algNoneInEveryCasingIsRefused(String none) {
        String unsigned = b64("{\"alg\":\"" + none + "\",\"typ\":\"JWT\"}") + "." + b64(payload());
        assertThat(decide(unsigned + ".")).isEqualTo(DenialReason.MALFORMED_TOKEN); // empty signature part
        assertThat(decide(unsigned + "." + b64("x"))).isEqualTo(DenialReason.UNSUPPORTED_ALGORITHM);
        String withKid = b64("{\"alg\":\"" + none + "\",\"kid\":\"k1\"}") + "." + b64(payload());
        assertThat(decide(withKid + "." + b64("x"))).isEqualTo(DenialReason.UNSUPPORTED_ALGORITHM);
    }

    @Test
    void rs256ToHs256ConfusionWithThePublicKeyAsSecretIsRefused() throws Exception {
        for (byte[] secret : List.of(rsa.publicPem().getBytes(StandardCharsets.US_ASCII), rsa.publicKey().getEncoded())) {
            String input = b64("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"r1\"}") + "." + b64(payload());
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            String forged = input + "." + JwsSigner.b64(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
            assertThat(decide(forged)).isEqualTo(DenialReason.UNSUPPORTED_ALGORITHM);
        }
    }

    @Test
    void allZeroEcdsaSignatureIsRefused() {
        // CVE-2022-21449 ("psychic signatures"): r = s = 0 verified on some JDKs.
        String t = Tokens.signedBy(es, clock).sign();
        String input = t.substring(0, t.lastIndexOf('.'));
        assertThat(decide(input + "." + JwsSigner.b64(new byte[64]))).isEqualTo(DenialReason.BAD_SIGNATURE);
    }

    @Test
    void signatureWithROrSEqualToTheGroupOrderIsRefused() {
        byte[] n = new java.math.BigInteger("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", 16)
                .toByteArray();
        byte[] sig = new byte[64];
        System.arraycopy(n, n.length - 32, sig, 0, 32);
        System.arraycopy(n, n.length - 32, sig, 32, 32);
        String t = Tokens.signedBy(es, clock).sign();
        assertThat(decide(t.substring(0, t.lastIndexOf('.') + 1) + JwsSigner.b64(sig)))
                .isEqualTo(DenialReason.BAD_SIGNATURE);
    }

    /** s' = n - s: the other valid ECDSA signature over the same input with the same key. */
    private static String otherEcdsaSpelling(String token) {
        java.math.BigInteger n = new java.math.BigInteger(
                "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", 16);
        int dot = token.lastIndexOf('.');
        byte[] sig = java.util.Base64.getUrlDecoder().decode(token.substring(dot + 1));
        assertThat(sig).hasSize(64);
        java.math.BigInteger s = new java.math.BigInteger(1, java.util.Arrays.copyOfRange(sig, 32, 64));
        byte[] flipped = n.subtract(s).toByteArray();
        byte[] out = sig.clone();
        java.util.Arrays.fill(out, 32, 64, (byte) 0);
        int len = Math.min(32, flipped.length);
        System.arraycopy(flipped, flipped.length - len, out, 64 - len, len);
        return token.substring(0, dot + 1) + JwsSigner.b64(out);
    }

    /**
     * ECDSA malleability: (r, n - s) verifies wherever (r, s) does, so an ES256 token has two
     * valid spellings. High-S is deliberately not rejected (JDK, OpenSSL and node signers do not
     * normalise S; rejecting would deny about half of legitimate tokens). What keeps a one-time
     * token one-time is that replay protection is keyed by (iss, jti), never by the token
     * string: the second spelling, in either order, is replayed.
     */
    @Test
    void highSSecondSpellingOfAnEs256TokenIsValidButReplayedUnderModeOnce() {
        String original = Tokens.signedBy(es, clock).claim("iss", "https://idp.example").sign();
        String malleated = otherEcdsaSpelling(original);
        assertThat(malleated).isNotEqualTo(original);
        assertThat(otherEcdsaSpelling(malleated)).isEqualTo(original);
        assertThat(decide(original)).as("replay off: first spelling").isNull();
        assertThat(decide(malleated)).as("replay off: the second spelling verifies too").isNull();

        StreamGateMetrics metrics = Fixture.metrics();
        try (Authorizer once = Fixture.authorizer(clock, metrics, es, rsa)
                .replay(new ReplayGuard(ReplayMode.ONCE, new MemoryReplayStore(clock, 1000), false,
                        Duration.ofSeconds(30), Duration.ofMillis(200), metrics)).build()) {
            assertThat(decideOnce(once, original)).isNull();
            assertThat(decideOnce(once, malleated)).isEqualTo(DenialReason.REPLAYED);
            assertThat(decideOnce(once, original)).isEqualTo(DenialReason.REPLAYED);

            String another = Tokens.signedBy(es, clock).claim("iss", "https://idp.example").sign();
            assertThat(decideOnce(once, otherEcdsaSpelling(another))).as("second spelling first").isNull();
            assertThat(decideOnce(once, another)).isEqualTo(DenialReason.REPLAYED);
        }
    }

    /** A decision with replay protection; an allowed one is committed, as after the origin accepted it. */
    private static DenialReason decideOnce(Authorizer a, String token) {
        Verdict v = a.authorize(ROUTE, BasicRequestView.builder("/live/x")
                .header("Authorization", "Bearer " + token).build()).toCompletableFuture().join();
        if (v.allowed()) {
            v.admission().commit();
            return null;
        }
        return v.reason();
    }

    @Test
    void embeddedJwkIsNeverUsedAsAKey() {
        TestKeys attacker = TestKeys.fresh("k1", es.alg());
        Map<String, Object> jwk = attacker.jwk();
        String withKid = Tokens.signedBy(attacker, clock).header("jwk", jwk).sign();
        assertThat(decide(withKid)).isEqualTo(DenialReason.BAD_SIGNATURE);
        // Without kid, the configured ES256 key is the only candidate, never the embedded one.
        String withoutKid = Tokens.signedBy(attacker, clock).header("kid", null).header("jwk", jwk).sign();
        assertThat(decide(withoutKid)).isEqualTo(DenialReason.BAD_SIGNATURE);
    }

    @Test
    void x5cAndX5uAreNeverUsedAsKeySources() {
        TestKeys attacker = TestKeys.fresh("k1", es.alg());
        String t = Tokens.signedBy(attacker, clock)
                .header("x5c", List.of(java.util.Base64.getEncoder().encodeToString(attacker.publicKey().getEncoded())))
                .header("x5u", "http://127.0.0.1:9/cert.pem").sign();
        assertThat(decide(t)).isEqualTo(DenialReason.BAD_SIGNATURE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"../../../../etc/passwd", "/dev/null", "' OR '1'='1", "k1' --", "k1\u0000", "k1 ",
            "K1", "${jndi:ldap://127.0.0.1/x}", "", "k1/../k1"})
    void kidTricksFindNoKey(String kid) {
        TestKeys attacker = TestKeys.fresh(kid, es.alg());
        assertThat(decide(Tokens.signedBy(attacker, clock).sign())).isEqualTo(DenialReason.UNKNOWN_KEY);
    }

    @Test
    void oversizedTokensAreRefusedCheaply() {
        String huge = "eyJ" + "A".repeat(10 * 1024 * 1024) + ".e30.AA";
        assertThat(decide(huge)).isEqualTo(DenialReason.TOKEN_TOO_LARGE);
    }

    @Test
    void deeplyNestedJsonIsMalformedNotAStackOverflow() {
        String deep = "[".repeat(2500) + "]".repeat(2500);
        assertThat(decide(b64("{\"alg\":" + deep + "}") + "." + b64(payload()) + "." + b64("sig")))
                .isEqualTo(DenialReason.MALFORMED_TOKEN);
        // Far deeper than any stack allows, with the size limit lifted: still a verdict.
        io.streamgate.filters.verify.TokenVerifier lenient = new io.streamgate.filters.verify.TokenVerifier(
                io.streamgate.filters.verify.VerifyPolicy.builder().maxTokenLength(10_000_000).build(), Fixture.crypto());
        String deeper = "[".repeat(1_000_000) + "]".repeat(1_000_000);
        assertThat(lenient.decode(b64("{\"alg\":" + deeper + "}") + "." + b64(payload()) + "." + b64("sig"))
                .failure()).isEqualTo(DenialReason.MALFORMED_TOKEN);
        String signedDeep = Tokens.signRaw(es, "{\"alg\":\"ES256\",\"kid\":\"k1\"}",
                "{\"exp\":" + (clock.epochSeconds() + 60) + ",\"x\":" + "[".repeat(2000) + "]".repeat(2000) + "}");
        DenialReason r = decide(signedDeep);
        assertThat(r).isIn(null, DenialReason.MALFORMED_TOKEN);
    }

    @Test
    void garbageCorpusAlwaysGetsAReason() {
        List<String> corpus = new ArrayList<>(List.of("", ".", "..", "...", "....", "a", "a.b", "a.b.c.d",
                "eyJ", "eyJhbGciOiJFUzI1NiJ9", "eyJhbGciOiJFUzI1NiJ9..", "null.null.null", "e30.e30.e30",
                b64("[]") + "." + b64("{}") + ".AA", b64("null") + "." + b64("{}") + ".AA",
                b64("{\"alg\":null}") + "." + b64("{}") + ".AA", b64("{\"alg\":[]}") + "." + b64("{}") + ".AA",
                b64("{\"alg\":\"ES256\",\"kid\":{}}") + "." + b64("{}") + ".AA",
                b64("\u0000\u0001") + "." + b64("{}") + ".AA", "\u00e9\u00e9.\u00e9.\u00e9", "%2e%2e.%2e.%2e"));
        for (String exp : List.of("\"soon\"", "1.5e300", "99999999999999999999999", "-1", "NaN", "true", "[]")) {
            corpus.add(Tokens.signRaw(es, "{\"alg\":\"ES256\",\"kid\":\"k1\"}", "{\"exp\":" + exp + "}"));
        }
        for (String t : corpus) {
            DenialReason r = decide(t);
            assertThat(r).as("token #%d", corpus.indexOf(t)).isNotNull();
            assertThat(r.category()).isEqualTo(DenialReason.Category.INVALID_TOKEN);
        }
    }

    @Test
    void everyMutationOfAValidTokenIsRefused() {
        String valid = Tokens.signedBy(es, clock).sign();
        assertThat(decide(valid)).isNull();
        Random random = new Random(42);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ";
        int refused = 0;
        for (int i = 0; i < 2000; i++) {
            char[] c = valid.toCharArray();
            int pos = random.nextInt(c.length);
            char replacement = alphabet.charAt(random.nextInt(alphabet.length()));
            if (c[pos] == replacement) {
                continue;
            }
            c[pos] = replacement;
            DenialReason r = decide(new String(c));
            assertThat(r).as("mutation at %d", pos).isNotNull();
            refused++;
        }
        assertThat(refused).isGreaterThan(1900);
    }

    @Test
    void headerAndPayloadSwapIsRefused() {
        String t = Tokens.signedBy(es, clock).sign();
        String[] p = t.split("\\.");
        assertThat(decide(p[1] + "." + p[0] + "." + p[2])).isNotNull();
    }

    @Test
    void tokenSignedByAnotherKeyWithTheSameKidIsRefused() {
        TestKeys impostor = TestKeys.fresh("k1", es.alg());
        assertThat(decide(Tokens.signedBy(impostor, clock).sign())).isEqualTo(DenialReason.BAD_SIGNATURE);
    }

    @Test
    void rsaKeyCannotVerifyAnEs256TokenNamingItsKid() {
        String t = Tokens.signRaw(es, "{\"alg\":\"ES256\",\"kid\":\"r1\"}", payload());
        assertThat(decide(t)).isEqualTo(DenialReason.UNKNOWN_KEY);
    }

    @Test
    void claimsJsonIsNeverEchoedInDecisions() {
        String t = Tokens.signedBy(TestKeys.fresh("k1", es.alg()), clock).claim("secret", "s3cr3t").sign();
        Verdict v = authorizer.authorize(ROUTE, BasicRequestView.of("/x?token=" + t)).toCompletableFuture().join();
        assertThat(v.toString()).doesNotContain("s3cr3t").doesNotContain(t);
        assertThat(JsonUtil.toJson(Map.of("reason", v.reason().code()))).doesNotContain("s3cr3t");
    }
}
