package io.streamgate.filters.keys;

import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.jose4j.json.JsonUtil;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.PublicJsonWebKey;

import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.crypto.KeyFit;
import io.streamgate.filters.crypto.SignatureVerifier;

/**
 * Reads public keys from text: a PEM {@code PUBLIC KEY} (SubjectPublicKeyInfo), a JWK, or a
 * JWKS ({@code {"keys": [...]}}). Keys StreamGate must not use are refused, each with a
 * problem line: symmetric keys (a MAC "secret" would be public), RSA below 2048 bits, with a
 * bad exponent or with the ROCA fingerprint (CVE-2017-15361), curves other than P-256/384/521
 * and Ed25519/Ed448, JWKs whose {@code use} is not {@code sig} or whose {@code key_ops} lack
 * {@code verify} (jose4j does not check these itself), private key material, and a JWK
 * {@code alg} that does not fit the key.
 */
public final class KeyParser {
    /** Keys and the problems met while reading them. */
    public record Result(List<VerificationKey> keys, List<String> problems) {
    }

    private final SignatureVerifier verifier;

    public KeyParser(SignatureVerifier verifier) {
        this.verifier = verifier;
    }

    /**
     * @param configuredKid the kid the config gives (required for PEM; for JWK/JWKS it selects
     *                      or names keys), may be null
     * @param source        the config key path of this source, used in problems and metrics
     */
    public Result parse(String text, String configuredKid, String source) {
        List<VerificationKey> keys = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        String trimmed = text.strip();
        if (trimmed.startsWith("-----BEGIN")) {
            parsePem(trimmed, configuredKid, source, keys, problems);
        } else if (trimmed.startsWith("{")) {
            Map<String, Object> json;
            try {
                json = JsonUtil.parseJson(trimmed);
            } catch (Exception e) {
                problems.add("not valid JSON");
                return new Result(keys, problems);
            }
            Object list = json.get("keys");
            if (list instanceof List<?> jwks) {
                for (int i = 0; i < jwks.size(); i++) {
                    Object jwk = jwks.get(i);
                    if (!(jwk instanceof Map)) {
                        problems.add("keys[" + i + "]: not a JSON object");
                        continue;
                    }
                    @SuppressWarnings("unchecked")
                    Map<String, Object> m = (Map<String, Object>) jwk;
                    Object kid = m.get("kid");
                    if (configuredKid != null && !configuredKid.equals(kid)) {
                        continue;
                    }
                    parseJwk(m, null, source, "keys[" + i + "]", keys, problems);
                }
            } else if (json.containsKey("keys")) {
                problems.add("\"keys\" is not an array");
            } else {
                parseJwk(json, configuredKid, source, "jwk", keys, problems);
            }
        } else {
            problems.add("neither a PEM public key nor JWK/JWKS JSON");
        }
        return new Result(keys, problems);
    }

    private void parsePem(String pem, String kid, String source, List<VerificationKey> keys, List<String> problems) {
        if (!pem.startsWith("-----BEGIN PUBLIC KEY-----")) {
            problems.add(pem.contains("PRIVATE KEY") ? "holds a private key; give the public key"
                    : "only \"-----BEGIN PUBLIC KEY-----\" (SubjectPublicKeyInfo) PEM is supported");
            return;
        }
        int end = pem.indexOf("-----END PUBLIC KEY-----");
        if (end < 0) {
            problems.add("PEM has no END PUBLIC KEY line");
            return;
        }
        byte[] der;
        try {
            String body = pem.substring("-----BEGIN PUBLIC KEY-----".length(), end).replaceAll("\\s", "");
            der = Base64.getDecoder().decode(body);
        } catch (IllegalArgumentException e) {
            problems.add("PEM body is not base64");
            return;
        }
        PublicKey key = decodeSpki(der);
        if (key == null) {
            problems.add("PEM is not an RSA, EC or Ed25519/Ed448 public key");
            return;
        }
        add(kid, source, key, null, "pem", keys, problems);
    }

    /** Decodes a DER SubjectPublicKeyInfo of any supported type, or returns null. */
    public static PublicKey decodeSpki(byte[] der) {
        for (String type : new String[] {"EC", "RSA", "Ed25519", "Ed448"}) {
            try {
                return KeyFactory.getInstance(type).generatePublic(new X509EncodedKeySpec(der));
            } catch (Exception e) {
                // try the next type
            }
        }
        return null;
    }

