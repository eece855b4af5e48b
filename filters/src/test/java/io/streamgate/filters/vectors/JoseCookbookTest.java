package io.streamgate.filters.vectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jose4j.json.JsonUtil;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import io.streamgate.filters.core.DenialReason;
import io.streamgate.filters.crypto.CryptoProvider;
import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.crypto.SignatureVerifier;
import io.streamgate.filters.keys.KeyParser;
import io.streamgate.filters.testing.Fixture;
import io.streamgate.filters.verify.TokenVerifier;

/**
 * The JOSE cookbook (RFC 7520 §3–§4 and §6, RFC 8037 A.4, RFC 7797) through the gateway's path:
 * {@link KeyParser}/{@code KeyRegistry} for the public part of each example's key, then
 * {@link TokenVerifier#decode} and {@link TokenVerifier#verify} with every algorithm allowed.
 *
 * <p>The asymmetric examples must verify with every shipped provider. Their payloads are
 * prose, not JWT claims sets, so "accepted" means the signature verified ({@link
 * Vectors#gatewayPath}); the §6 inner JWT has a real claims set and passes completely. Figures
 * 20 (§4.2) and 27 (§4.3) are not skipped here: the cookbook's keys carry no {@code alg}, so
 * nothing contradicts the token; the wrong key {@code alg} is only in Wycheproof's copies
 * (see {@link WycheproofJwsTest}).
 *
 * <p>Everything StreamGate does not take must be refused: HMAC (§4.4, RFC 7797 — "HS* never
 * with public keys"), detached content (§4.5), JSON serialization (§4.6–§4.8), {@code b64:false}
 * with {@code crit} (RFC 7797) and the five-part JWE of §6.
 */
class JoseCookbookTest {
    private static final String DIR = "jose-cookbook/";

    /** The asymmetric compact examples, by file, with the algorithm each uses. */
    private static final List<Map.Entry<String, JwsAlgorithm>> SIGNED = List.of(
            Map.entry("jws/4_1.rsa_v15_signature.json", JwsAlgorithm.RS256),
            Map.entry("jws/4_2.rsa-pss_signature.json", JwsAlgorithm.PS384),   // figure 20
            Map.entry("jws/4_3.ecdsa_signature.json", JwsAlgorithm.ES512),     // figure 27
            Map.entry("curve25519/jws.json", JwsAlgorithm.EdDSA));

    private final TokenVerifier tokens = new TokenVerifier(Vectors.ALL_ALGORITHMS, Fixture.crypto());

    @TestFactory
    List<DynamicNode> asymmetricExamplesVerifyWithEveryShippedProvider() {
        List<DynamicNode> perProvider = new ArrayList<>();
        for (CryptoProvider provider : Vectors.SHIPPED) {
            SignatureVerifier verifier = Vectors.verifier(provider);
            if (verifier == null) {
                perProvider.add(Vectors.skipped(provider + ": cannot load",
                        provider + " cannot load on this platform (SignatureVerifier.only returned null)"));
                continue;
            }
            TokenVerifier tv = new TokenVerifier(Vectors.ALL_ALGORITHMS, verifier);
            List<DynamicNode> tests = new ArrayList<>();
            for (Map.Entry<String, JwsAlgorithm> example : SIGNED) {
                String name = provider + " " + example.getValue().jwaName() + " " + example.getKey();
                if (!verifier.supports(example.getValue())) {
                    tests.add(Vectors.skipped(name, provider + " does not verify " + example.getValue().jwaName()
                            + " here"));
                    continue;
                }
                tests.add(dynamicTest(name, () -> {
                    Map<String, Object> vector = Vectors.load(DIR + example.getKey());
                    Vectors.LoadedKeys keys = Vectors.loadKeys(publicKeyOf(vector), verifier);
                    String compact = (String) output(vector).get("compact");

                    assertThat(keys.problems()).isEmpty();
                    assertThat(Vectors.gatewayPath(tv, keys.registry(), compact))
                            .hasToString("accepted (signature ok; payload is not a JWT claims set)");
                    assertThat(Vectors.gatewayPath(tv, keys.registry(), withFlippedSignatureBit(compact)))
                            .hasToString("rejected (verify: bad_signature)");
                }));
            }
            Map<String, Object> nested = Vectors.map(Vectors.load(DIR + "6.nesting_signatures_and_encryption.json")
                    .get("sign"));
            tests.add(dynamicTest(provider + " PS256 §6 inner signed JWT", () -> {
                if (!verifier.supports(JwsAlgorithm.PS256)) {
                    Assumptions.abort(provider + " does not verify PS256 here");
                }
                Vectors.LoadedKeys keys = Vectors.loadKeys(publicKeyOf(nested), verifier);
                assertThat(Vectors.gatewayPath(tv, keys.registry(), (String) output(nested).get("compact")))
                        .hasToString("accepted (signature and claims set ok)");
            }));
            perProvider.add(dynamicContainer(provider.toString(), tests));
        }
        return perProvider;
    }

