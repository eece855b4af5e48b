package io.streamgate.gateway.cli;

import java.nio.file.Path;
import java.security.PrivateKey;

import io.streamgate.filters.core.ConfigException;
import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.crypto.KeyPairs;

/** PEM reading and writing for keygen and mint, with errors naming the option. */
final class KeyFiles {
    private KeyFiles() {
    }

    static String pem(String type, byte[] der) {
        return KeyPairs.pem(type, der);
    }

    /** Reads a PKCS#8 private key of any supported type. */
    static PrivateKey readPrivateKey(Path file) {
        String text = io.streamgate.gateway.config.ConfigFiles.read(file, "--key");
        try {
            return KeyPairs.readPrivateKeyPem(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("--key", file + ": " + e.getMessage());
        }
    }

    /** The natural JWS algorithm of a private key. */
    static JwsAlgorithm defaultAlgorithm(PrivateKey key) {
        return KeyPairs.defaultAlgorithm(key);
    }
}
