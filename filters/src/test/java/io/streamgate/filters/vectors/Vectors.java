package io.streamgate.filters.vectors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.jose4j.json.JsonUtil;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;

import io.streamgate.filters.core.DenialReason;
import io.streamgate.filters.crypto.CryptoProvider;
import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.crypto.SignatureVerifier;
import io.streamgate.filters.keys.KeyParser;
import io.streamgate.filters.keys.KeyRegistry;
import io.streamgate.filters.keys.VerificationKey;
import io.streamgate.filters.testing.TestData;
import io.streamgate.filters.verify.DecodedToken;
import io.streamgate.filters.verify.TokenVerifier;
import io.streamgate.filters.verify.Verification;
import io.streamgate.filters.verify.VerifyPolicy;

/**
 * Shared plumbing for the public test vectors: reading the JSON files (with jose4j's parser:
 * objects are {@code Map}, arrays {@code List}, integers {@code Long}), one verifier per
 * shipped crypto provider, key loading, and the gateway's own token path.
 */
final class Vectors {
    /** The providers StreamGate ships; each must agree with every Wycheproof verdict. */
    static final List<CryptoProvider> SHIPPED =
            List.of(CryptoProvider.CONSCRYPT, CryptoProvider.BOUNCYCASTLE, CryptoProvider.JDK);

    /** Every algorithm allowed, so that the vectors reach the signature check whatever their alg. */
    static final VerifyPolicy ALL_ALGORITHMS = VerifyPolicy.builder()
            .algorithms(EnumSet.allOf(JwsAlgorithm.class)).build();

    /** JWK members that carry private or symmetric key material. */
    private static final Set<String> PRIVATE_MEMBERS = Set.of("d", "p", "q", "dp", "dq", "qi", "oth", "k");

    private static final Map<CryptoProvider, SignatureVerifier> VERIFIERS = new EnumMap<>(CryptoProvider.class);

    private Vectors() {
    }

