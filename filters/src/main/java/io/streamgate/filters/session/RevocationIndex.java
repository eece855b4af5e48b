package io.streamgate.filters.session;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * The revocations in force on this replica, for the per-request check: one hash lookup per
 * identifier ({@code jti}, {@code sub}, {@code sid}) and a scan of the (few) {@code
 * issuedBefore} entries. Kept current change by change ({@link #add}, {@link #remove}): the
 * cost of a change, like that of a check, does not depend on how many revocations are in
 * force. Lapsed entries are dropped by {@link #prune} in the order they lapse.
 *
 * <p>Thread-safe: one writer at a time (the replica's change applier; a lost race between two
 * writers of the same identifier is excluded by {@code compute}), readers never block.
 */
public final class RevocationIndex {

    private final Map<String, Revocation> byId = new ConcurrentHashMap<>();
    private final Map<String, Revocation[]> byJti = new ConcurrentHashMap<>();
    private final Map<String, Revocation[]> bySub = new ConcurrentHashMap<>();
    private final Map<String, Revocation[]> bySid = new ConcurrentHashMap<>();
    /** A cut-off with its instant parsed once: a check compares numbers, it parses nothing. */
    private record Cutoff(Revocation revocation, long seconds) {
    }

    private static final Cutoff[] NO_CUTOFFS = new Cutoff[0];
    private volatile Cutoff[] issuedBefore = NO_CUTOFFS;
    /** Entries by when they lapse, then id: {@link #prune} takes them from the front. */
    private final ConcurrentSkipListSet<Revocation> byUntil = new ConcurrentSkipListSet<>(
            (a, b) -> a.untilMillis() != b.untilMillis() ? Long.compare(a.untilMillis(), b.untilMillis())
                    : a.id().compareTo(b.id()));

    public RevocationIndex() {
    }

    public RevocationIndex(Collection<Revocation> revocations) {
        revocations.forEach(this::add);
    }

    /** Adds (or replaces, by id) a revocation; true when its id was not here. */
    public synchronized boolean add(Revocation r) {
        Revocation old = byId.put(r.id(), r);
        if (old != null) {
            unlink(old);
        }
        switch (r.kind()) {
            case JTI -> link(byJti, r.value(), r);
            case SUB -> link(bySub, r.value(), r);
            case SID -> link(bySid, r.value(), r);
            case ISSUED_BEFORE -> {
                Cutoff[] a = Arrays.copyOf(issuedBefore, issuedBefore.length + 1);
                a[a.length - 1] = new Cutoff(r, Long.parseLong(r.value()));
                issuedBefore = a;
            }
        }
        byUntil.add(r);
        return old == null;
    }

    /** Removes a revocation by id; true when it was here. */
    public synchronized boolean remove(String id) {
        Revocation old = byId.remove(id);
        if (old == null) {
            return false;
        }
        unlink(old);
        return true;
    }

    /** Drops every revocation lapsed at {@code nowMillis}; returns how many. */
    public synchronized int prune(long nowMillis) {
        int n = 0;
        for (Revocation r = first(); r != null && r.untilMillis() <= nowMillis; r = first()) {
            if (byId.remove(r.id(), r)) {
                unlink(r);
            } else {
                byUntil.remove(r);
            }
            n++;
        }
        return n;
    }

    private Revocation first() {
        return byUntil.isEmpty() ? null : byUntil.first();
    }

    private void unlink(Revocation r) {
        byUntil.remove(r);
        switch (r.kind()) {
            case JTI -> unlink(byJti, r.value(), r);
            case SUB -> unlink(bySub, r.value(), r);
            case SID -> unlink(bySid, r.value(), r);
            case ISSUED_BEFORE -> {
                List<Cutoff> keep = new ArrayList<>(Arrays.asList(issuedBefore));
                keep.removeIf(x -> x.revocation().id().equals(r.id()));
                issuedBefore = keep.toArray(NO_CUTOFFS);
            }
        }
    }

    private static void link(Map<String, Revocation[]> m, String value, Revocation r) {
        m.merge(value, new Revocation[] {r}, (a, b) -> {
            Revocation[] c = Arrays.copyOf(a, a.length + 1);
            c[a.length] = b[0];
            return c;
        });
    }

    private static void unlink(Map<String, Revocation[]> m, String value, Revocation r) {
        m.computeIfPresent(value, (k, a) -> {
            Revocation[] c = Arrays.stream(a).filter(x -> !x.id().equals(r.id())).toArray(Revocation[]::new);
            return c.length == 0 ? null : c;
        });
    }

    /** Every revocation held (lapsed ones until the next {@link #prune}). */
    public List<Revocation> all() {
        return List.copyOf(byId.values());
    }

    public int size() {
        return byId.size();
    }

    /**
     * The first revocation in force at {@code nowMillis} matching a token or session, or null.
     *
     * @param sid the session id, or null for a new request
     * @param iat the token's iat in epoch seconds, or a negative value when it has none (then
     *            every {@code issuedBefore} revocation matches: its issue time is unknown)
     */
    public Revocation match(String iss, String sub, String jti, String sid, long iat, long nowMillis) {
        if (byId.isEmpty()) {
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
        Cutoff[] before = issuedBefore;
        for (Cutoff b : before) {
            if ((iat < 0 || iat < b.seconds()) && live(b.revocation(), iss, nowMillis)) {
                return b.revocation();
            }
        }
        return null;
    }

    /**
     * The first {@code jti} revocation in force for this jti (and issuer), or null: for the
     * token ids of a session's chain, whose issue times are not kept (an {@code issuedBefore}
     * is checked against the opening token's {@code iat} by {@link #match}).
     */
    public Revocation matchJti(String iss, String jti, long nowMillis) {
        return jti == null || byId.isEmpty() ? null : first(byJti.get(jti), iss, nowMillis);
    }

    /** Whether one revocation matches a token or session (a new revocation checked against live sessions). */
    public static boolean matches(Revocation r, String iss, String sub, String jti, String sid, long iat,
                                  long nowMillis) {
        if (!live(r, iss, nowMillis)) {
            return false;
        }
        return switch (r.kind()) {
            case JTI -> r.value().equals(jti);
            case SUB -> r.value().equals(sub);
            case SID -> r.value().equals(sid);
            case ISSUED_BEFORE -> iat < 0 || iat < Long.parseLong(r.value());
        };
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