    @Test
    void hmacExampleIsRefusedAtDecodeAndItsKeyIsNeverLoaded() {
        Map<String, Object> vector = Vectors.load(DIR + "jws/4_4.hmac-sha2_integrity_protection.json");

        assertThat(tokens.decode((String) output(vector).get("compact")).failure())
                .isEqualTo(DenialReason.UNSUPPORTED_ALGORITHM);
        assertThat(Vectors.loadKeys(key(vector), Fixture.crypto()).anyKey()).isFalse();
    }

    @Test
    void detachedContentIsRefusedAsMalformed() {
        Map<String, Object> vector = Vectors.load(DIR + "jws/4_5.signature_with_detached_content.json");
        String compact = (String) output(vector).get("compact");

        assertThat(JoseVectors.emptyPayload(compact)).as("the cookbook's detached form is header..signature").isTrue();
        assertThat(tokens.decode(compact).failure()).isEqualTo(DenialReason.MALFORMED_TOKEN);
    }

    @Test
    void jsonSerializationsAreRefusedAsMalformed() {
        for (String file : List.of("jws/4_1.rsa_v15_signature.json", "jws/4_5.signature_with_detached_content.json",
                "jws/4_6.protecting_specific_header_fields.json", "jws/4_7.protecting_content_only.json",
                "jws/4_8.multiple_signatures.json", "rfc7797/4.2.hmac-sha2_b64_false.json")) {
            Map<String, Object> out = output(Vectors.load(DIR + file));
            for (String form : List.of("json", "json_flat")) {
                if (out.containsKey(form)) {
                    assertThat(tokens.decode(JsonUtil.toJson(Vectors.map(out.get(form)))).failure())
                            .as("%s %s", file, form).isEqualTo(DenialReason.MALFORMED_TOKEN);
                }
            }
        }
    }

    /**
     * §4.6–§4.8 exist only as JSON. Rebuilt as compact tokens (protected header, payload,
     * signature), each signature is decided by the usual rules: the RS256 one of §4.8 verifies
     * (its kid was in the unprotected header, so the token has none and the only RS256 key
     * fits), HS256 ones are refused, and one without a protected header cannot be a compact
     * JWS at all.
     */
    @Test
    void signaturesOfJsonOnlyExamplesAreDecidedByTheCompactRulesWhenRebuilt() {
        List<String> outcomes = new ArrayList<>();
        for (String file : List.of("jws/4_6.protecting_specific_header_fields.json",
                "jws/4_7.protecting_content_only.json", "jws/4_8.multiple_signatures.json")) {
            Map<String, Object> vector = Vectors.load(DIR + file);
            Vectors.LoadedKeys keys = Vectors.loadKeys(publicKeyOf(vector), Fixture.crypto());
            Map<String, Object> json = Vectors.map(output(vector).get("json"));
            for (Map<String, Object> sig : Vectors.list(json, "signatures")) {
                String protectedHeader = sig.containsKey("protected") ? (String) sig.get("protected") : "";
                String compact = protectedHeader + "." + json.get("payload") + "." + sig.get("signature");
                outcomes.add(file + ": " + Vectors.gatewayPath(tokens, keys.registry(), compact));
            }
        }
        assertThat(outcomes).containsExactly(
                "jws/4_6.protecting_specific_header_fields.json: rejected (decode: unsupported_algorithm)",
                "jws/4_7.protecting_content_only.json: rejected (decode: malformed_token)",
                "jws/4_8.multiple_signatures.json: accepted (signature ok; payload is not a JWT claims set)",
                "jws/4_8.multiple_signatures.json: rejected (decode: malformed_token)",
                "jws/4_8.multiple_signatures.json: rejected (decode: unsupported_algorithm)");
    }

