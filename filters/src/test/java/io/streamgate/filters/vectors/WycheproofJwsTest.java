package io.streamgate.filters.vectors;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jose4j.json.JsonUtil;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import io.streamgate.filters.crypto.CryptoProvider;
import io.streamgate.filters.crypto.SignatureVerifier;
import io.streamgate.filters.keys.KeyParser;
import io.streamgate.filters.verify.TokenVerifier;

/**
 * Wycheproof's whole compact JWS strings ({@code json_web_signature_test.json}) through the
 * gateway's decode → key lookup → verify path with every shipped provider; see {@link JoseVectors}
 * for the key handling and the two asserted policy differences (no MAC, no JWE).
 */
class WycheproofJwsTest {
    private static final String FILE = "wycheproof/testvectors_v1/json_web_signature_test.json";

    /**
     * The only skips: upstream labels the issue and the vector README name as wrong. Nothing
     * else in the file is skipped.
     */
    static final Map<Long, String> QUIRKS = quirks();

    private static Map<Long, String> quirks() {
        Map<Long, String> q = new LinkedHashMap<>();
        // 357, 367 and 370 carry the same jws string, labelled valid once and invalid twice
        // (C2SP/wycheproof issue #236): no verdict can match all three labels.
        String sameJws = "tcIds 357, 367 and 370 are the same jws with contradictory labels (C2SP/wycheproof#236)";
        q.put(357L, sameJws);
        q.put(367L, sameJws);
        q.put(370L, sameJws);
        // RFC 7515 §2 and §5.2: each part is base64url without other characters; a literal '?'
        // makes the token malformed, whatever the label says.
        q.put(372L, "labelled valid, but its header holds a '?', which a JWS cannot contain (RFC 7515 §2)");
        q.put(373L, "labelled valid, but its payload holds a '?', which a JWS cannot contain (RFC 7515 §2)");
        // RFC 7520 figures 20 and 27 as copied into Wycheproof: the key's alg does not name the
        // token's alg (PS256 key, PS384 token; "ES521" is no JWA name, the token is ES512). A
        // verifier that binds the token's alg to the key's, as StreamGate does, must reject them;
        // see rfc7520Figures20And27AreRejectedOnlyBecauseTheirKeyAlgIsWrong.
        String fig20 = "RFC 7520 figure 20: the key says alg PS256 but the token is PS384";
        String fig27 = "RFC 7520 figure 27: the key says alg \"ES521\" (not a JWA name) but the token is ES512";
        q.put(346L, fig20);
        q.put(350L, fig20);
        q.put(347L, fig27);
        q.put(351L, fig27);
        return Map.copyOf(q);
    }

    @TestFactory
    List<DynamicNode> everyCompactJwsIsDecidedAsLabelledWithEveryShippedProvider() {
        return JoseVectors.run(FILE, QUIRKS);
    }

    /**
     * What StreamGate does with the figure 20 and 27 cases skipped above: their signatures are
     * good (they verify once the wrong key alg is dropped), and the gateway refuses them only
     * because the key's alg does not allow the token's alg.
     */
    @Test
    void rfc7520Figures20And27AreRejectedOnlyBecauseTheirKeyAlgIsWrong() {
        SignatureVerifier verifier = Vectors.verifier(CryptoProvider.JDK);
        TokenVerifier tokens = new TokenVerifier(Vectors.ALL_ALGORITHMS, verifier);
        Map<Long, Map<String, Object>> groups = new LinkedHashMap<>();
        Map<Long, String> jws = new LinkedHashMap<>();
        for (Map<String, Object> group : Vectors.list(Vectors.load(FILE), "testGroups")) {
            for (Map<String, Object> test : Vectors.list(group, "tests")) {
                groups.put(Vectors.tcId(test), Vectors.map(group.get("public")));
                jws.put(Vectors.tcId(test), (String) test.get("jws"));
            }
        }

        for (long figure20 : new long[] {346, 350}) {
            Vectors.LoadedKeys asGiven = Vectors.loadKeys(groups.get(figure20), verifier);
            assertThat(asGiven.anyKey()).isTrue();
            assertThat(Vectors.gatewayPath(tokens, asGiven.registry(), jws.get(figure20)))
                    .hasToString("rejected (no key for this kid and PS384)");
        }
        for (long figure27 : new long[] {347, 351}) {
            KeyParser.Result asGiven = new KeyParser(verifier)
                    .parse(JsonUtil.toJson(groups.get(figure27)), null, "k");
            assertThat(asGiven.keys()).isEmpty();
            assertThat(asGiven.problems()).containsExactly("jwk: alg \"ES521\" does not fit this key");
        }
        for (long tcId : new long[] {346, 347, 350, 351}) {
            Map<String, Object> withoutAlg = new LinkedHashMap<>(groups.get(tcId));
            withoutAlg.remove("alg");
            Vectors.LoadedKeys keys = Vectors.loadKeys(withoutAlg, verifier);
            assertThat(Vectors.gatewayPath(tokens, keys.registry(), jws.get(tcId)))
                    .as("tcId %d with the key's alg dropped", tcId)
                    .hasToString("accepted (signature ok; payload is not a JWT claims set)");
        }
    }
}
