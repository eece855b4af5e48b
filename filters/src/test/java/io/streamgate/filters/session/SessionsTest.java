package io.streamgate.filters.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.streamgate.filters.core.DenialReason;
import io.streamgate.filters.metrics.StreamGateMetrics;
import io.streamgate.filters.testing.MutableClock;

/**
 * Two replicas ({@link Sessions}) on one store, stepped by hand ({@link Sessions#pollNow()}) on
 * a moved clock: changes reach the other replica, a replica starting later reads them, ended
 * sessions stay ended, polling stops with {@code close()}.
 */
class SessionsTest {
    private final MutableClock clock = MutableClock.fixed();
    private final MemorySessionStore store = new MemorySessionStore(clock, 10_000);
    private final List<Sessions> opened = new CopyOnWriteArrayList<>();

    private Sessions replica() {
        Sessions s = new Sessions(store, clock, StreamGateMetrics.noop(), Duration.ofHours(1), Duration.ofSeconds(2),
                Duration.ofMinutes(11), null);
        opened.add(s);
        s.start();
        return s;
    }

    @AfterEach
    void close() {
        opened.forEach(Sessions::close);
    }

    /** The refusal as a request or renewal answers it. */
    private static DenialReason reason(Sessions s, String sid, String iss, String sub, String jti, long iat) {
        return SessionState.denialOf(s.refusal(sid, iss, sub, jti, iat));
    }

