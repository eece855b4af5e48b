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
        String input = b64(headerJson.getBytes(StandardCharsets.UTF_8)) + "."
                + b64(payloadJson.getBytes(StandardCharsets.UTF_8));
        try {
            byte[] sig = SignatureVerifier.sign(alg, key, input.getBytes(StandardCharsets.US_ASCII));
            return input + "." + b64(sig);
        } catch (Exception e) {
            throw new IllegalArgumentException("cannot sign with " + alg.jwaName() + ": " + e.getMessage(), e);
        }
    }

    public static String b64(byte[] bytes) {
        return B64.encodeToString(bytes);
    }
}
