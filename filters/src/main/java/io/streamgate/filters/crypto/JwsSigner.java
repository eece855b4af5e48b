package io.streamgate.filters.crypto;

import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.util.Base64;

/**
 * Produces compact JWS strings. Used by the CLI's {@code mint}, the demo and the load
 * generator; the gateway itself never signs tokens.
 */
public final class JwsSigner {
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private JwsSigner() {
    }

    /** Signs {@code headerJson.payloadJson} exactly as given (the header's alg must name {@code alg}). */
    public static String sign(String headerJson, String payloadJson, JwsAlgorithm alg, PrivateKey key) {
        return sign(headerJson, payloadJson, alg, key, null);
    }

    /**
     * Signs like {@link #sign(String, String, JwsAlgorithm, PrivateKey)}, with the provider
     * {@code via} chose for {@code alg} (fast native signing for tools minting many tokens);
     * {@code via} null signs with the JDK's default provider.
     */
    public static String sign(String headerJson, String payloadJson, JwsAlgorithm alg, PrivateKey key,
                              SignatureVerifier via) {
        String input = b64(headerJson.getBytes(StandardCharsets.UTF_8)) + "."
                + b64(payloadJson.getBytes(StandardCharsets.UTF_8));
        byte[] in = input.getBytes(StandardCharsets.US_ASCII);
        try {
            byte[] sig = via == null ? SignatureVerifier.sign(alg, key, in) : via.signWithChosen(alg, key, in);
            return input + "." + b64(sig);
        } catch (Exception e) {
            throw new IllegalArgumentException("cannot sign with " + alg.jwaName() + ": " + e.getMessage(), e);
        }
    }

    public static String b64(byte[] bytes) {
        return B64.encodeToString(bytes);
    }
}