    private static <T> T get(java.util.concurrent.CompletionStage<T> s) throws Exception {
        return s.toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    private long now() {
        return clock.millis();
    }

    private Revocation revocation(Revocation.Kind kind, String value) {
        return new Revocation("r-" + kind + value, kind, value, null, now() + Duration.ofHours(1).toMillis(), null, now());
    }

    private SessionRecord open(Sessions s, String sid, String jti) throws Exception {
        SessionRecord r = SessionRecord.opened(sid, "hls", "live", "/live/a/", "iss", "sub-" + sid, jti,
                now() / 1000 + 60, now() / 1000, now() / 1000);
        get(store.open(r, "tk-" + jti, s.keepMillis(r.openedAt())));
        return r;
    }

    @Test
    void aRevocationAtOneReplicaIsInForceAtTheOtherAfterOnePoll() throws Exception {
        Sessions a = replica();
        Sessions b = replica();
        List<Revocation> told = new CopyOnWriteArrayList<>();
        b.listen(new SessionListener() {
            @Override
            public void revocationAdded(Revocation r) {
                told.add(r);
            }

            @Override
            public void sessionEnded(String sid, SessionState state) {
            }
        });
        get(a.revoke(revocation(Revocation.Kind.SUB, "mallory")));
        assertThat(reason(a, null, "iss", "mallory", "j", 5)).isEqualTo(DenialReason.REVOKED);
        assertThat(reason(b, null, "iss", "mallory", "j", 5)).isNull();
        b.pollNow();
        assertThat(reason(b, null, "iss", "mallory", "j", 5)).isEqualTo(DenialReason.REVOKED);
        assertThat(told).hasSize(1);
        assertThat(get(a.lift("r-SUBmallory"))).isTrue();
        b.pollNow();
        assertThat(reason(b, null, "iss", "mallory", "j", 5)).isNull();
    }

    @Test
    void anEvictionEndsTheSessionEverywhereAndForGood() throws Exception {
        Sessions a = replica();
        Sessions b = replica();
        List<String> ended = new CopyOnWriteArrayList<>();
        b.listen(new SessionListener() {
            @Override
            public void revocationAdded(Revocation r) {
            }

            @Override
            public void sessionEnded(String sid, SessionState state) {
                ended.add(sid + ":" + state.code());
            }
        });
        open(a, "s1", "j1");
        get(a.evict("s1"));
        assertThat(reason(a, "s1", "iss", "sub", "j1", 1)).isEqualTo(DenialReason.SESSION_LIMIT);
        b.pollNow();
        assertThat(reason(b, "s1", "iss", "sub", "j1", 1)).isEqualTo(DenialReason.SESSION_LIMIT);
        assertThat(ended).containsExactly("s1:evicted");
        // evictions are session state, not revocations: the revocation index stays empty
        assertThat(b.index().size()).isZero();
        // past the local window, the store still says so, and a renewal cannot revive it
        clock.advance(Duration.ofMinutes(13));
        assertThat(b.endedState("s1")).isNull();
        SessionRecord r = get(b.renew("s1", now() / 1000 + 3600, "j2", "tk-j2", now() / 1000));
        assertThat(r.state()).isEqualTo(SessionState.EVICTED);
        assertThat(get(b.current("s1")).state()).isEqualTo(SessionState.EVICTED);
        assertThat(b.endedState("s1")).isEqualTo(SessionState.EVICTED); // learned again from the record
    }

    @Test
    void aReplicaStartingLaterReadsRevocationsAndRecentEnds() throws Exception {
        Sessions a = replica();
        get(a.revoke(revocation(Revocation.Kind.JTI, "leaked")));
        open(a, "s2", "j2");
        get(a.evict("s2"));
        Sessions late = replica();
        assertThat(reason(late, "y", "iss", "sub", "leaked", 1)).isEqualTo(DenialReason.REVOKED);
        assertThat(reason(late, "s2", "iss", "sub", "j2", 1)).isEqualTo(DenialReason.SESSION_LIMIT);
    }

    @Test
    void revokingTheJtiOfARenewalEndsTheSession() throws Exception {
        Sessions a = replica();
        Sessions b = replica();
        SessionRecord opened = open(a, "s3", "opening");
        assertThat(get(a.renew("s3", opened.cap() + 600, "renewing", "tk-renewing", opened.openedAt())).chain())
                .containsExactly("opening", "renewing");
        get(a.revoke(revocation(Revocation.Kind.JTI, "renewing")));
        assertThat(get(a.record("s3")).state()).isEqualTo(SessionState.REVOKED);
        b.pollNow();
        // the credential carries only the opening jti: the session's state says it is over
        assertThat(reason(b, "s3", "iss", "sub-s3", "opening", 1)).isEqualTo(DenialReason.REVOKED);
        // lifting the revocation lets new tokens in; the session it ended stays ended
        get(a.lift("r-JTIrenewing"));
        assertThat(get(a.record("s3")).state()).isEqualTo(SessionState.REVOKED);
    }

    @Test
    void issuedBeforeRevokesTokensWithoutIat() throws Exception {
        Sessions a = replica();
        get(a.revoke(revocation(Revocation.Kind.ISSUED_BEFORE, Long.toString(now() / 1000))));
        assertThat(reason(a, null, "iss", "sub", "j", -1)).isEqualTo(DenialReason.REVOKED);
        assertThat(reason(a, null, "iss", "sub", "j", now() / 1000 - 10)).isEqualTo(DenialReason.REVOKED);
        assertThat(reason(a, null, "iss", "sub", "j", now() / 1000 + 10)).isNull();
    }

    @Test
    void aRevocationAppliedHereAloneSurvivesLaterChanges() throws Exception {
        Sessions a = replica();
        Revocation local = revocation(Revocation.Kind.SUB, "during-outage");
        get(a.revokeLocally(local));
        get(a.revoke(revocation(Revocation.Kind.SUB, "after")));
        a.pollNow();
        assertThat(reason(a, "q", "iss", "during-outage", "j", 1)).isEqualTo(DenialReason.REVOKED);
        assertThat(reason(a, "q", "iss", "after", "j", 1)).isEqualTo(DenialReason.REVOKED);
    }

    @Test
    void aRevocationLapsesWithItsTtl() throws Exception {
        Sessions a = replica();
        get(a.revoke(revocation(Revocation.Kind.SUB, "brief")));
        clock.advance(Duration.ofMinutes(61));
        assertThat(reason(a, "q", "iss", "brief", "j", 1)).isNull();
        a.pollNow();
        assertThat(a.index().size()).isZero();
    }

    @Test
    void listenersRunOnTheRepliasOwnThreadNotTheCallers() throws Exception {
        Sessions a = replica();
        Sessions b = new Sessions(store, clock, StreamGateMetrics.noop(), Duration.ofMillis(20), Duration.ofSeconds(2),
                Duration.ofMinutes(11), null);
        opened.add(b);
        java.util.concurrent.CompletableFuture<String> thread = new java.util.concurrent.CompletableFuture<>();
        b.listen(new SessionListener() {
            @Override
            public void revocationAdded(Revocation r) {
                thread.complete(Thread.currentThread().getName());
            }

            @Override
            public void sessionEnded(String sid, SessionState state) {
            }
        });
        b.start();
        get(a.revoke(revocation(Revocation.Kind.SUB, "threads")));
        assertThat(thread.get(10, TimeUnit.SECONDS)).isEqualTo("streamgate-sessions");
    }

    @Test
    void aChangeMadeHereIsAppliedOnTheReplicasThreadBeforeItsStageCompletes() throws Exception {
        Sessions a = replica();
        List<String> threads = new CopyOnWriteArrayList<>();
        a.listen(new SessionListener() {
            @Override
            public void revocationAdded(Revocation r) {
                threads.add(Thread.currentThread().getName());
            }

            @Override
            public void sessionEnded(String sid, SessionState state) {
                threads.add(Thread.currentThread().getName());
            }
        });
        get(a.revoke(revocation(Revocation.Kind.SID, "s9")));
        get(a.evict("s8"));
        get(a.revokeLocally(revocation(Revocation.Kind.SUB, "x")));
        assertThat(threads).hasSizeGreaterThanOrEqualTo(3).allMatch("streamgate-sessions"::equals);
        assertThat(reason(a, "s8", null, null, null, 1)).isEqualTo(DenialReason.SESSION_LIMIT);
    }

    @Test
    void closeStopsThePollerThread() throws Exception {
        Sessions s = replica();
        s.close();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (pollerAlive() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        for (Sessions o : opened) {
            o.close();
        }
        while (pollerAlive() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(pollerAlive()).isFalse();
        s.start(); // after close: nothing starts again
        assertThat(pollerAlive()).isFalse();
    }

    static boolean pollerAlive() {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.isAlive() && t.getName().equals("streamgate-sessions"));
    }

    @Test
    void revokingAnOldRenewingJtiOfALongSessionEndsIt() throws Exception {
        Sessions a = replica();
        SessionRecord opened = open(a, "long", "opening");
        for (int i = 0; i < 40; i++) {
            get(a.renew("long", opened.cap() + i, "renewal-" + i, "tk-renewal-" + i, opened.openedAt()));
        }
        assertThat(get(a.record("long")).chain()).doesNotContain("renewal-2"); // the chain keeps the newest only
        get(a.revoke(revocation(Revocation.Kind.JTI, "renewal-2")));
        assertThat(get(a.record("long")).state()).isEqualTo(SessionState.REVOKED);
    }

    @Test
    void aSessionARevocationRefusedStaysEndedAfterTheRevocationIsLiftedOrLapses() throws Exception {
        Sessions a = replica();
        Sessions b = replica();
        open(a, "s5", "j5");
        get(a.revoke(revocation(Revocation.Kind.SUB, "sub-s5")));
        assertThat(reason(a, "s5", "iss", "sub-s5", "j5", 1)).isEqualTo(DenialReason.REVOKED);
        get(a.lift("r-SUBsub-s5"));
        assertThat(reason(a, "s5", "iss", "sub-s5", "j5", 1)).as("lifted: still over here").isEqualTo(DenialReason.REVOKED);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (get(a.record("s5")).state() == SessionState.OPEN && System.nanoTime() < deadline) {
            Thread.onSpinWait(); // the store's end is written asynchronously: bounded poll
        }
        assertThat(get(a.record("s5")).state()).isEqualTo(SessionState.REVOKED);
        b.pollNow();
        assertThat(reason(b, "s5", "iss", "sub-s5", "j5", 1)).as("and at the other replica").isEqualTo(DenialReason.REVOKED);
        clock.advance(Duration.ofHours(2));
        assertThat(get(b.current("s5")).state()).as("and once the window passed").isEqualTo(SessionState.REVOKED);
        // a sid revocation ends its session at once
        open(a, "s6", "j6");
        get(a.revoke(revocation(Revocation.Kind.SID, "s6")));
        assertThat(get(a.record("s6")).state()).isEqualTo(SessionState.REVOKED);
    }

    @Test
    void aReplicaLoadingTheLogIsNotToldOfARevocationAlreadyLifted() throws Exception {
        Sessions a = replica();
        get(a.revoke(revocation(Revocation.Kind.SUB, "brief-mistake")));
        get(a.lift("r-SUBbrief-mistake"));
        get(a.revoke(revocation(Revocation.Kind.SUB, "real")));
        Sessions late = new Sessions(store, clock, StreamGateMetrics.noop(), Duration.ofHours(1), Duration.ofSeconds(2),
                Duration.ofMinutes(11), null);
        opened.add(late);
        List<String> told = new CopyOnWriteArrayList<>();
        late.listen(new SessionListener() {
            @Override
            public void revocationAdded(Revocation r) {
                told.add(r.value());
            }

            @Override
            public void sessionEnded(String sid, SessionState state) {
            }
        });
        late.start();
        assertThat(told).containsExactly("real");
        assertThat(reason(late, "q", "iss", "brief-mistake", "j", 1)).isNull();
    }

    @Test
    void anEndTheStoreMissedIsTriedAgainUntilEveryReplicaHasIt() throws Exception {
        java.util.concurrent.atomic.AtomicInteger failures = new java.util.concurrent.atomic.AtomicInteger(2);
        // the store fails the first two tries to end a session (down, or its log entry lost)
        SessionStore flaky = (SessionStore) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {SessionStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("end") && failures.getAndDecrement() > 0) {
                        return java.util.concurrent.CompletableFuture.failedFuture(new IllegalStateException("down"));
                    }
                    return method.invoke(store, args);
                });
        Sessions a = new Sessions(flaky, clock, StreamGateMetrics.noop(), Duration.ofHours(1), Duration.ofSeconds(2),
                Duration.ofMinutes(11), null);
        opened.add(a);
        a.start();
        Sessions b = replica();
        open(a, "s7", "j7");
        get(a.evict("s7"));
        assertThat(a.endedState("s7")).as("over here at once").isEqualTo(SessionState.EVICTED);
        b.pollNow();
        assertThat(b.endedState("s7")).as("the store missed it").isNull();
        a.pollNow(); // tries again: fails once more
        a.pollNow(); // and now the entry is there
        b.pollNow();
        assertThat(b.endedState("s7")).isEqualTo(SessionState.EVICTED);
    }