    @Test
    void unencodedPayloadWithCritIsRefusedAsMalformed() {
        // jose4j itself verifies this token as valid by default; the gateway's decoder must not.
        Map<String, Object> vector = Vectors.load(DIR + "rfc7797/hmac-sha2_b64_false.json");

        assertThat(tokens.decode((String) output(vector).get("compact")).failure())
                .isEqualTo(DenialReason.MALFORMED_TOKEN);
    }

    @Test
    void nestedJweIsRefusedAsMalformed() {
        Map<String, Object> encrypt = Vectors.map(Vectors.load(DIR + "6.nesting_signatures_and_encryption.json")
                .get("encrypt"));

        assertThat(tokens.decode((String) output(encrypt).get("compact")).failure())
                .isEqualTo(DenialReason.MALFORMED_TOKEN);
    }

    @Test
    void onlyThePublicAsymmetricCookbookKeysAreLoaded() {
        KeyParser parser = new KeyParser(Fixture.crypto());
        Map<String, List<String>> problems = new LinkedHashMap<>();
        Map<String, Integer> loaded = new LinkedHashMap<>();
        for (String file : List.of("3_1.ec_public_key.json", "3_2.ec_private_key.json", "3_3.rsa_public_key.json",
                "3_4.rsa_private_key.json", "3_5.symmetric_key_mac_computation.json",
                "3_6.symmetric_key_encryption.json")) {
            KeyParser.Result r = parser.parse(JsonUtil.toJson(Vectors.load(DIR + "jwk/" + file)), null, "k");
            loaded.put(file, r.keys().size());
            problems.put(file, r.problems());
        }
        assertThat(loaded).containsExactly(Map.entry("3_1.ec_public_key.json", 1),
                Map.entry("3_2.ec_private_key.json", 0), Map.entry("3_3.rsa_public_key.json", 1),
                Map.entry("3_4.rsa_private_key.json", 0), Map.entry("3_5.symmetric_key_mac_computation.json", 0),
                Map.entry("3_6.symmetric_key_encryption.json", 0));
        assertThat(problems.get("3_2.ec_private_key.json")).singleElement().asString().contains("private key material");
        assertThat(problems.get("3_4.rsa_private_key.json")).singleElement().asString().contains("private key material");
        assertThat(problems.get("3_5.symmetric_key_mac_computation.json")).singleElement().asString()
                .contains("symmetric");
        assertThat(problems.get("3_6.symmetric_key_encryption.json")).singleElement().asString()
                .contains("symmetric");
    }

    private static Map<String, Object> output(Map<String, Object> vector) {
        return Vectors.map(vector.get("output"));
    }

    /** {@code input.key}: a JWK, or (§4.8) a list of them, returned as a JWK or JWKS. */
    private static Map<String, Object> key(Map<String, Object> vector) {
        Object key = Vectors.map(vector.get("input")).get("key");
        return key instanceof List<?> list ? Map.of("keys", list) : Vectors.map(key);
    }

    /** The example's key(s) reduced to their public parts, as a JWKS. */
    private static Map<String, Object> publicKeyOf(Map<String, Object> vector) {
        List<Map<String, Object>> pub = new ArrayList<>();
        for (Map<String, Object> jwk : Vectors.jwks(key(vector))) {
            pub.add(Vectors.publicPart(jwk));
        }
        return Map.of("keys", pub);
    }

    /** The same token with one bit of its signature's first byte flipped (still canonical base64url). */
    private static String withFlippedSignatureBit(String compact) {
        int at = compact.lastIndexOf('.') + 1;
        char c = compact.charAt(at);
        char flipped = c == 'A' ? 'Q' : 'A'; // changes the top bits of the first signature byte
        return compact.substring(0, at) + flipped + compact.substring(at + 1);
    }
}
