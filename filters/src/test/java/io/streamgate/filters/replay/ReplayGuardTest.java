package io.streamgate.filters.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamgate.filters.core.DenialReason;
import io.streamgate.filters.keys.KeyRegistry;
import io.streamgate.filters.metrics.StreamGateMetrics;
import io.streamgate.filters.testing.Fixture;
import io.streamgate.filters.testing.MutableClock;
import io.streamgate.filters.testing.TestKeys;
import io.streamgate.filters.testing.Tokens;
import io.streamgate.filters.verify.Claims;
import io.streamgate.filters.verify.DecodedToken;
import io.streamgate.filters.verify.TokenVerifier;
import io.streamgate.filters.verify.Verification;
import io.streamgate.filters.verify.VerifyPolicy;

/** One-time use by (iss, jti), and what a failing or hanging replay store means. */
class ReplayGuardTest {
    private static final TestKeys KEY = TestKeys.es256("replay-key");
    private static final KeyRegistry REGISTRY = Fixture.registry(KEY);
    private static final TokenVerifier VERIFIER = new TokenVerifier(VerifyPolicy.defaults(), Fixture.crypto());
    private static final Duration LEEWAY = Duration.ofSeconds(30);

    private final MutableClock clock = MutableClock.fixed();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final StreamGateMetrics metrics = new StreamGateMetrics(registry);