    @Test
    void aRevocationWhoseStoreCallTimedOutAfterStoringItIsNotAnsweredAsUnchanged() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);
        // the store carries out the first call, but its answer is lost (a timeout at the gateway)
        SessionStore late = (SessionStore) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {SessionStore.class}, (proxy, method, args) -> {
                    Object result = method.invoke(store, args);
                    if ((method.getName().equals("addRevocation") || method.getName().equals("removeRevocation"))
                            && first.getAndSet(false)) {
                        return java.util.concurrent.CompletableFuture.failedFuture(
                                new java.util.concurrent.TimeoutException("answer lost"));
                    }
                    return result;
                });
        Sessions a = new Sessions(late, clock, StreamGateMetrics.noop(), Duration.ofHours(1), Duration.ofSeconds(2),
                Duration.ofMinutes(11), null);
        opened.add(a);
        a.start();
        Revocation r = revocation(Revocation.Kind.SUB, "timed-out");
        assertThat(get(a.revoke(r))).isEqualTo(r);
        assertThat(reason(a, null, "iss", "timed-out", "j", 1)).isEqualTo(DenialReason.REVOKED);
        first.set(true);
        assertThat(get(a.lift(r.id()))).as("gone, though the second try found nothing to remove").isTrue();
        assertThat(reason(a, null, "iss", "timed-out", "j", 1)).isNull();
    }
}
