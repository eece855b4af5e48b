package io.streamgate.loadtest.jmh;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import io.streamgate.filters.crypto.CryptoProvider;
import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.crypto.SignatureVerifier;

/**
 * The ceiling: one bare {@link Signature#verify} per operation, with nothing of StreamGate
 * around it — no token parsing, no key lookup, no claims, no jose4j, no JWS-to-DER conversion.
 * A cold decision ({@link ColdDecisionBenchmark}) can only be slower than this; the gap between
 * the two is StreamGate's own overhead on a cache miss.
 *
 * <p>Workload: a realistic JWS signing input (the ~345-byte {@code header.payload} of a
 * viewer token) verified against its valid signature, single thread, with one reused
 * {@code Signature} object whose key was set once — the cheapest way the provider can be
 * driven. ES256 uses {@code SHA256withECDSA} with a DER signature (every provider's native
 * input); RS256 uses {@code SHA256withRSA} over a 2048-bit key. The provider is registered the
 * way StreamGate registers it ({@link SignatureVerifier#only}) and named explicitly:
 * {@code Conscrypt} (BoringSSL), {@code BC} (BouncyCastle) or the JDK's {@code SunEC} /
 * {@code SunRsaSign}; the public key is translated into the provider's own key class first,
 * as {@link SignatureVerifier#prepare} does at key load.
 *
 * <pre>{@code
 * ./mvnw -B -q -o install -DskipTests -pl filters -am && ./mvnw -B -q -o package -pl loadtest -DskipTests
 * java -jar loadtest/target/streamgate-benchmarks.jar RawSignatureBenchmark
 * java -jar loadtest/target/streamgate-benchmarks.jar RawSignatureBenchmark -p alg=ES256 -p provider=conscrypt
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(1)
public class RawSignatureBenchmark {
    @Param({"ES256", "RS256"})
    String alg;

    @Param({"conscrypt", "bouncycastle", "jdk"})
    String provider;

    private Signature signature;
    private byte[] signingInput;
    private byte[] sig;

    @Setup
    public void setup() throws GeneralSecurityException {
        JwsAlgorithm jws = JwsAlgorithm.fromJwaName(alg);
        CryptoProvider p = CryptoProvider.fromConfigName(provider);
        if (SignatureVerifier.only(p) == null) { // registers the provider, as the gateway does
            throw new IllegalStateException("crypto provider " + provider + " cannot load on this machine");
        }
        String keyType = jws == JwsAlgorithm.ES256 ? "EC" : "RSA";
        String algorithm = jws == JwsAlgorithm.ES256 ? "SHA256withECDSA" : "SHA256withRSA";
        String providerName = switch (p) {
            case CONSCRYPT -> "Conscrypt";
            case BOUNCYCASTLE -> "BC";
            default -> jws == JwsAlgorithm.ES256 ? "SunEC" : "SunRsaSign";
        };

        KeyPair pair = BenchmarkTokens.generate(jws);
        String token = BenchmarkTokens.mint(jws, pair.getPrivate(), Instant.now().getEpochSecond(), "ev42");
        signingInput = token.substring(0, token.lastIndexOf('.')).getBytes(StandardCharsets.US_ASCII);

        Signature signer = Signature.getInstance(algorithm); // JDK default: DER for ECDSA
        signer.initSign(pair.getPrivate());
        signer.update(signingInput);
        sig = signer.sign();

        PublicKey nativeKey = KeyFactory.getInstance(keyType, providerName)
                .generatePublic(new X509EncodedKeySpec(pair.getPublic().getEncoded()));
        signature = Signature.getInstance(algorithm, providerName);
        signature.initVerify(nativeKey);
        if (!verify()) {
            throw new IllegalStateException(provider + " does not verify a valid " + alg + " signature");
        }
        if (!signature.getProvider().getName().equals(providerName)) {
            throw new IllegalStateException("expected provider " + providerName + ", got " + signature.getProvider());
        }
    }

    /** One verification; after {@code verify} the object is ready for the next with the same key. */
    @Benchmark
    public boolean verify() throws GeneralSecurityException {
        signature.update(signingInput);
        return signature.verify(sig);
    }
}
