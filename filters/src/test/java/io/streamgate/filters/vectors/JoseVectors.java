package io.streamgate.filters.vectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.jose4j.json.JsonUtil;
import org.junit.jupiter.api.DynamicNode;

import io.streamgate.filters.core.DenialReason;
import io.streamgate.filters.crypto.CryptoProvider;
import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.crypto.SignatureVerifier;
import io.streamgate.filters.keys.KeyParser;
import io.streamgate.filters.verify.TokenVerifier;

/**
 * Runs a Wycheproof JOSE file ({@code json_web_*}) through the gateway's token path, once per
 * shipped provider. Each group's key (its {@code public} JWK or JWKS, else its {@code private}
 * one) is loaded by {@link Vectors#loadKeys}; each whole token goes through
 * {@link TokenVerifier#decode}, the registry's lookup by kid and alg, and
 * {@link TokenVerifier#verify} ({@link Vectors#gatewayPath}).
 *
 * <p>Two documented policy differences are asserted as such, not skipped:
 * <ul>
 *   <li>A group whose keys are all symmetric ({@code kty: oct}): StreamGate never verifies a
 *       MAC — the contract's {@code verify.algorithms} says "{@code none} never; HS* never with
 *       public keys", and the gateway holds public keys only. Its key parser refuses such keys
 *       and its decoder refuses every HS* and {@code none} token, so every token of the group is
 *       rejected at decode, including the ones labelled valid for a MAC verifier.</li>
 *   <li>A JWE ({@code jwe} instead of {@code jws}): StreamGate takes compact JWS only and never
 *       decrypts, so every JWE — five parts, or JSON — is rejected at decode as malformed.</li>
 *   <li>A compact JWS with an empty payload ({@code header..signature}): RFC 7515 allows it, and
 *       it is also the shape of a detached-content JWS (RFC 7515 Appendix F). An empty payload is
 *       never a JWT claims set, and the decoder requires three non-empty parts, so the gateway
 *       refuses it at decode as malformed, before any signature check.</li>
 * </ul>
 */
final class JoseVectors {
    private JoseVectors() {
    }

    /**
     * @param quirks tcIds whose labels are known to be wrong upstream, each with why; these are
     *               visibly skipped, and nothing else is
     */
    static List<DynamicNode> run(String file, Map<Long, String> quirks) {
        Map<String, Object> vectors = Vectors.load(file);
        List<DynamicNode> perProvider = new ArrayList<>();
        for (CryptoProvider provider : Vectors.SHIPPED) {
            SignatureVerifier verifier = Vectors.verifier(provider);
            if (verifier == null) {
                perProvider.add(Vectors.skipped(provider + ": cannot load",
                        provider + " cannot load on this platform (SignatureVerifier.only returned null)"));
                continue;
            }
            TokenVerifier tokens = new TokenVerifier(Vectors.ALL_ALGORITHMS, verifier);
            List<DynamicNode> groups = new ArrayList<>();
            for (Map<String, Object> group : Vectors.list(vectors, "testGroups")) {
                groups.add(group(provider, verifier, tokens, group, quirks));
            }
            perProvider.add(dynamicContainer(provider + " " + Vectors.shortName(file), groups));
        }
        return perProvider;
    }

    /** {@code header..signature}: three parts, the middle one empty. */
    static boolean emptyPayload(String token) {
        String[] parts = token.split("\\.", -1);
        return parts.length == 3 && parts[1].isEmpty() && !parts[0].isEmpty() && !parts[2].isEmpty();
    }

    private static DynamicNode group(CryptoProvider provider, SignatureVerifier verifier, TokenVerifier tokens,
                                     Map<String, Object> group, Map<Long, String> quirks) {
        Map<String, Object> keySet = Vectors.map(group.containsKey("public") ? group.get("public")
                : group.get("private"));
        List<Map<String, Object>> tests = Vectors.list(group, "tests");
        String groupName = provider + " " + group.get("comment") + " tc" + Vectors.tcId(tests.get(0))
                + (tests.size() > 1 ? "-" + Vectors.tcId(tests.get(tests.size() - 1)) : "");
        boolean symmetric = keySet != null && Vectors.symmetricOnly(keySet);
        Vectors.LoadedKeys keys = symmetric ? null
                : Vectors.loadKeys(keySet != null ? keySet : Map.of("keys", List.of()), verifier);

        List<DynamicNode> nodes = new ArrayList<>();
        if (symmetric) {
            nodes.add(dynamicTest(groupName + ": the symmetric key is refused", () -> {
                for (Map<String, Object> jwk : Vectors.jwks(keySet)) {
                    KeyParser.Result r = new KeyParser(verifier).parse(JsonUtil.toJson(jwk), null, "k");
                    assertThat(r.keys()).as("an oct key must never become a verification key").isEmpty();
                    assertThat(r.problems()).anyMatch(p -> p.contains("symmetric"));
                }
            }));
        }
        for (Map<String, Object> test : tests) {
            long tcId = Vectors.tcId(test);
            String label = Vectors.result(test);
            boolean jwe = test.containsKey("jwe");
            String token = Vectors.token(jwe ? test.get("jwe") : test.get("jws"));
            String name = provider + " " + Vectors.headerAlg(token) + " " + tcId + " " + test.get("comment")
                    + " [" + label + "]";
            if (quirks.containsKey(tcId)) {
                nodes.add(Vectors.skipped(name, "upstream data quirk: " + quirks.get(tcId)));
            } else if (jwe) {
                nodes.add(dynamicTest(name + " -> rejected: JWE is never accepted", () ->
                        assertThat(tokens.decode(token).failure())
                                .as("tcId %d: a JWE must be refused at decode", tcId)
                                .isEqualTo(DenialReason.MALFORMED_TOKEN)));
            } else if (symmetric) {
                nodes.add(dynamicTest(name + " -> rejected: no MAC is ever verified", () ->
                        assertThat(tokens.decode(token).failure())
                                .as("tcId %d: with a symmetric key only, the token must be refused at decode", tcId)
                                .isIn(DenialReason.UNSUPPORTED_ALGORITHM, DenialReason.MALFORMED_TOKEN)));
            } else if (emptyPayload(token)) {
                nodes.add(dynamicTest(name + " -> rejected: an empty payload is never a JWT", () ->
                        assertThat(tokens.decode(token).failure())
                                .as("tcId %d: a JWS with an empty payload must be refused at decode", tcId)
                                .isEqualTo(DenialReason.MALFORMED_TOKEN)));
            } else {
                JwsAlgorithm alg = JwsAlgorithm.fromJwaName(Vectors.headerAlg(token));
                if (alg != null && !verifier.supports(alg)) {
                    nodes.add(Vectors.skipped(name, provider + " does not verify " + alg.jwaName() + " here"));
                    continue;
                }
                nodes.add(dynamicTest(name, () -> {
                    Vectors.Outcome outcome = Vectors.gatewayPath(tokens, keys.registry(), token);
                    String why = String.format("%s tcId %d [%s]: %s; key problems %s", provider, tcId, label, outcome,
                            keys.problems());
                    switch (label) {
                        case "valid" -> assertThat(outcome.accepted()).as(why).isTrue();
                        case "invalid" -> assertThat(outcome.accepted()).as(why).isFalse();
                        default -> throw new AssertionError("tcId " + tcId + ": unexpected result " + label);
                    }
                }));
            }
        }
        return dynamicContainer(groupName, nodes);
    }
}
