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

    private static KeyPairGenerator ec(String curve) throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec(curve));
        return g;
    }
}
