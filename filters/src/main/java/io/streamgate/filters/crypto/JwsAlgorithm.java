package io.streamgate.filters.crypto;

import java.util.Locale;

/**
 * The asymmetric JWS algorithms StreamGate can verify. There is deliberately no {@code none}
 * and no HMAC: a gateway holding only public keys must never accept a MAC, since the "secret"
 * would be a public key anyone has (the RS256→HS256 confusion attack).
 */
public enum JwsAlgorithm {
    RS256(KeyType.RSA, "RS256"),
    RS384(KeyType.RSA, "RS384"),
    RS512(KeyType.RSA, "RS512"),
    PS256(KeyType.RSA, "PS256"),
    PS384(KeyType.RSA, "PS384"),
    PS512(KeyType.RSA, "PS512"),
    ES256(KeyType.EC_P256, "ES256"),
    ES384(KeyType.EC_P384, "ES384"),
    ES512(KeyType.EC_P521, "ES512"),
    EdDSA(KeyType.OKP, "EdDSA");

    /** The kind of public key an algorithm verifies with. */
    public enum KeyType { RSA, EC_P256, EC_P384, EC_P521, OKP }

    private static final JwsAlgorithm[] VALUES = values();

    private final KeyType keyType;
    private final String jwaName;

    JwsAlgorithm(KeyType keyType, String jwaName) {
        this.keyType = keyType;
        this.jwaName = jwaName;
    }

    public KeyType keyType() {
        return keyType;
    }

    /** The registered JWA name, exactly as it must appear in a token's {@code alg}. */
    public String jwaName() {
        return jwaName;
    }

    /**
     * Exact, case-sensitive lookup of a header's {@code alg} (RFC 7515 §4.1.1: the value is
     * case-sensitive, so {@code "es256"} or {@code "None"} are not algorithms). Returns null
     * for anything that is not one of ours, {@code none} and {@code HS*} included.
     */
    public static JwsAlgorithm fromJwaName(String name) {
        if (name == null) {
            return null;
        }
        for (JwsAlgorithm a : VALUES) {
            if (a.jwaName.equals(name)) {
                return a;
            }
        }
        return null;
    }

    /** Config lookup: case-insensitive, for operators' convenience. */
    public static JwsAlgorithm fromConfigName(String name) {
        for (JwsAlgorithm a : VALUES) {
            if (a.jwaName.toUpperCase(Locale.ROOT).equals(name.toUpperCase(Locale.ROOT))) {
                return a;
            }
        }
        return null;
    }
}
