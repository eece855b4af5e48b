package io.streamgate.gateway.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

import io.streamgate.filters.ConfigException;
import io.streamgate.filters.crypto.JwsAlgorithm;

/** PEM reading and writing for keygen and mint. */
final class KeyFiles {
    private KeyFiles() {
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    /** Reads a PKCS#8 private key of any supported type. */
    static PrivateKey readPrivateKey(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (Exception e) {
            throw new ConfigException("--key", "cannot read " + file + ": " + e.getMessage());
        }
        int begin = text.indexOf("-----BEGIN PRIVATE KEY-----");
        int end = text.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < 0) {
            throw new ConfigException("--key", file + " is not a PKCS#8 PEM private key (BEGIN PRIVATE KEY)");
        }
        byte[] der = Base64.getMimeDecoder().decode(text.substring(begin + 27, end));
        for (String type : new String[] {"EC", "RSA", "Ed25519", "Ed448"}) {
            try {
                return KeyFactory.getInstance(type).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (Exception e) {
                // next type
            }
        }
        throw new ConfigException("--key", file + ": unsupported private key type");
    }

    /** The natural JWS algorithm of a private key. */
    static JwsAlgorithm defaultAlgorithm(PrivateKey key) {
        if (key instanceof RSAPrivateKey) {
            return JwsAlgorithm.RS256;
        }
        if (key instanceof ECPrivateKey ec) {
            return switch (ec.getParams().getCurve().getField().getFieldSize()) {
                case 384 -> JwsAlgorithm.ES384;
                case 521 -> JwsAlgorithm.ES512;
                default -> JwsAlgorithm.ES256;
            };
        }
        return JwsAlgorithm.EdDSA;
    }
}
