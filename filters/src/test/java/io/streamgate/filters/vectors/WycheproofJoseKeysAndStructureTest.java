package io.streamgate.filters.vectors;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/**
 * Wycheproof's JWK/JWKS handling ({@code json_web_key_test.json}: mixed and duplicate key sets,
 * wrong {@code use}, weak RSA keys, keys whose {@code alg} does not fit) and structural cases
 * ({@code json_web_crypto_test.json}: missing or extra parts, {@code alg: none}, JSON
 * serialization, JWE) through the same gateway path as {@link WycheproofJwsTest}. Keys the
 * parser refuses never verify anything; see {@link JoseVectors} for the asserted policy
 * differences (no MAC, no JWE, no empty payload). No case in these files is skipped.
 */
class WycheproofJoseKeysAndStructureTest {
    @TestFactory
    List<DynamicNode> keySetsAreLoadedAndUsedAsLabelled() {
        return JoseVectors.run("wycheproof/testvectors_v1/json_web_key_test.json", Map.of());
    }

    @TestFactory
    List<DynamicNode> malformedAndNonJwsStructuresAreRejectedAsLabelled() {
        return JoseVectors.run("wycheproof/testvectors_v1/json_web_crypto_test.json", Map.of());
    }
}
