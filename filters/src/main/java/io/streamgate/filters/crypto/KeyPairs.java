package io.streamgate.filters.crypto;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;

/** Key pairs for each algorithm family, from the JDK's default providers (keygen, demo, self-tests). */
public final class KeyPairs {
    private KeyPairs() {
    }

    /** A fresh pair fitting {@code alg}: P-256/384/521, RSA-2048 or Ed25519. */
    public static KeyPair generate(JwsAlgorithm alg) {
        return generate(alg.keyType());
    }

    public static KeyPair generate(JwsAlgorithm.KeyType type) {
        try {
            KeyPairGenerator g;
            switch (type) {
                case RSA -> {
                    g = KeyPairGenerator.getInstance("RSA");
                    g.initialize(2048);
                }
                case EC_P256 -> g = ec("secp256r1");
                case EC_P384 -> g = ec("secp384r1");
                case EC_P521 -> g = ec("secp521r1");
                default -> g = KeyPairGenerator.getInstance("Ed25519");
            }
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate a " + type + " key pair", e);
        }
    }

    /** PEM text of DER bytes, e.g. {@code pem("PUBLIC KEY", key.getEncoded())}. */
    public static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + java.util.Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    /**
     * Reads a PKCS#8 PEM private key of any supported type (EC, RSA, Ed25519, Ed448).
     *
     * @throws IllegalArgumentException with a message fit for a user when it is not one
     */
    public static java.security.PrivateKey readPrivateKeyPem(String text) {
        int begin = text.indexOf("-----BEGIN PRIVATE KEY-----");
        int end = text.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("not a PKCS#8 PEM private key (BEGIN PRIVATE KEY)");
        }
        byte[] der;
        try {
            der = java.util.Base64.getMimeDecoder().decode(text.substring(begin + 27, end));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad base64 in the PEM body");
        }
        for (String type : new String[] {"EC", "RSA", "Ed25519", "Ed448"}) {
            try {
                return java.security.KeyFactory.getInstance(type)
                        .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // try the next type
            }
        }
        throw new IllegalArgumentException("unsupported private key type");
    }

    /** The natural JWS algorithm of a private key: ES256/384/512 by curve, RS256, or EdDSA. */
    public static JwsAlgorithm defaultAlgorithm(java.security.PrivateKey key) {
        if (key instanceof java.security.interfaces.RSAPrivateKey) {
            return JwsAlgorithm.RS256;
        }
        if (key instanceof java.security.interfaces.ECPrivateKey ec) {
            return switch (ec.getParams().getCurve().getField().getFieldSize()) {
                case 384 -> JwsAlgorithm.ES384;
                case 521 -> JwsAlgorithm.ES512;
                default -> JwsAlgorithm.ES256;
            };
        }
        return JwsAlgorithm.EdDSA;
    }

    private static KeyPairGenerator ec(String curve) throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec(curve));
        return g;
    }
}
