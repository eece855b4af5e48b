package io.streamgate.filters;

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
            DENIALS[r.ordinal()] = new Verdict(null, null, r);
        }
    }

    private final VerifiedToken token;
    private final ExtractedToken extracted;
    private final DenialReason reason;

    private Verdict(VerifiedToken token, ExtractedToken extracted, DenialReason reason) {
        this.token = token;
        this.extracted = extracted;
        this.reason = reason;
    }

    public static Verdict allow(VerifiedToken token, ExtractedToken extracted) {
        return new Verdict(token, extracted, null);
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

    @Override
    public String toString() {
        return allowed() ? "Verdict[allowed, " + token + ", source=" + extracted.source() + "]"
                : "Verdict[denied, " + reason.code() + "]";
    }
}
