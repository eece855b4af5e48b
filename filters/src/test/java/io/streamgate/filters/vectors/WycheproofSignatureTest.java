package io.streamgate.filters.vectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

import io.streamgate.filters.crypto.CryptoProvider;
import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.crypto.SignatureVerifier;
import io.streamgate.filters.keys.KeyParser;
import io.streamgate.filters.keys.VerificationKey;

/**
 * Wycheproof's primitive signature vectors (message, signature, public key) through the
 * gateway's own verification path, once per shipped crypto provider: the group's key is read
 * by {@link KeyParser} from its SPKI PEM exactly as a configured key file is, and each
 * signature goes through {@link SignatureVerifier#verify} with the key's prepared form and
 * exact signature length. Every {@code valid} case must verify and every {@code invalid} one
 * must not; {@code acceptable} (only RSA PKCS#1 "MissingNull" here) may go either way and is
 * recorded. A group whose key the parser refuses may only hold invalid or acceptable cases.
 */
class WycheproofSignatureTest {
    private static final String DIR = "wycheproof/testvectors_v1/";

    /** The files and the JWS algorithm each one exercises (the PSS files use sLen 32 = PS256). */
    private static final List<Map.Entry<String, JwsAlgorithm>> FILES = List.of(
            Map.entry("ecdsa_secp256r1_sha256_p1363_test.json", JwsAlgorithm.ES256),
            Map.entry("rsa_signature_2048_sha256_test.json", JwsAlgorithm.RS256),
            Map.entry("rsa_signature_3072_sha256_test.json", JwsAlgorithm.RS256),
            Map.entry("rsa_signature_4096_sha256_test.json", JwsAlgorithm.RS256),
            Map.entry("rsa_pss_2048_sha256_mgf1_32_test.json", JwsAlgorithm.PS256),
            Map.entry("rsa_pss_3072_sha256_mgf1_32_test.json", JwsAlgorithm.PS256),
            Map.entry("rsa_pss_4096_sha256_mgf1_32_test.json", JwsAlgorithm.PS256),
            Map.entry("ed25519_test.json", JwsAlgorithm.EdDSA),
            Map.entry("ed448_test.json", JwsAlgorithm.EdDSA));

    /** Verdicts on "acceptable" cases, "provider alg tcId" -> accepted?, reported after the run. */
    private static final Map<String, Boolean> ACCEPTABLE = new ConcurrentSkipListMap<>();

    @TestFactory
    List<DynamicNode> everyWycheproofVerdictMatchesItsLabelWithEveryShippedProvider() {
        List<DynamicNode> perProvider = new ArrayList<>();
        for (CryptoProvider provider : Vectors.SHIPPED) {
            SignatureVerifier verifier = Vectors.verifier(provider);
            if (verifier == null) {
                perProvider.add(Vectors.skipped(provider + ": cannot load",
                        provider + " cannot load on this platform (SignatureVerifier.only returned null)"));
                continue;
            }
            List<DynamicNode> perFile = new ArrayList<>();
            for (Map.Entry<String, JwsAlgorithm> file : FILES) {
                perFile.add(fileTests(provider, verifier, file.getKey(), file.getValue()));
            }
            perProvider.add(dynamicContainer(provider.toString(), perFile));
        }
        return perProvider;
    }

    private static DynamicNode fileTests(CryptoProvider provider, SignatureVerifier verifier, String file,
                                         JwsAlgorithm alg) {
        String name = provider + " " + alg.jwaName() + " " + Vectors.shortName(file);
        if (!verifier.supports(alg)) {
            return Vectors.skipped(name, provider + " does not verify " + alg.jwaName()
                    + " here (its self-test for it failed or it lacks the algorithm)");
        }
        Map<String, Object> vectors = Vectors.load(DIR + file);
        KeyParser parser = new KeyParser(verifier);
        List<DynamicNode> tests = new ArrayList<>();
        for (Map<String, Object> group : Vectors.list(vectors, "testGroups")) {
            KeyParser.Result parsed = parser.parse((String) group.get("publicKeyPem"), "wycheproof", "wycheproof");
            VerificationKey key = parsed.keys().isEmpty() ? null : parsed.keys().get(0);
            boolean refused = key == null || !key.verifies(alg);
            for (Map<String, Object> test : Vectors.list(group, "tests")) {
                long tcId = Vectors.tcId(test);
                String label = Vectors.result(test);
                String testName = provider + " " + alg.jwaName() + " " + tcId + " " + test.get("comment")
                        + " [" + label + "]";
                if (refused) {
                    tests.add(dynamicTest(testName + " (key refused)", () -> assertThat(label)
                            .as("%s tcId %d: KeyParser refused the group's key (%s), so this case can never"
                                    + " verify; its label must not be valid", file, tcId, parsed.problems())
                            .isIn("invalid", "acceptable")));
                    continue;
                }
                byte[] msg = Vectors.hex((String) test.get("msg"));
                byte[] sig = Vectors.hex((String) test.get("sig"));
                tests.add(dynamicTest(testName, () -> {
                    boolean verified = verifier.verify(alg, key.preparedFor(alg), key.signatureLength(alg), msg, sig);
                    switch (label) {
                        case "valid" -> assertThat(verified)
                                .as("%s %s tcId %d (valid) must verify", provider, file, tcId).isTrue();
                        case "invalid" -> assertThat(verified)
                                .as("%s %s tcId %d (invalid) must not verify", provider, file, tcId).isFalse();
                        case "acceptable" -> ACCEPTABLE.put(provider + " " + file + " " + tcId, verified);
                        default -> throw new AssertionError("tcId " + tcId + ": unknown result " + label);
                    }
                }));
            }
        }
        return dynamicContainer(name, tests);
    }

    @AfterAll
    static void reportAcceptableVerdicts() {
        // Either verdict is allowed for these; the record shows what each provider does.
        ACCEPTABLE.forEach((k, v) -> System.out.println("wycheproof acceptable " + k + " -> "
                + (v ? "verified" : "rejected")));
    }
}
