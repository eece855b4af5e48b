package io.streamgate.filters.verify;

import io.streamgate.filters.core.DenialReason;

/**
 * The outcome of one verification step: a verified token, or the one reason it failed.
 * Failures are values, not exceptions, and are preallocated.
 */
public final class Verification {
    private static final Verification[] FAILURES;

    static {
        DenialReason[] rs = DenialReason.values();
        FAILURES = new Verification[rs.length];
        for (DenialReason r : rs) {
            FAILURES[r.ordinal()] = new Verification(null, r);
        }
    }

    private final VerifiedToken token;
    private final DenialReason failure;

    private Verification(VerifiedToken token, DenialReason failure) {
        this.token = token;
        this.failure = failure;
    }

    static Verification ok(VerifiedToken token) {
        return new Verification(token, null);
    }

    public static Verification failed(DenialReason reason) {
        return FAILURES[reason.ordinal()];
    }

    public boolean ok() {
        return failure == null;
    }

    /** The verified token; null when failed. */
    public VerifiedToken token() {
        return token;
    }

    /** Why it failed; null when ok. */
    public DenialReason failure() {
        return failure;
    }
}
