package io.streamgate.filters.session;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An immutable snapshot of the revocations in force, for the per-request check: one hash
 * lookup per identifier ({@code jti}, {@code sub}, {@code sid}) and a scan of the (few)
 * {@code issuedBefore} entries. The empty index answers without any lookup. Replaced whole
 * when the store's revocations change; never mutated.
 */
public final class RevocationIndex {
    public static final RevocationIndex EMPTY = new RevocationIndex(List.of());

    private final List<Revocation> all;
    private final Map<String, Revocation[]> byJti = new HashMap<>();
    private final Map<String, Revocation[]> bySub = new HashMap<>();
    private final Map<String, Revocation[]> bySid = new HashMap<>();
    private final Revocation[] issuedBefore;
    private final long[] issuedBeforeSeconds;
    private final boolean empty;

    public RevocationIndex(Collection<Revocation> revocations) {
        this.all = List.copyOf(revocations);
        List<Revocation> before = new ArrayList<>();
        for (Revocation r : all) {
            switch (r.kind()) {
                case JTI -> add(byJti, r);
                case SUB -> add(bySub, r);
                case SID -> add(bySid, r);
                case ISSUED_BEFORE -> before.add(r);
            }
        }
        this.issuedBefore = before.toArray(new Revocation[0]);
        this.issuedBeforeSeconds = new long[issuedBefore.length];
        for (int i = 0; i < issuedBefore.length; i++) {
            issuedBeforeSeconds[i] = Long.parseLong(issuedBefore[i].value());
        }
        this.empty = all.isEmpty();
    }

    private static void add(Map<String, Revocation[]> m, Revocation r) {
        m.merge(r.value(), new Revocation[] {r}, (a, b) -> {
            Revocation[] c = java.util.Arrays.copyOf(a, a.length + 1);
            c[a.length] = b[0];
            return c;
        });
    }

    /** Every revocation in this snapshot (lapsed ones included until the next refresh). */
    public List<Revocation> all() {
        return all;
    }

    public int size() {
        return all.size();
    }

    /**
     * The first revocation in force at {@code nowMillis} matching a token or session, or null.
     *
     * @param sid the session id, or null for a new request
     * @param iat the token's iat in epoch seconds, or a negative value when unknown
     */
    public Revocation match(String iss, String sub, String jti, String sid, long iat, long nowMillis) {
        if (empty) {
            return null;
        }
        Revocation r;
        if (sid != null && (r = first(bySid.get(sid), iss, nowMillis)) != null) {
            return r;
        }
        if (jti != null && (r = first(byJti.get(jti), iss, nowMillis)) != null) {
            return r;
        }
        if (sub != null && (r = first(bySub.get(sub), iss, nowMillis)) != null) {
            return r;
        }
        if (iat >= 0) {
            for (int i = 0; i < issuedBefore.length; i++) {
                if (iat < issuedBeforeSeconds[i] && live(issuedBefore[i], iss, nowMillis)) {
                    return issuedBefore[i];
                }
            }
        }
        return null;
    }

    private static Revocation first(Revocation[] rs, String iss, long now) {
        if (rs != null) {
            for (Revocation r : rs) {
                if (live(r, iss, now)) {
                    return r;
                }
            }
        }
        return null;
    }

    private static boolean live(Revocation r, String iss, long now) {
        return now < r.untilMillis() && (r.iss() == null || r.iss().equals(iss));
    }
}
