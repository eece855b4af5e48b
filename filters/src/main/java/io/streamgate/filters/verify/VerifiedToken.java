package io.streamgate.filters.verify;

import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.keys.VerificationKey;

/**
 * A token whose signature verified and whose claims parsed: safe to cache, since everything
 * time-dependent is re-checked on each use. Holds no raw token, so logging it leaks nothing.
 */
public final class VerifiedToken {
    private final JwsAlgorithm algorithm;
    private final VerificationKey key;
    private final Claims claims;

    VerifiedToken(JwsAlgorithm algorithm, VerificationKey key, Claims claims) {
        this.algorithm = algorithm;
        this.key = key;
        this.claims = claims;
    }

    public JwsAlgorithm algorithm() {
        return algorithm;
    }

    /** The key that verified it; a cached token is only reused while this key is configured. */
    public VerificationKey key() {
        return key;
    }

    public String kid() {
        return key.kid();
    }

    public Claims claims() {
        return claims;
    }

    @Override
    public String toString() {
        return "VerifiedToken[alg=" + algorithm.jwaName() + ", kid=" + key.kid() + ", sub=" + claims.sub() + "]";
    }
}
