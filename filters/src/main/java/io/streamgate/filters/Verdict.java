package io.streamgate.filters;

import io.streamgate.filters.core.DenialReason;
import io.streamgate.filters.replay.Admission;
import io.streamgate.filters.token.ExtractedToken;
import io.streamgate.filters.verify.VerifiedToken;

/**
 * The decision for one request: allowed, with the verified token and where it was found
 * (so the gateway can strip it), or denied with exactly one {@link DenialReason}.
 * Denials are preallocated; {@link #toString()} never shows a token.
 */
public final class Verdict {
    private static final Verdict[] DENIALS;

    static {
        DenialReason[] rs = DenialReason.values();
        DENIALS = new Verdict[rs.length];
        for (DenialReason r : rs) {
            DENIALS[r.ordinal()] = new Verdict(null, null, r, Admission.NONE);
        }
    }

    private final VerifiedToken token;
    private final ExtractedToken extracted;
    private final DenialReason reason;
    private final Admission admission;

    private Verdict(VerifiedToken token, ExtractedToken extracted, DenialReason reason, Admission admission) {
        this.token = token;
        this.extracted = extracted;
        this.reason = reason;
        this.admission = admission;
    }

    public static Verdict allow(VerifiedToken token, ExtractedToken extracted) {
        return new Verdict(token, extracted, null, Admission.NONE);
    }

    /** Allowed, holding a reservation the caller must commit or release. */
    public static Verdict allow(VerifiedToken token, ExtractedToken extracted, Admission admission) {
        return new Verdict(token, extracted, null, admission);
    }

    public static Verdict deny(DenialReason reason) {
        return DENIALS[reason.ordinal()];
    }

    public boolean allowed() {
        return reason == null;
    }

    /** Why it was denied; null when allowed. */
    public DenialReason reason() {
        return reason;
    }

    /** The verified token; null when denied. */
    public VerifiedToken token() {
        return token;
    }

    /** Where the token was found; null when denied. */
    public ExtractedToken extracted() {
        return extracted;
    }

    /**
     * What this decision reserved ({@link Admission#NONE} when nothing, and for denials): the
     * caller commits it when the origin accepted the request and releases it otherwise.
     */
    public Admission admission() {
        return admission;
    }

    @Override
    public String toString() {
        return allowed() ? "Verdict[allowed, " + token + ", source=" + extracted.source() + "]"
                : "Verdict[denied, " + reason.code() + "]";
    }
}