    /** Claims of a really signed and verified token; pairs of claim name and value (null removes). */
    private Claims claims(Object... namesAndValues) {
        Tokens t = Tokens.signedBy(KEY, clock);
        for (int i = 0; i + 1 < namesAndValues.length; i += 2) {
            t.claim((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        DecodedToken d = VERIFIER.decode(t.sign());
        assertThat(d.failure()).isNull();
        Verification v = VERIFIER.verify(d, REGISTRY.find(d.kid(), d.algorithm()));
        assertThat(v.ok()).as("test token verifies").isTrue();
        return v.token().claims();
    }

    private ReplayGuard guard(ReplayMode mode, ReplayStore store, boolean allowOnStoreError, Duration timeout) {
        return new ReplayGuard(mode, store, allowOnStoreError, LEEWAY, timeout, metrics);
    }

    private ReplayGuard once(ReplayStore store) {
        return guard(ReplayMode.ONCE, store, false, Duration.ofSeconds(1));
    }

    /** Waits (bounded) for the decision. */
    private ReplayDecision decide(ReplayGuard g, Claims c) throws Exception {
        return g.admit(c, clock.millis()).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    /** Waits (bounded) for the verdict, leaving what it reserved unsettled; null means admitted. */
    private DenialReason admit(ReplayGuard g, Claims c) throws Exception {
        return decide(g, c).denied();
    }

    /** A use the origin accepted: admitted and committed; null means admitted. */
    private DenialReason use(ReplayGuard g, Claims c) throws Exception {
        ReplayDecision d = decide(g, c);
        d.admission().commit();
        return d.denied();
    }

    private double count(String name, String... tags) {
        return Fixture.count(registry, name, tags);
    }

    /** Stands in for a broken dependency (a replay store that is down, throws, or never answers). */
    private static final class BrokenStore implements ReplayStore {
        enum How { FAILED_FUTURE, THROWS, NEVER_ANSWERS }

        private final How how;
        final List<CompletableFuture<Boolean>> pending = new ArrayList<>();
        int calls;
        int releases;

        BrokenStore(How how) {
            this.how = how;
        }

        @Override
        public CompletionStage<Boolean> isTaken(String key) {
            return CompletableFuture.failedFuture(new IllegalStateException("down"));
        }

        @Override
        public CompletionStage<Boolean> commit(String key, String owner, long expiresAtMillis) {
            return CompletableFuture.failedFuture(new IllegalStateException("down"));
        }

        @Override
        public CompletionStage<Boolean> releaseIfOwner(String key, String owner) {
            releases++;
            return CompletableFuture.failedFuture(new IllegalStateException("down"));
        }

        @Override
        public CompletionStage<Boolean> reserve(String key, String owner, long reserveMillis, long expiresAtMillis) {
            calls++;
            return switch (how) {
                case FAILED_FUTURE -> CompletableFuture.failedFuture(new IllegalStateException("connection refused"));
                case THROWS -> throw new IllegalStateException("client closed");
                case NEVER_ANSWERS -> {
                    CompletableFuture<Boolean> f = new CompletableFuture<>();
                    pending.add(f);
                    yield f;
                }
            };
        }

        @Override
        public CompletionStage<Boolean> acquire(String key, String sessionId, int maxSessions, long leaseMillis,
                                                long expiresAtMillis) {
            return CompletableFuture.failedFuture(new IllegalStateException("down"));
        }

        @Override
        public CompletionStage<Boolean> renew(String key, String sessionId, int maxSessions, long leaseMillis,
                                              long expiresAtMillis) {
            return CompletableFuture.failedFuture(new IllegalStateException("down"));
        }

        @Override
        public CompletionStage<Void> releaseLease(String key, String sessionId) {
            return CompletableFuture.failedFuture(new IllegalStateException("down"));
        }

        @Override
        public CompletionStage<Void> ping() {
            return CompletableFuture.failedFuture(new IllegalStateException("down"));
        }

        @Override
        public String name() {
            return "broken";
        }
    }

    /**
     * The real memory store, remembering what it was asked (keys, expiries, calls per op), and
     * able to hold reservations back (answered only when the test says) or fail commits.
     */
    private static final class TestStore implements ReplayStore {
        private final MemoryReplayStore delegate;
        final List<String> keys = new ArrayList<>();
        final List<Long> expiries = new ArrayList<>();
        final java.util.Map<String, Integer> calls = new java.util.concurrent.ConcurrentHashMap<>();
        final List<Runnable> heldReserves = new ArrayList<>();
        volatile boolean holdReserves;
        volatile boolean failCommits;

        TestStore(MemoryReplayStore delegate) {
            this.delegate = delegate;
        }

        @Override
        public CompletionStage<Boolean> isTaken(String key) {
            return delegate.isTaken(key);
        }

        int calls(String op) {
            return calls.getOrDefault(op, 0);
        }

        private void count(String op) {
            calls.merge(op, 1, Integer::sum);
        }

        /** Lets held reservations reach the store now (late: the guard gave up on them). */
        void landHeldReserves() {
            heldReserves.forEach(Runnable::run);
        }

        @Override
        public CompletionStage<Boolean> reserve(String key, String owner, long reserveMillis, long expiresAtMillis) {
            count("reserve");
            keys.add(key);
            expiries.add(expiresAtMillis);
            if (holdReserves) {
                CompletableFuture<Boolean> late = new CompletableFuture<>();
                heldReserves.add(() -> delegate.reserve(key, owner, reserveMillis, expiresAtMillis)
                        .whenComplete((v, e) -> late.complete(v)));
                return late;
            }
            return delegate.reserve(key, owner, reserveMillis, expiresAtMillis);
        }

        @Override
        public CompletionStage<Boolean> commit(String key, String owner, long expiresAtMillis) {
            count("commit");
            expiries.add(expiresAtMillis);
            if (failCommits) {
                return CompletableFuture.failedFuture(new IllegalStateException("down"));
            }
            return delegate.commit(key, owner, expiresAtMillis);
        }

        @Override
        public CompletionStage<Boolean> releaseIfOwner(String key, String owner) {
            count("releaseIfOwner");
            return delegate.releaseIfOwner(key, owner);
        }

        @Override
        public CompletionStage<Boolean> acquire(String key, String sessionId, int maxSessions, long leaseMillis,
                                                long expiresAtMillis) {
            count("acquire");
            return delegate.acquire(key, sessionId, maxSessions, leaseMillis, expiresAtMillis);
        }

        @Override
        public CompletionStage<Boolean> renew(String key, String sessionId, int maxSessions, long leaseMillis,
                                              long expiresAtMillis) {
            return delegate.renew(key, sessionId, maxSessions, leaseMillis, expiresAtMillis);
        }

        @Override
        public CompletionStage<Void> releaseLease(String key, String sessionId) {
            count("releaseLease");
            return delegate.releaseLease(key, sessionId);
        }

        @Override
        public CompletionStage<Void> ping() {
            return delegate.ping();
        }

        @Override
        public String name() {
            return delegate.name();
        }
    }

    // ---- modes ----

    @Test
    void modeOffAdmitsTheSameTokenAgainAndAgain() throws Exception {
        Claims c = claims();
        ReplayGuard off = ReplayGuard.off();
        assertThat(off.mode()).isEqualTo(ReplayMode.OFF);
        for (int i = 0; i < 3; i++) {
            assertThat(admit(off, c)).isNull();
        }
    }

    @Test
    void modeOffNeedsNoJtiAndNeverTouchesTheStore() throws Exception {
        BrokenStore store = new BrokenStore(BrokenStore.How.THROWS);
        ReplayGuard off = guard(ReplayMode.OFF, store, false, Duration.ofSeconds(1));
        assertThat(admit(off, claims("jti", null))).isNull();
        assertThat(admit(off, claims())).isNull();
        assertThat(store.calls).isZero();
    }

    @Test
    void onceAdmitsTheFirstUseAndRefusesTheSecondAsReplayed() throws Exception {
        ReplayGuard g = once(new MemoryReplayStore(clock, 1000));
        Claims c = claims();
        assertThat(use(g, c)).isNull();
        assertThat(use(g, c)).isEqualTo(DenialReason.REPLAYED);
        assertThat(use(g, c)).isEqualTo(DenialReason.REPLAYED);
        assertThat(count("streamgate.replay.operations", "op", "once", "result", "first")).isEqualTo(1);
        assertThat(count("streamgate.replay.operations", "op", "once", "result", "replayed")).isEqualTo(2);
    }

    private DenialReason peek(ReplayGuard g, Claims c) throws Exception {
        ReplayDecision d = g.peek(c).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(d.admission()).as("a peek holds nothing").isSameAs(Admission.NONE);
        return d.denied();
    }

    @Test
    void peekChecksAOneTimeTokenWithoutUsingIt() throws Exception {
        ReplayGuard g = once(new MemoryReplayStore(clock, 1000));
        Claims c = claims();
        assertThat(peek(g, c)).isNull();
        assertThat(peek(g, c)).isNull();
        assertThat(use(g, c)).as("still unused").isNull();
        assertThat(peek(g, c)).as("used").isEqualTo(DenialReason.REPLAYED);
        assertThat(peek(g, claims("jti", null))).isEqualTo(DenialReason.MISSING_CLAIM);
        assertThat(count("streamgate.replay.operations", "op", "peek", "result", "unused")).isEqualTo(2);
        assertThat(count("streamgate.replay.operations", "op", "peek", "result", "replayed")).isEqualTo(1);
        // a store that fails: onStoreError decides, as for a use
        assertThat(peek(once(new BrokenStore(BrokenStore.How.FAILED_FUTURE)), c))
                .isEqualTo(DenialReason.REPLAY_STORE_UNAVAILABLE);
        assertThat(peek(guard(ReplayMode.ONCE, new BrokenStore(BrokenStore.How.FAILED_FUTURE), true,
                Duration.ofSeconds(1)), c)).isNull();
        // limit: no lease taken (a HEAD opens no session), so a full limit does not refuse it
        ReplayGuard limit = new ReplayGuard(ReplayMode.LIMIT, new MemoryReplayStore(clock, 1000), false, LEEWAY,
                Duration.ofSeconds(1), metrics, 1, Duration.ofSeconds(30));
        assertThat(admit(limit, c)).isNull();
        assertThat(peek(limit, c)).isNull();
        assertThat(admit(limit, c)).as("the one lease is still the first session's").isEqualTo(DenialReason.SESSION_LIMIT);
    }

    @Test
    void onceTellsDifferentJtisApart() throws Exception {
        ReplayGuard g = once(new MemoryReplayStore(clock, 1000));
        assertThat(use(g, claims("jti", "one"))).isNull();
        assertThat(use(g, claims("jti", "two"))).isNull();
        assertThat(use(g, claims("jti", "one"))).isEqualTo(DenialReason.REPLAYED);
    }

    @Test
    void sameJtiFromAnotherIssuerIsAnotherToken() throws Exception {
        ReplayGuard g = once(new MemoryReplayStore(clock, 1000));
        assertThat(use(g, claims("iss", "https://a.example", "jti", "j1"))).isNull();
        assertThat(use(g, claims("iss", "https://b.example", "jti", "j1"))).isNull();
        assertThat(use(g, claims("iss", "https://a.example", "jti", "j1"))).isEqualTo(DenialReason.REPLAYED);
    }

    @Test
    void onceWithoutJtiIsMissingClaim() throws Exception {
        BrokenStore store = new BrokenStore(BrokenStore.How.THROWS);
        ReplayGuard g = once(store);
        assertThat(admit(g, claims("jti", null))).isEqualTo(DenialReason.MISSING_CLAIM);
        assertThat(admit(g, claims("jti", ""))).isEqualTo(DenialReason.MISSING_CLAIM);
        assertThat(store.calls).isZero();
    }

    @Test
    void limitWithoutJtiIsMissingClaim() throws Exception {
        ReplayGuard g = guard(ReplayMode.LIMIT, new MemoryReplayStore(clock, 1000), false, Duration.ofSeconds(1));
        assertThat(admit(g, claims("jti", null))).isEqualTo(DenialReason.MISSING_CLAIM);
        assertThat(admit(g, claims())).isNull();
    }

    @Test
    void entryLivesUntilTokenExpiryPlusLeeway() throws Exception {
        TestStore store = new TestStore(new MemoryReplayStore(clock, 1000));
        ReplayGuard g = once(store);
        Claims c = claims();
        assertThat(use(g, c)).isNull();
        assertThat(store.expiries).containsExactly(c.exp() * 1000 + LEEWAY.toMillis(), c.exp() * 1000 + LEEWAY.toMillis());
        clock.set(java.time.Instant.ofEpochMilli(c.exp() * 1000 + LEEWAY.toMillis() - 1));
        assertThat(use(g, c)).isEqualTo(DenialReason.REPLAYED);
        clock.advance(Duration.ofMillis(2));
        assertThat(use(g, c)).as("store forgets the jti once the token can no longer pass").isNull();
    }

    @Test
    void tokenWithoutExpIsRememberedForADay() throws Exception {
        TestStore store = new TestStore(new MemoryReplayStore(clock, 1000));
        assertThat(admit(once(store), claims("exp", null))).isNull();
        assertThat(store.expiries).containsExactly(clock.millis() + Duration.ofDays(1).toMillis());
    }

    // ---- key ----

    @Test
    void keyIsLengthPrefixedSoSeparatorsInIssOrJtiCannotCollide() {
        Claims a = claims("iss", "a|b", "jti", "c");
        Claims b = claims("iss", "a", "jti", "b|c");
        Claims c = claims("iss", "ab", "jti", "c");
        Claims d = claims("iss", "a", "jti", "bc");
        Claims e = claims("iss", "1:a", "jti", "b");
        Claims f = claims("iss", null, "jti", "3:1:ab");
        assertThat(List.of(ReplayGuard.key(a), ReplayGuard.key(b), ReplayGuard.key(c), ReplayGuard.key(d),
                ReplayGuard.key(e), ReplayGuard.key(f))).doesNotHaveDuplicates();
        assertThat(ReplayGuard.key(claims("iss", "a|b", "jti", "c"))).isEqualTo(ReplayGuard.key(a));
    }

    @Test
    void tokensWhoseIssAndJtiJoinToTheSameTextAreBothAdmitted() throws Exception {
        TestStore store = new TestStore(new MemoryReplayStore(clock, 1000));
        ReplayGuard g = once(store);
        assertThat(use(g, claims("iss", "a|b", "jti", "c"))).isNull();
        assertThat(use(g, claims("iss", "a", "jti", "b|c"))).isNull();
        assertThat(use(g, claims("iss", "ab", "jti", "|c"))).isNull();
        assertThat(store.keys).doesNotHaveDuplicates().hasSize(3);
    }

    // ---- store failures ----

    @Test
    void storeFailureWithAllowAdmitsAndCounts() throws Exception {
        BrokenStore store = new BrokenStore(BrokenStore.How.FAILED_FUTURE);
        ReplayGuard g = guard(ReplayMode.ONCE, store, true, Duration.ofSeconds(1));
        assertThat(admit(g, claims())).isNull();
        assertThat(store.releases).as("failed at once: nothing sent, nothing to undo").isZero();
        assertThat(count("streamgate.replay.store.errors", "action", "allow")).isEqualTo(1);
        assertThat(count("streamgate.replay.store.errors", "action", "deny")).isZero();
        assertThat(count("streamgate.replay.operations", "op", "once", "result", "error")).isEqualTo(1);
    }

    @Test
    void storeFailureWithDenyIsReplayStoreUnavailable() throws Exception {
        ReplayGuard g = guard(ReplayMode.ONCE, new BrokenStore(BrokenStore.How.FAILED_FUTURE), false,
                Duration.ofSeconds(1));
        DenialReason r = admit(g, claims());
        assertThat(r).isEqualTo(DenialReason.REPLAY_STORE_UNAVAILABLE);
        assertThat(r.code()).isEqualTo("replay_store_unavailable");
        assertThat(r.status()).isEqualTo(503);
        assertThat(count("streamgate.replay.store.errors", "action", "deny")).isEqualTo(1);
        assertThat(count("streamgate.replay.store.errors", "action", "allow")).isZero();
    }

    @Test
    void storeThrowingInsteadOfFailingItsFutureIsTreatedTheSame() throws Exception {
        ReplayGuard deny = guard(ReplayMode.ONCE, new BrokenStore(BrokenStore.How.THROWS), false,
                Duration.ofSeconds(1));
        ReplayGuard allow = guard(ReplayMode.ONCE, new BrokenStore(BrokenStore.How.THROWS), true,
                Duration.ofSeconds(1));
        assertThat(admit(deny, claims())).isEqualTo(DenialReason.REPLAY_STORE_UNAVAILABLE);
        assertThat(admit(allow, claims())).isNull();
        assertThat(count("streamgate.replay.store.errors", "action", "deny")).isEqualTo(1);
        assertThat(count("streamgate.replay.store.errors", "action", "allow")).isEqualTo(1);
    }

    @Test
    void storeThatNeverAnswersTimesOutAsReplayStoreUnavailable() throws Exception {
        BrokenStore store = new BrokenStore(BrokenStore.How.NEVER_ANSWERS);
        ReplayGuard g = guard(ReplayMode.ONCE, store, false, Duration.ofMillis(50));
        CompletableFuture<ReplayDecision> verdict = g.admit(claims(), clock.millis()).toCompletableFuture();
        assertThat(verdict.get(5, TimeUnit.SECONDS).denied()).isEqualTo(DenialReason.REPLAY_STORE_UNAVAILABLE);
        assertThat(store.calls).isEqualTo(1);
        assertThat(store.releases).as("the reservation of unknown outcome is undone").isEqualTo(1);
        assertThat(count("streamgate.replay.store.errors", "action", "deny")).isEqualTo(1);
    }

    @Test
    void storeThatNeverAnswersWithAllowAdmitsAfterTheTimeout() throws Exception {
        ReplayGuard g = guard(ReplayMode.ONCE, new BrokenStore(BrokenStore.How.NEVER_ANSWERS), true,
                Duration.ofMillis(50));
        assertThat(g.admit(claims(), clock.millis()).toCompletableFuture().get(5, TimeUnit.SECONDS).denied()).isNull();
        assertThat(count("streamgate.replay.store.errors", "action", "allow")).isEqualTo(1);
    }

    @Test
    void storeAnsweringLaterButInTimeIsHonoured() throws Exception {
        BrokenStore store = new BrokenStore(BrokenStore.How.NEVER_ANSWERS);
        ReplayGuard g = guard(ReplayMode.ONCE, store, false, Duration.ofSeconds(5));
        CompletableFuture<ReplayDecision> verdict = g.admit(claims(), clock.millis()).toCompletableFuture();
        assertThat(verdict).isNotDone();
        store.pending.get(0).complete(false);
        assertThat(verdict.get(5, TimeUnit.SECONDS).denied()).isEqualTo(DenialReason.REPLAYED);
        assertThat(store.releases).isZero();
        assertThat(count("streamgate.replay.store.errors")).isZero();
    }

    @Test
    void fullMemoryStoreIsAStoreErrorForANewJti() throws Exception {
        MemoryReplayStore full = new MemoryReplayStore(clock, 1);
        ReplayGuard deny = guard(ReplayMode.ONCE, full, false, Duration.ofSeconds(1));
        Claims first = claims();
        assertThat(use(deny, first)).isNull();
        assertThat(admit(deny, claims())).isEqualTo(DenialReason.REPLAY_STORE_UNAVAILABLE);
        assertThat(use(deny, first)).as("a known jti is still a replay when full").isEqualTo(DenialReason.REPLAYED);
    }

    @Test
    void fullMemoryStoreWithAllowStillRefusesAReplay() throws Exception {
        MemoryReplayStore full = new MemoryReplayStore(clock, 1);
        ReplayGuard allow = guard(ReplayMode.ONCE, full, true, Duration.ofSeconds(1));
        Claims first = claims();
        assertThat(use(allow, first)).isNull();
        assertThat(admit(allow, claims())).as("new jti admitted under allow").isNull();
        assertThat(use(allow, first)).isEqualTo(DenialReason.REPLAYED);
    }

    // ---- admissions: reserve, then commit or release ----

    @Test
    void aReservedJtiIsRefusedToASecondUseUntilSettled() throws Exception {
        ReplayGuard g = once(new MemoryReplayStore(clock, 1000));
        Claims c = claims();
        ReplayDecision first = decide(g, c);
        assertThat(first.allowed()).isTrue();
        assertThat(first.admission()).isNotSameAs(Admission.NONE);
        assertThat(first.admission().leaseId()).isNull();
        assertThat(admit(g, c)).as("concurrent second use").isEqualTo(DenialReason.REPLAYED);
    }

    @Test
    void releaseLetsTheViewerRetryWithTheSameToken() throws Exception {
        ReplayGuard g = once(new MemoryReplayStore(clock, 1000));
        Claims c = claims();
        decide(g, c).admission().release();
        ReplayDecision retry = decide(g, c);
        assertThat(retry.denied()).isNull();
        retry.admission().commit();
        assertThat(admit(g, c)).isEqualTo(DenialReason.REPLAYED);
        assertThat(count("streamgate.replay.operations", "op", "release", "result", "ok")).isEqualTo(1);
        assertThat(count("streamgate.replay.operations", "op", "commit", "result", "ok")).isEqualTo(1);
    }

    @Test
    void commitAndReleaseAreIdempotentAndEachAtMostOneStoreCall() throws Exception {
        TestStore store = new TestStore(new MemoryReplayStore(clock, 1000));
        ReplayGuard g = once(store);
        Claims c = claims();
        Admission a = decide(g, c).admission();
        a.commit();
        a.commit();
        a.release();
        a.release();
        assertThat(store.calls("commit")).isEqualTo(1);
        assertThat(store.calls("releaseIfOwner")).as("release after commit does nothing").isZero();
        assertThat(admit(g, c)).isEqualTo(DenialReason.REPLAYED);
        assertThat(a.toString()).isEqualTo("Admission[once, committed]");
    }

    @Test
    void commitAfterReleaseIsHarmless() throws Exception {
        TestStore store = new TestStore(new MemoryReplayStore(clock, 1000));
        ReplayGuard g = once(store);
        Claims c = claims();
        Admission a = decide(g, c).admission();
        a.release();
        a.commit();
        assertThat(store.calls("commit")).isZero();
        assertThat(admit(g, c)).as("still unused").isNull();
    }

    @Test
    void aReservationNeitherCommittedNorReleasedLapsesAfterItsTerm() throws Exception {
        ReplayGuard g = new ReplayGuard(ReplayMode.ONCE, new MemoryReplayStore(clock, 1000), false, LEEWAY,
                Duration.ofSeconds(1), metrics, 1, Duration.ofSeconds(30), Duration.ofSeconds(5));
        assertThat(g.reservation()).isEqualTo(Duration.ofSeconds(5));
        Claims c = claims();
        assertThat(admit(g, c)).isNull(); // a request that crashed: never settled
        clock.advance(Duration.ofMillis(4_999));
        assertThat(admit(g, c)).isEqualTo(DenialReason.REPLAYED);
        clock.advance(Duration.ofMillis(1));
        assertThat(use(g, c)).isNull();
        assertThat(admit(g, c)).isEqualTo(DenialReason.REPLAYED);
    }

    @Test
    void concurrentFirstUsesAdmitExactlyOne() throws Exception {
        ReplayGuard g = once(new MemoryReplayStore(clock, 1000));
        Claims c = claims();
        int n = 50;
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(n);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(n);
        try {
            List<java.util.concurrent.Future<DenialReason>> all = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                all.add(pool.submit(() -> {
                    start.await(5, TimeUnit.SECONDS);
                    return admit(g, c);
                }));
            }
            int admitted = 0;
            for (var f : all) {
                DenialReason r = f.get(10, TimeUnit.SECONDS);
                if (r == null) {
                    admitted++;
                } else {
                    assertThat(r).isEqualTo(DenialReason.REPLAYED);
                }
            }
            assertThat(admitted).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aReserveThatLandsAfterTheTimeoutLeavesTheTokenFree() throws Exception {
        MemoryReplayStore memory = new MemoryReplayStore(clock, 1000);
        TestStore store = new TestStore(memory);
        store.holdReserves = true;
        ReplayGuard g = guard(ReplayMode.ONCE, store, false, Duration.ofMillis(50));
        Claims c = claims();
        assertThat(admit(g, c)).isEqualTo(DenialReason.REPLAY_STORE_UNAVAILABLE);
        assertThat(store.calls("releaseIfOwner")).as("undone at once").isEqualTo(1);
        store.landHeldReserves(); // the SET reaches the store after the guard gave up on it
        assertThat(store.calls("releaseIfOwner")).as("and again when it reports success").isEqualTo(2);
        store.holdReserves = false;
        assertThat(use(g, c)).as("the token was not burnt").isNull();
    }

    @Test
    void aTimedOutReserveUnderAllowAdmitsAndTheCommitStillConsumes() throws Exception {
        TestStore store = new TestStore(new MemoryReplayStore(clock, 1000));
        store.holdReserves = true;
        ReplayGuard g = guard(ReplayMode.ONCE, store, true, Duration.ofMillis(50));
        Claims c = claims();
        ReplayDecision d = decide(g, c);
        assertThat(d.allowed()).isTrue();
        store.landHeldReserves();
        d.admission().commit();
        store.holdReserves = false;
        assertThat(admit(g, c)).isEqualTo(DenialReason.REPLAYED);
    }

    @Test
    void aFailingCommitIsCountedAndTheReservationLapses() throws Exception {
        TestStore store = new TestStore(new MemoryReplayStore(clock, 1000));
        store.failCommits = true;
        ReplayGuard g = once(store);
        Claims c = claims();
        ReplayDecision d = decide(g, c);
        d.admission().commit();
        assertThat(count("streamgate.replay.operations", "op", "commit", "result", "error")).isEqualTo(1);
        clock.advance(ReplayGuard.DEFAULT_RESERVATION);
        store.failCommits = false;
        assertThat(use(g, c)).isNull();
    }

    @Test
    void modeOffAdmitsWithNothingToSettle() throws Exception {
        assertThat(decide(ReplayGuard.off(), claims()).admission()).isSameAs(Admission.NONE);
    }

    // ---- limit: the admission holds a session lease ----

    @Test
    void limitAdmissionHoldsALeaseUntilReleased() throws Exception {
        TestStore store = new TestStore(new MemoryReplayStore(clock, 1000));
        ReplayGuard g = guard(ReplayMode.LIMIT, store, false, Duration.ofSeconds(1));
        Claims c = claims();
        ReplayDecision first = decide(g, c);
        assertThat(first.allowed()).isTrue();
        assertThat(first.admission().leaseId()).isNotBlank();
        assertThat(admit(g, c)).isEqualTo(DenialReason.SESSION_LIMIT);
        first.admission().commit();
        assertThat(store.calls("releaseLease")).as("commit keeps the session").isZero();
        assertThat(admit(g, c)).isEqualTo(DenialReason.SESSION_LIMIT);
        assertThat(g.renewLease(first.admission().limitKey(), c.exp(), first.admission().leaseId()).toCompletableFuture().get(5, TimeUnit.SECONDS)).isNull();
        first.admission().release();
        first.admission().release();
        assertThat(store.calls("releaseLease")).isEqualTo(1);
        ReplayDecision next = decide(g, c);
        assertThat(next.allowed()).isTrue();
        assertThat(next.admission().leaseId()).isNotEqualTo(first.admission().leaseId());
    }
}
