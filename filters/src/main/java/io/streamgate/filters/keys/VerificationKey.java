package io.streamgate.filters.keys;

import java.security.PublicKey;
import java.util.Arrays;
import java.util.Collections;
import java.util.Objects;
import java.util.EnumSet;
import java.util.Set;

import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.crypto.KeyFit;
import io.streamgate.filters.crypto.SignatureVerifier;

/**
 * One public key a token may be verified with: its {@code kid} (null when the source gave
 * none), the algorithms it may verify (its type's, narrowed by a JWK's {@code alg}), and for
 * each of them the provider-native key and exact signature length, prepared once at load.
 *
 * <p>Keys compare by value: kid, algorithms and the SubjectPublicKeyInfo bytes (the config
 * source is not part of it). A JWKS refresh or a re-parse that yields the same key yields an
 * equal key, so verifications cached with the old instance stay valid; a key whose bytes
 * changed under the same kid is a different key.
 */
public final class VerificationKey {
    private static final JwsAlgorithm[] ALGS = JwsAlgorithm.values();

    private final String kid;
    private final String source;
    private final PublicKey publicKey;
    private final Set<JwsAlgorithm> algorithms;
    private final PublicKey[] prepared = new PublicKey[ALGS.length];
    private final int[] signatureLengths = new int[ALGS.length];
    private final byte[] spki;
    private final int hash;

    VerificationKey(String kid, String source, PublicKey publicKey, Set<JwsAlgorithm> algorithms,
                    SignatureVerifier verifier) {
        this.kid = kid;
        this.source = source;
        this.publicKey = publicKey;
        this.algorithms = Collections.unmodifiableSet(EnumSet.copyOf(algorithms));
        this.spki = Objects.requireNonNull(publicKey.getEncoded(), "public key without an encoding");
        this.hash = (Objects.hashCode(kid) * 31 + this.algorithms.hashCode()) * 31 + Arrays.hashCode(spki);
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

    /**
     * The SHA-256 of the key's SubjectPublicKeyInfo (DER), lowercase hex: what
     * {@code openssl pkey -pubin -in key.pem -outform DER | sha256sum} prints for its PEM.
     */
    public String spkiSha256() {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(spki));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }

    /** Same kid, same algorithms, same SubjectPublicKeyInfo bytes. */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        return o instanceof VerificationKey k && hash == k.hash && Objects.equals(kid, k.kid)
                && algorithms.equals(k.algorithms) && Arrays.equals(spki, k.spki);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return "VerificationKey[kid=" + kid + ", source=" + source + ", algorithms=" + algorithms + "]";
    }
}
