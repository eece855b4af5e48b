package io.streamgate.filters.keys;

import java.security.PublicKey;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.crypto.KeyFit;
import io.streamgate.filters.crypto.SignatureVerifier;

/**
 * One public key a token may be verified with: its {@code kid} (null when the source gave
 * none), the algorithms it may verify (its type's, narrowed by a JWK's {@code alg}), and for
 * each of them the provider-native key and exact signature length, prepared once at load.
 */
public final class VerificationKey {
    private static final JwsAlgorithm[] ALGS = JwsAlgorithm.values();

    private final String kid;
    private final String source;
    private final PublicKey publicKey;
    private final Set<JwsAlgorithm> algorithms;
    private final PublicKey[] prepared = new PublicKey[ALGS.length];
    private final int[] signatureLengths = new int[ALGS.length];

    VerificationKey(String kid, String source, PublicKey publicKey, Set<JwsAlgorithm> algorithms,
                    SignatureVerifier verifier) {
        this.kid = kid;
        this.source = source;
        this.publicKey = publicKey;
        this.algorithms = Collections.unmodifiableSet(EnumSet.copyOf(algorithms));
        for (JwsAlgorithm alg : algorithms) {
            prepared[alg.ordinal()] = verifier.prepare(alg, publicKey);
            signatureLengths[alg.ordinal()] = KeyFit.signatureLength(alg, publicKey);
        }
    }

    public String kid() {
        return kid;
    }

    /** The configured source this key came from, e.g. {@code keys[0]}; safe as a metric tag. */
    public String source() {
        return source;
    }

    public PublicKey publicKey() {
        return publicKey;
    }

    public Set<JwsAlgorithm> algorithms() {
        return algorithms;
    }

    public boolean verifies(JwsAlgorithm alg) {
        return prepared[alg.ordinal()] != null;
    }

    /** The key in the chosen provider's own class, for {@link SignatureVerifier#verify}. */
    public PublicKey preparedFor(JwsAlgorithm alg) {
        return prepared[alg.ordinal()];
    }

    public int signatureLength(JwsAlgorithm alg) {
        return signatureLengths[alg.ordinal()];
    }

    @Override
    public String toString() {
        return "VerificationKey[kid=" + kid + ", source=" + source + ", algorithms=" + algorithms + "]";
    }
}
