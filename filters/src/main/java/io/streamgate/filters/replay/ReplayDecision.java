package io.streamgate.filters.replay;

import io.streamgate.filters.core.DenialReason;

/**
 * What {@link ReplayGuard#admit} decided: either a denial, or an admission holding what was
 * reserved (a one-time reservation, a session lease, or {@link Admission#NONE}) for the
 * caller to settle.
 *
 * @param denied    why the request is refused; null when admitted
 * @param admission what the admitted request holds; {@link Admission#NONE} when denied
 */
public record ReplayDecision(DenialReason denied, Admission admission) {
    /** Admitted with nothing to settle. */
    public static final ReplayDecision ADMITTED = new ReplayDecision(null, Admission.NONE);

    public static ReplayDecision admitted(Admission admission) {
        return admission == Admission.NONE ? ADMITTED : new ReplayDecision(null, admission);
    }

    public static ReplayDecision deny(DenialReason reason) {
        return new ReplayDecision(reason, Admission.NONE);
    }

    public boolean allowed() {
        return denied == null;
    }
}