    /** A JSON vector file below the test resources' {@code testdata/} (see {@link io.streamgate.filters.testing.TestData}). */
    static Map<String, Object> load(String relative) {
        try {
            return JsonUtil.parseJson(Files.readString(TestData.file(relative), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (org.jose4j.lang.JoseException e) {
            throw new IllegalStateException(relative + " is not valid JSON", e);
        }
    }

    /** Exactly {@link SignatureVerifier#only}: null when the provider cannot load on this machine. */
    static synchronized SignatureVerifier verifier(CryptoProvider provider) {
        if (!VERIFIERS.containsKey(provider)) {
            VERIFIERS.put(provider, SignatureVerifier.only(provider));
        }
        return VERIFIERS.get(provider);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Map<String, Object> m, String name) {
        Object v = m.get(name);
        return v == null ? List.of() : (List<Map<String, Object>>) v;
    }

    static long tcId(Map<String, Object> test) {
        return ((Number) test.get("tcId")).longValue();
    }

    /** "valid", "invalid" or "acceptable". */
    static String result(Map<String, Object> test) {
        return (String) test.get("result");
    }

    static byte[] hex(String s) {
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
    }

    /** A test that is visibly skipped (aborted) with its reason. */
    static DynamicTest skipped(String name, String reason) {
        return DynamicTest.dynamicTest(name, () -> Assumptions.abort(reason));
    }

    /**
     * A token as a string: compact strings as they are; a JSON serialization (given as a JSON
     * object in some vectors) as its JSON text, which is what a client would send.
     */
    static String token(Object jwsOrJwe) {
        return jwsOrJwe instanceof String s ? s : JsonUtil.toJson(map(jwsOrJwe));
    }

    /** The JWKs of a JWK or JWKS object. */
    static List<Map<String, Object>> jwks(Map<String, Object> jwkOrJwks) {
        return jwkOrJwks.containsKey("keys") ? list(jwkOrJwks, "keys") : List.of(jwkOrJwks);
    }

    /** True when every JWK of a JWK or JWKS is a symmetric ({@code oct}) key. */
    static boolean symmetricOnly(Map<String, Object> jwkOrJwks) {
        List<Map<String, Object>> keys = jwks(jwkOrJwks);
        return !keys.isEmpty() && keys.stream().allMatch(k -> "oct".equals(k.get("kty")));
    }

    /** A JWK without its private members (RFC 7520's keys are given with them). */
    static Map<String, Object> publicPart(Map<String, Object> jwk) {
        Map<String, Object> pub = new LinkedHashMap<>(jwk);
        pub.keySet().removeAll(PRIVATE_MEMBERS);
        return pub;
    }

    /** The keys of a key set as the gateway loads them, and the problems it names for the rest. */
    record LoadedKeys(KeyRegistry registry, List<String> problems) {
        boolean anyKey() {
            return registry.size() > 0;
        }
    }

    /**
     * Loads each JWK of a JWK or JWKS through the gateway's {@link KeyParser}; the ones it
     * accepts go into a {@link KeyRegistry} (as a remote JWKS keeps its usable keys), the others
     * are listed with the parser's problem. The lookup is then the registry's own, by kid and alg.
     */
    static LoadedKeys loadKeys(Map<String, Object> jwkOrJwks, SignatureVerifier verifier) {
        KeyParser parser = new KeyParser(verifier);
        KeyRegistry.Builder b = KeyRegistry.builder(verifier);
        List<String> problems = new ArrayList<>();
        List<Map<String, Object>> keys = jwks(jwkOrJwks);
        for (int i = 0; i < keys.size(); i++) {
            String text = JsonUtil.toJson(keys.get(i));
            KeyParser.Result r = parser.parse(text, null, "keys[" + i + "]");
            if (r.problems().isEmpty() && !r.keys().isEmpty()) {
                b.addStatic(text, null, "keys[" + i + "]");
            } else {
                problems.addAll(r.problems());
            }
        }
        return new LoadedKeys(b.build(), problems);
    }

    /** What the gateway made of one token, with where it stopped. */
    record Outcome(boolean accepted, String detail) {
        @Override
        public String toString() {
            return (accepted ? "accepted" : "rejected") + " (" + detail + ")";
        }
    }

    /**
     * The gateway's path for one token up to and including the signature: decode (size, shape,
     * header), key lookup by kid and alg, signature. Accepted means the signature verified.
     * {@link TokenVerifier#verify} parses the payload only after a signature verified, so its
     * {@code malformed_token} there means "signature good, payload is not a JWT claims set" —
     * these vectors sign arbitrary bytes, which a JWS allows but a JWT gateway then refuses.
     */
    static Outcome gatewayPath(TokenVerifier tokens, KeyRegistry keys, String token) {
        DecodedToken decoded = tokens.decode(token);
        if (decoded.failure() != null) {
            return new Outcome(false, "decode: " + decoded.failure().code());
        }
        VerificationKey[] candidates = keys.find(decoded.kid(), decoded.algorithm());
        if (candidates.length == 0) {
            return new Outcome(false, "no key for this kid and " + decoded.algorithm().jwaName());
        }
        Verification v = tokens.verify(decoded, candidates);
        if (v.ok()) {
            return new Outcome(true, "signature and claims set ok");
        }
        if (v.failure() == DenialReason.MALFORMED_TOKEN) {
            return new Outcome(true, "signature ok; payload is not a JWT claims set");
        }
        return new Outcome(false, "verify: " + v.failure().code());
    }

    /** The {@code alg} of a compact token's header, or null when it has none or is not readable. */
    static String headerAlg(String token) {
        try {
            int dot = token.indexOf('.');
            String header = new String(Base64.getUrlDecoder().decode(dot < 0 ? token : token.substring(0, dot)),
                    StandardCharsets.UTF_8);
            return JsonUtil.parseJson(header).get("alg") instanceof String s ? s : null;
        } catch (Exception e) {
            return null;
        }
    }

    /** The shortest name a vector file is known by in test names. */
    static String shortName(String file) {
        return file.substring(file.lastIndexOf('/') + 1).replace("_test.json", "").replace(".json", "");
    }
}
