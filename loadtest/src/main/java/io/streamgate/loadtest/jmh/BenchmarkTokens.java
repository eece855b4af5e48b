package io.streamgate.loadtest.jmh;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.IntStream;

import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.crypto.JwsSigner;

/**
 * Keys and tokens for the benchmarks, generated in process (the filters test fixtures are not
 * on this module's classpath). Keys live only in memory for one trial; tokens are never printed.
 */
final class BenchmarkTokens {
    static final String KID = "bench-key";
    /** Token lifetime: long enough that no token expires during a run. */
    static final long LIFETIME_SECONDS = 2 * 3600;

    private BenchmarkTokens() {
    }

    /** A fresh P-256 (ES256) or RSA-2048 (RS256) key pair from the JDK's default provider. */
    static KeyPair generate(JwsAlgorithm alg) {
        try {
            KeyPairGenerator g;
            switch (alg) {
                case ES256 -> {
                    g = KeyPairGenerator.getInstance("EC");
                    g.initialize(new ECGenParameterSpec("secp256r1"));
                }
                case RS256 -> {
                    g = KeyPairGenerator.getInstance("RSA");
                    g.initialize(2048);
                }
                default -> throw new IllegalArgumentException("benchmarks cover ES256 and RS256, not " + alg);
            }
            return g.generateKeyPair();
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** SubjectPublicKeyInfo PEM, the form a {@code keys:} entry of the gateway config takes. */
    static String publicPem(KeyPair pair) {
        String b64 = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(pair.getPublic().getEncoded());
        return "-----BEGIN PUBLIC KEY-----\n" + b64 + "\n-----END PUBLIC KEY-----\n";
    }

    /**
     * A viewer token as an HLS origin would issue it: kid, sub, iat, a 2h exp, a random jti and
     * a {@code roles} array granting event {@code eventId}: about 430 characters for ES256, 690 for RS256.
     */
    static String mint(JwsAlgorithm alg, PrivateKey key, long nowSeconds, String eventId) {
        String header = "{\"alg\":\"" + alg.jwaName() + "\",\"typ\":\"JWT\",\"kid\":\"" + KID + "\"}";
        String payload = "{\"iss\":\"https://id.example.com\",\"sub\":\"viewer-"
                + ThreadLocalRandom.current().nextInt(1_000_000)
                + "\",\"iat\":" + nowSeconds
                + ",\"exp\":" + (nowSeconds + LIFETIME_SECONDS)
                + ",\"jti\":\"" + UUID.randomUUID()
                + "\",\"roles\":[{\"eventId\":\"ev7\",\"tier\":\"basic\"},{\"eventId\":\"" + eventId
                + "\",\"tier\":\"premium\"}]}";
        return JwsSigner.sign(header, payload, alg, key);
    }

    /** {@code count} distinct tokens (distinct jti), minted on all cores. */
    static String[] mintMany(int count, JwsAlgorithm alg, PrivateKey key, long nowSeconds, String eventId) {
        return IntStream.range(0, count).parallel()
                .mapToObj(i -> mint(alg, key, nowSeconds, eventId))
                .toArray(String[]::new);
    }
}
