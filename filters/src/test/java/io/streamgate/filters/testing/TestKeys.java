package io.streamgate.filters.testing;

import java.security.KeyPair;
import java.security.PublicKey;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import org.jose4j.json.JsonUtil;
import org.jose4j.jwk.PublicJsonWebKey;

import io.streamgate.filters.crypto.JwsAlgorithm;

/**
 * Key pairs generated for tests (never committed anywhere), with PEM and JWK forms.
 * Generated once per JVM per name.
 */
public final class TestKeys {
    private static final Map<String, TestKeys> CACHE = new java.util.concurrent.ConcurrentHashMap<>();

    private final String kid;
    private final JwsAlgorithm alg;
    private final KeyPair pair;

    private TestKeys(String kid, JwsAlgorithm alg, KeyPair pair) {
        this.kid = kid;
        this.alg = alg;
        this.pair = pair;
    }

    /** An ES256 (P-256) key named {@code kid}. */
    public static TestKeys es256(String kid) {
        return of(kid, JwsAlgorithm.ES256);
    }

    public static TestKeys rs256(String kid) {
        return of(kid, JwsAlgorithm.RS256);
    }

    public static TestKeys eddsa(String kid) {
        return of(kid, JwsAlgorithm.EdDSA);
    }

    /** A key of the type {@code alg} needs; the same kid and alg give the same key within a JVM. */
    public static TestKeys of(String kid, JwsAlgorithm alg) {
        return CACHE.computeIfAbsent(kid + "/" + alg.keyType(), k -> new TestKeys(kid, alg, generate(alg)));
    }

    /** A fresh key, never cached. */
    public static TestKeys fresh(String kid, JwsAlgorithm alg) {
        return new TestKeys(kid, alg, generate(alg));
    }

    private static KeyPair generate(JwsAlgorithm alg) {
        return io.streamgate.filters.crypto.KeyPairs.generate(alg);
    }

    public String kid() {
        return kid;
    }

    public JwsAlgorithm alg() {
        return alg;
    }

    public KeyPair pair() {
        return pair;
    }

    public PublicKey publicKey() {
        return pair.getPublic();
    }

    /** SubjectPublicKeyInfo PEM. */
    public String publicPem() {
        return pem("PUBLIC KEY", pair.getPublic().getEncoded());
    }

    /** PKCS#8 PEM. */
    public String privatePem() {
        return pem("PRIVATE KEY", pair.getPrivate().getEncoded());
    }

    /** The public JWK as a map, with kid, use=sig and alg. */
    public Map<String, Object> jwk() {
        try {
            PublicJsonWebKey jwk = PublicJsonWebKey.Factory.newPublicJwk(pair.getPublic());
            Map<String, Object> m = new LinkedHashMap<>(jwk.toParams(org.jose4j.jwk.JsonWebKey.OutputControlLevel.PUBLIC_ONLY));
            m.put("kid", kid);
            m.put("use", "sig");
            m.put("alg", alg.jwaName());
            return m;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A JWKS JSON document holding the given keys. */
    public static String jwks(TestKeys... keys) {
        java.util.List<Object> list = new java.util.ArrayList<>();
        for (TestKeys k : keys) {
            list.add(k.jwk());
        }
        return JsonUtil.toJson(Map.of("keys", list));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