    private void parseJwk(Map<String, Object> m, String configuredKid, String source, String where,
                          List<VerificationKey> keys, List<String> problems) {
        Object kty = m.get("kty");
        if ("oct".equals(kty)) {
            problems.add(where + ": symmetric (oct) keys are never used");
            return;
        }
        if (m.containsKey("d") || m.containsKey("p") || m.containsKey("q")) {
            problems.add(where + ": holds private key material; publish only the public key");
            return;
        }
        Object use = m.get("use");
        if (use != null && !"sig".equals(use)) {
            problems.add(where + ": use is \"" + use + "\", not \"sig\"");
            return;
        }
        Object ops = m.get("key_ops");
        if (ops != null && !(ops instanceof List<?> l && l.contains("verify"))) {
            problems.add(where + ": key_ops does not include \"verify\"");
            return;
        }
        Object kidValue = m.get("kid");
        if (kidValue != null && !(kidValue instanceof String)) {
            problems.add(where + ": kid is not a string");
            return;
        }
        PublicKey key;
        try {
            JsonWebKey jwk = JsonWebKey.Factory.newJwk(m);
            if (!(jwk instanceof PublicJsonWebKey pub) || pub.getPublicKey() == null) {
                problems.add(where + ": not a public key (kty " + kty + ")");
                return;
            }
            key = pub.getPublicKey();
        } catch (Exception e) {
            problems.add(where + ": unusable key (kty " + kty + ")");
            return;
        }
        Object alg = m.get("alg");
        if (alg != null && !(alg instanceof String)) {
            problems.add(where + ": alg is not a string");
            return;
        }
        String kid = configuredKid != null ? configuredKid : (String) kidValue;
        add(kid, source, key, (String) alg, where, keys, problems);
    }

    private void add(String kid, String source, PublicKey key, String jwkAlg, String where,
                     List<VerificationKey> keys, List<String> problems) {
        if (key instanceof RSAPublicKey rsa) {
            if (rsa.getModulus().bitLength() < KeyFit.MIN_RSA_BITS) {
                problems.add(where + ": RSA key has " + rsa.getModulus().bitLength() + " bits; at least "
                        + KeyFit.MIN_RSA_BITS + " are required");
                return;
            }
            BigInteger e = rsa.getPublicExponent();
            if (e.compareTo(BigInteger.valueOf(3)) < 0 || !e.testBit(0)) {
                problems.add(where + ": RSA public exponent is invalid");
                return;
            }
            if (hasRocaFingerprint(rsa.getModulus())) {
                problems.add(where + ": RSA key was made by a generator with the ROCA flaw (CVE-2017-15361)"
                        + " and can be factored; replace it");
                return;
            }
        }
        JwsAlgorithm.KeyType type = KeyFit.keyType(key);
        if (type == null) {
            problems.add(where + ": unsupported key type or curve");
            return;
        }
        Set<JwsAlgorithm> algs = EnumSet.noneOf(JwsAlgorithm.class);
        for (JwsAlgorithm a : JwsAlgorithm.values()) {
            if (a.keyType() == type) {
                algs.add(a);
            }
        }
        if (jwkAlg != null) {
            JwsAlgorithm a = JwsAlgorithm.fromJwaName(jwkAlg);
            if (a == null || !algs.contains(a)) {
                problems.add(where + ": alg \"" + jwkAlg + "\" does not fit this key");
                return;
            }
            algs = EnumSet.of(a);
        }
        keys.add(new VerificationKey(kid, source, key, algs, verifier));
    }

    /** The small primes of the ROCA fingerprint (Nemec et al., CCS 2017). */
    private static final int[] ROCA_PRIMES = {3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67,
        71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167};

    /**
     * True for a modulus from Infineon's flawed RSA generator (ROCA, CVE-2017-15361): such a
     * modulus lies, for every prime p above, in the subgroup generated by 65537 mod p. A random
     * modulus does so with negligible probability.
     */
    static boolean hasRocaFingerprint(BigInteger modulus) {
        for (int p : ROCA_PRIMES) {
            int residue = modulus.mod(BigInteger.valueOf(p)).intValue();
            int generator = 65537 % p;
            boolean inSubgroup = false;
            int x = 1;
            for (int i = 0; i < p - 1 && !inSubgroup; i++) {
                inSubgroup = x == residue;
                x = x * generator % p;
            }
            if (!inSubgroup) {
                return false;
            }
        }
        return true;
    }

    /** Reads a file's text as UTF-8 (convenience for static key files). */
    public Result parse(byte[] content, String configuredKid, String source) {
        return parse(new String(content, StandardCharsets.UTF_8), configuredKid, source);
    }
}
