package io.streamgate.filters.verify;

import io.streamgate.filters.core.DenialReason;
import io.streamgate.filters.crypto.JwsAlgorithm;

/**
 * A token after the shape and header checks: its parts, its allowed algorithm and its kid;
 * or the reason these checks failed. The key lookup comes next.
 */
public final class DecodedToken {
    private static final DecodedToken[] FAILURES;

    static {
        DenialReason[] rs = DenialReason.values();
        FAILURES = new DecodedToken[rs.length];
        for (DenialReason r : rs) {
            FAILURES[r.ordinal()] = new DecodedToken(null, null, null, r);
        }
    }

    final JwsParts parts;
    private final JwsAlgorithm algorithm;
    private final String kid;
    private final DenialReason failure;

    private DecodedToken(JwsParts parts, JwsAlgorithm algorithm, String kid, DenialReason failure) {
        this.parts = parts;
        this.algorithm = algorithm;
        this.kid = kid;
        this.failure = failure;
    }

    static DecodedToken ok(JwsParts parts, JwsAlgorithm algorithm, String kid) {
        return new DecodedToken(parts, algorithm, kid, null);
    }

    static DecodedToken failed(DenialReason reason) {
        return FAILURES[reason.ordinal()];
    }

    public JwsAlgorithm algorithm() {
        return algorithm;
    }

    /** The header's kid, or null. Never used as anything but a map key. */
    public String kid() {
        return kid;
    }

    public DenialReason failure() {
        return failure;
    }
}
