package io.streamgate.filters.keys;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.jose4j.json.JsonUtil;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.PublicJsonWebKey;
import org.junit.jupiter.api.Test;

import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.testing.Fixture;
import io.streamgate.filters.testing.TestKeys;

class KeyParserTest {
    private static final JwsAlgorithm[] RSA_ALGS = {JwsAlgorithm.RS256, JwsAlgorithm.RS384, JwsAlgorithm.RS512,
            JwsAlgorithm.PS256, JwsAlgorithm.PS384, JwsAlgorithm.PS512};

    private final KeyParser parser = new KeyParser(Fixture.crypto());

    private static String json(Map<String, Object> m) {
        return JsonUtil.toJson(m);
    }

    private static Map<String, Object> jwk(TestKeys k, String name, Object value) {
        Map<String, Object> m = new LinkedHashMap<>(k.jwk());
        if (value == null) {
            m.remove(name);
        } else {
            m.put(name, value);
        }
        return m;
    }

    private static String jwks(Object... jwks) {
        return JsonUtil.toJson(Map.of("keys", List.of(jwks)));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static KeyPair rsa1024() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(1024);
        return g.generateKeyPair();
    }

    private static String b64u(BigInteger v) {
        byte[] b = v.toByteArray();
        if (b.length > 1 && b[0] == 0) {
            b = java.util.Arrays.copyOfRange(b, 1, b.length);
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    // --- PEM ---------------------------------------------------------------------------------

    @Test
    void pemEcP256KeyVerifiesOnlyEs256UnderTheConfiguredKid() {
        TestKeys k = TestKeys.es256("kp-ec");
        KeyParser.Result r = parser.parse(k.publicPem(), "partner-2026", "keys[0]");
        assertThat(r.problems()).isEmpty();
        assertThat(r.keys()).hasSize(1);
        VerificationKey key = r.keys().get(0);
        assertThat(key.kid()).isEqualTo("partner-2026");
        assertThat(key.source()).isEqualTo("keys[0]");
        assertThat(key.algorithms()).containsExactly(JwsAlgorithm.ES256);
        assertThat(key.publicKey().getEncoded()).isEqualTo(k.publicKey().getEncoded());
        assertThat(key.signatureLength(JwsAlgorithm.ES256)).isEqualTo(64);
        assertThat(key.preparedFor(JwsAlgorithm.ES256)).isNotNull();
        assertThat(key.verifies(JwsAlgorithm.ES256)).isTrue();
        assertThat(key.verifies(JwsAlgorithm.RS256)).isFalse();
        assertThat(key.preparedFor(JwsAlgorithm.RS256)).isNull();
    }

    @Test
    void pemRsa2048KeyVerifiesEveryRsAndPsAlgorithm() {
        KeyParser.Result r = parser.parse(TestKeys.rs256("kp-rsa").publicPem(), "rsa", "keys[1]");
        assertThat(r.problems()).isEmpty();
        assertThat(r.keys()).singleElement().satisfies(key -> {
            assertThat(key.algorithms()).containsExactlyInAnyOrder(RSA_ALGS);
            assertThat(key.signatureLength(JwsAlgorithm.PS512)).isEqualTo(256);
        });
    }

    @Test
    void pemEd25519KeyVerifiesOnlyEdDsa() {
        KeyParser.Result r = parser.parse(TestKeys.eddsa("kp-ed").publicPem(), "ed", "keys[2]");
        assertThat(r.problems()).isEmpty();
        assertThat(r.keys()).singleElement().satisfies(key ->
                assertThat(key.algorithms()).containsExactly(JwsAlgorithm.EdDSA));
    }

    @Test
    void pemSurroundedByWhitespaceAndCrlfIsRead() {
        String pem = "\r\n  " + TestKeys.es256("kp-ec").publicPem().replace("\n", "\r\n") + "\n\n";
        KeyParser.Result r = parser.parse(pem, "k", "keys[0]");
        assertThat(r.problems()).isEmpty();
        assertThat(r.keys()).hasSize(1);
    }

    @Test
    void rsa1024PemIsRefused() throws Exception {
        KeyParser.Result r = parser.parse(pem("PUBLIC KEY", rsa1024().getPublic().getEncoded()), "old", "keys[0]");
        assertThat(r.keys()).isEmpty();
        assertThat(r.problems()).singleElement().asString().contains("1024 bits").contains("2048");
    }

    @Test
    void privateKeyPemIsRefusedWithoutEchoingIt() {
        TestKeys k = TestKeys.es256("kp-ec");
        KeyParser.Result r = parser.parse(k.privatePem(), "k", "keys[0]");
        assertThat(r.keys()).isEmpty();
        assertThat(r.problems()).singleElement().asString().contains("private key");
        String body = k.privatePem().lines().skip(1).findFirst().orElseThrow();
        assertThat(String.join("\n", r.problems())).doesNotContain(body);
    }

    @Test
    void traditionalRsaPrivateKeyPemIsRefused() {
        KeyParser.Result r = parser.parse("-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n",
                "k", "keys[0]");
        assertThat(r.keys()).isEmpty();
        assertThat(r.problems()).singleElement().asString().contains("private key");
    }

    @Test
    void certificateAndPkcs1PemAreRefusedAsNotSubjectPublicKeyInfo() {
        for (String type : List.of("CERTIFICATE", "RSA PUBLIC KEY")) {
            KeyParser.Result r = parser.parse("-----BEGIN " + type + "-----\nMIIB\n-----END " + type + "-----\n",
                    "k", "keys[0]");
            assertThat(r.keys()).as(type).isEmpty();
            assertThat(r.problems()).as(type).singleElement().asString().contains("SubjectPublicKeyInfo");
        }
    }

    @Test
    void brokenPemBodiesAreProblemsNotExceptions() {
        assertThat(parser.parse("-----BEGIN PUBLIC KEY-----\nMFkw\n", "k", "s").problems())
                .singleElement().asString().contains("END PUBLIC KEY");
        assertThat(parser.parse("-----BEGIN PUBLIC KEY-----\n!!!*\n-----END PUBLIC KEY-----", "k", "s").problems())
                .singleElement().asString().contains("base64");
        assertThat(parser.parse("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "k", "s").problems())
                .singleElement().asString().contains("not an RSA, EC or Ed25519");
    }

    @Test
    void pemOfAnUnsupportedCurveIsRefused() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", new BouncyCastleProvider());
        g.initialize(new ECGenParameterSpec("secp256k1"));
        KeyParser.Result r = parser.parse(pem("PUBLIC KEY", g.generateKeyPair().getPublic().getEncoded()), "k1", "s");
        assertThat(r.keys()).isEmpty();
        assertThat(r.problems()).hasSize(1);
    }

    // --- JWK ---------------------------------------------------------------------------------

    @Test
    void singleJwkTakesItsKidAndAlg() {
        TestKeys k = TestKeys.es256("jwk-ec");
        KeyParser.Result r = parser.parse(json(k.jwk()), null, "keys[0]");
        assertThat(r.problems()).isEmpty();
        assertThat(r.keys()).singleElement().satisfies(key -> {
            assertThat(key.kid()).isEqualTo("jwk-ec");
            assertThat(key.algorithms()).containsExactly(JwsAlgorithm.ES256);
            assertThat(key.publicKey().getEncoded()).isEqualTo(k.publicKey().getEncoded());
        });
    }

    @Test
    void configuredKidOverridesASingleJwksKid() {
        KeyParser.Result r = parser.parse(json(TestKeys.es256("jwk-ec").jwk()), "renamed", "keys[0]");
        assertThat(r.keys()).singleElement().satisfies(key -> assertThat(key.kid()).isEqualTo("renamed"));
    }

    @Test
    void jwkWithoutKidYieldsAKeyWithoutKid() {
        KeyParser.Result r = parser.parse(json(jwk(TestKeys.es256("jwk-ec"), "kid", null)), null, "keys[0]");
        assertThat(r.problems()).isEmpty();
        assertThat(r.keys()).singleElement().satisfies(key -> assertThat(key.kid()).isNull());
    }

    @Test
    void jwkAlgNarrowsAnRsaKeyToThatAlgorithm() {
        TestKeys k = TestKeys.rs256("kp-rsa");
        KeyParser.Result r = parser.parse(json(jwk(k, "alg", "PS256")), null, "keys[0]");
        assertThat(r.problems()).isEmpty();
        assertThat(r.keys()).singleElement().satisfies(key -> {
            assertThat(key.algorithms()).containsExactly(JwsAlgorithm.PS256);
            assertThat(key.verifies(JwsAlgorithm.RS256)).isFalse();
        });
    }

    @Test
    void jwkWithoutAlgGetsEveryAlgorithmOfItsType() {
        KeyParser.Result r = parser.parse(json(jwk(TestKeys.rs256("kp-rsa"), "alg", null)), null, "keys[0]");
        assertThat(r.keys()).singleElement().satisfies(key ->
                assertThat(key.algorithms()).containsExactlyInAnyOrder(RSA_ALGS));
    }

    @Test
    void jwkAlgThatDoesNotFitTheKeyIsRefused() {
        TestKeys ec = TestKeys.es256("jwk-ec");
        for (Object alg : List.of("RS256", "ES384", "EdDSA", "HS256", "none", "es256", "ES256K")) {
            KeyParser.Result r = parser.parse(json(jwk(ec, "alg", alg)), null, "keys[0]");
            assertThat(r.keys()).as("alg %s", alg).isEmpty();
            assertThat(r.problems()).as("alg %s", alg).singleElement().asString()
                    .startsWith("jwk: alg \"" + alg + "\" does not fit");
        }
        KeyParser.Result notString = parser.parse(json(jwk(ec, "alg", 256)), null, "keys[0]");
        assertThat(notString.keys()).isEmpty();
        assertThat(notString.problems()).hasSize(1);
    }

    @Test
    void jwkUseOtherThanSigIsRefused() {
        TestKeys k = TestKeys.es256("jwk-ec");
        assertThat(parser.parse(json(jwk(k, "use", "sig")), null, "s").keys()).hasSize(1);
        assertThat(parser.parse(json(jwk(k, "use", null)), null, "s").keys()).hasSize(1);
        KeyParser.Result enc = parser.parse(json(jwk(k, "use", "enc")), null, "s");
        assertThat(enc.keys()).isEmpty();
        assertThat(enc.problems()).singleElement().asString().contains("use is \"enc\"");
    }

    @Test
    void jwkKeyOpsMustIncludeVerify() {
        TestKeys k = TestKeys.es256("jwk-ec");
        assertThat(parser.parse(json(jwk(k, "key_ops", List.of("verify"))), null, "s").keys()).hasSize(1);
        for (Object ops : List.of(List.of("encrypt"), List.of("sign"), List.of(), "verify")) {
            KeyParser.Result r = parser.parse(json(jwk(k, "key_ops", ops)), null, "s");
            assertThat(r.keys()).as("key_ops %s", ops).isEmpty();
            assertThat(r.problems()).as("key_ops %s", ops).singleElement().asString().contains("key_ops");
        }
    }

    @Test
    void octKeyIsRefused() {
        String oct = "{\"kty\":\"oct\",\"kid\":\"mac\",\"alg\":\"HS256\",\"k\":\"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0\"}";
        KeyParser.Result r = parser.parse(oct, null, "keys[0]");
        assertThat(r.keys()).isEmpty();
        assertThat(r.problems()).singleElement().asString().contains("symmetric (oct)");
        assertThat(String.join("\n", r.problems())).doesNotContain("c2VjcmV0");
    }

    @Test
    void jwkWithPrivateMaterialIsRefused() throws Exception {
        for (TestKeys k : List.of(TestKeys.es256("jwk-ec"), TestKeys.rs256("kp-rsa"), TestKeys.eddsa("kp-ed"))) {
            PublicJsonWebKey full = PublicJsonWebKey.Factory.newPublicJwk(k.publicKey());
            full.setPrivateKey(k.pair().getPrivate());
            Map<String, Object> m = new LinkedHashMap<>(full.toParams(JsonWebKey.OutputControlLevel.INCLUDE_PRIVATE));
            m.put("kid", k.kid());
            assertThat(m).containsKey("d");
            KeyParser.Result r = parser.parse(json(m), null, "keys[0]");
            assertThat(r.keys()).as(k.alg().jwaName()).isEmpty();
            assertThat(r.problems()).as(k.alg().jwaName()).singleElement().asString().contains("private key material");
            assertThat(String.join("\n", r.problems())).doesNotContain((String) m.get("d"));
        }
    }

    @Test
    void rsa1024JwkIsRefused() throws Exception {
        PublicJsonWebKey jwk = PublicJsonWebKey.Factory.newPublicJwk(rsa1024().getPublic());
        Map<String, Object> m = new LinkedHashMap<>(jwk.toParams(JsonWebKey.OutputControlLevel.PUBLIC_ONLY));
        m.put("kid", "old");
        KeyParser.Result r = parser.parse(json(m), null, "keys[0]");
        assertThat(r.keys()).isEmpty();
        assertThat(r.problems()).singleElement().asString().contains("1024 bits");
    }

    @Test
    void rsaJwkWithBadExponentIsRefused() {
        TestKeys k = TestKeys.rs256("kp-rsa");
        for (BigInteger e : List.of(BigInteger.ONE, BigInteger.valueOf(65536))) {
            KeyParser.Result r = parser.parse(json(jwk(k, "e", b64u(e))), null, "keys[0]");
            assertThat(r.keys()).as("e=%s", e).isEmpty();
            assertThat(r.problems()).as("e=%s", e).hasSize(1);
        }
    }

    @Test
    void jwkWithNonStringKidIsRefused() {
        KeyParser.Result r = parser.parse(json(jwk(TestKeys.es256("jwk-ec"), "kid", 7)), null, "keys[0]");
        assertThat(r.keys()).isEmpty();
        assertThat(r.problems()).singleElement().asString().contains("kid is not a string");
    }

    @Test
    void jwkOfUnknownTypeIsAProblemNotAnException() {
        KeyParser.Result r = parser.parse("{\"kty\":\"XYZ\",\"kid\":\"x\"}", null, "keys[0]");
        assertThat(r.keys()).isEmpty();
        assertThat(r.problems()).hasSize(1);
        KeyParser.Result noKty = parser.parse("{\"kid\":\"x\"}", null, "keys[0]");
        assertThat(noKty.keys()).isEmpty();
        assertThat(noKty.problems()).hasSize(1);
    }

    // --- JWKS --------------------------------------------------------------------------------

    @Test
    void jwksYieldsEveryKeyUnderItsOwnKid() {
        TestKeys ec = TestKeys.es256("set-ec");
        TestKeys rsa = TestKeys.rs256("set-rsa");
        TestKeys ed = TestKeys.eddsa("set-ed");
        KeyParser.Result r = parser.parse(TestKeys.jwks(ec, rsa, ed), null, "keys[3]");
        assertThat(r.problems()).isEmpty();
        assertThat(r.keys()).extracting(VerificationKey::kid).containsExactly("set-ec", "set-rsa", "set-ed");
        assertThat(r.keys()).extracting(VerificationKey::source).containsOnly("keys[3]");
        assertThat(r.keys().get(0).algorithms()).containsExactly(JwsAlgorithm.ES256);
        assertThat(r.keys().get(1).algorithms()).containsExactly(JwsAlgorithm.RS256); // its JWK says alg RS256
        assertThat(r.keys().get(2).algorithms()).containsExactly(JwsAlgorithm.EdDSA);
    }

    @Test
    void configuredKidSelectsOneKeyOfAJwks() {
        String text = TestKeys.jwks(TestKeys.es256("set-ec"), TestKeys.rs256("set-rsa"));
        KeyParser.Result r = parser.parse(text, "set-rsa", "keys[0]");
        assertThat(r.problems()).isEmpty();
        assertThat(r.keys()).extracting(VerificationKey::kid).containsExactly("set-rsa");
        assertThat(parser.parse(text, "absent", "keys[0]").keys()).isEmpty();
    }

    @Test
    void badEntriesOfAJwksAreSkippedWithProblemsAndGoodOnesKept() {
        TestKeys good = TestKeys.es256("set-ec");
        String oct = "{\"kty\":\"oct\",\"kid\":\"mac\",\"k\":\"c2VjcmV0\"}";
        String text = "{\"keys\":[" + oct + "," + json(good.jwk()) + ",\"junk\","
                + json(jwk(TestKeys.es256("enc"), "use", "enc")) + "]}";
        KeyParser.Result r = parser.parse(text, null, "jwks[0]");
        assertThat(r.keys()).extracting(VerificationKey::kid).containsExactly("set-ec");
        assertThat(r.problems()).hasSize(3);
        assertThat(r.problems().get(0)).startsWith("keys[0]: symmetric");
        assertThat(r.problems().get(1)).startsWith("keys[2]: not a JSON object");
        assertThat(r.problems().get(2)).startsWith("keys[3]: use is");
    }

    @Test
    void emptyJwksHasNoKeysAndNoProblems() {
        KeyParser.Result r = parser.parse("{\"keys\":[]}", null, "s");
        assertThat(r.keys()).isEmpty();
        assertThat(r.problems()).isEmpty();
    }

    @Test
    void garbageTextIsAProblemNotAnException() {
        List<String> problems = new ArrayList<>();
        for (String text : List.of("{not json", "hello", "", "   ", "[1,2]", "{\"keys\":{}}", "{\"keys\":\"x\"}")) {
            KeyParser.Result r = parser.parse(text, null, "s");
            assertThat(r.keys()).as(text).isEmpty();
            assertThat(r.problems()).as(text).hasSize(1);
            problems.addAll(r.problems());
        }
        assertThat(problems).contains("not valid JSON", "neither a PEM public key nor JWK/JWKS JSON",
                "\"keys\" is not an array");
    }

    @Test
    void bytesAreReadAsUtf8() {
        byte[] content = TestKeys.jwks(TestKeys.eddsa("set-ed")).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(parser.parse(content, null, "s").keys()).extracting(VerificationKey::kid).containsExactly("set-ed");
    }

    @Test
    void jwksOfAllPrivateOrSymmetricKeysYieldsNoKey() {
        String text = jwks(Map.of("kty", "oct", "k", "AAAA"), Map.of("kty", "EC", "crv", "P-256", "x", "A", "y", "B", "d", "C"));
        KeyParser.Result r = parser.parse(text, null, "s");
        assertThat(r.keys()).isEmpty();
        assertThat(r.problems()).hasSize(2);
    }
}
