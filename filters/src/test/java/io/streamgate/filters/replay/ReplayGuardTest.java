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

import io.streamgate.filters.DenialReason;
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

    /** Waits (bounded) for the verdict; null means admitted. */
    private DenialReason admit(ReplayGuard g, Claims c) throws Exception {
        return g.admit(c, clock.millis()).toCompletableFuture().get(5, TimeUnit.SECONDS);
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

        BrokenStore(How how) {
            this.how = how;
        }

        @Override
        public CompletionStage<Boolean> markUsed(String key, long expiresAtMillis) {
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
        public CompletionStage<Void> release(String key, String sessionId) {
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

    /** The real memory store, remembering what it was asked (to check the key and expiry handed over). */
    private static final class RecordingStore implements ReplayStore {
        private final MemoryReplayStore delegate;
        final List<String> keys = new ArrayList<>();
        final List<Long> expiries = new ArrayList<>();

        RecordingStore(MemoryReplayStore delegate) {
            this.delegate = delegate;
        }

        @Override
        public CompletionStage<Boolean> markUsed(String key, long expiresAtMillis) {
            keys.add(key);
            expiries.add(expiresAtMillis);
            return delegate.markUsed(key, expiresAtMillis);
        }

        @Override
        public CompletionStage<Boolean> acquire(String key, String sessionId, int maxSessions, long leaseMillis,
                                                long expiresAtMillis) {
            return delegate.acquire(key, sessionId, maxSessions, leaseMillis, expiresAtMillis);
        }

        @Override
        public CompletionStage<Boolean> renew(String key, String sessionId, int maxSessions, long leaseMillis,
                                              long expiresAtMillis) {
            return delegate.renew(key, sessionId, maxSessions, leaseMillis, expiresAtMillis);
        }

        @Override
        public CompletionStage<Void> release(String key, String sessionId) {
            return delegate.release(key, sessionId);
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
        assertThat(admit(g, c)).isNull();
        assertThat(admit(g, c)).isEqualTo(DenialReason.REPLAYED);
        assertThat(admit(g, c)).isEqualTo(DenialReason.REPLAYED);
        assertThat(count("streamgate.replay.operations", "op", "once", "result", "first")).isEqualTo(1);
        assertThat(count("streamgate.replay.operations", "op", "once", "result", "replayed")).isEqualTo(2);
    }

    @Test
    void onceTellsDifferentJtisApart() throws Exception {
        ReplayGuard g = once(new MemoryReplayStore(clock, 1000));
        assertThat(admit(g, claims("jti", "one"))).isNull();
        assertThat(admit(g, claims("jti", "two"))).isNull();
        assertThat(admit(g, claims("jti", "one"))).isEqualTo(DenialReason.REPLAYED);
    }

    @Test
    void sameJtiFromAnotherIssuerIsAnotherToken() throws Exception {
        ReplayGuard g = once(new MemoryReplayStore(clock, 1000));
        assertThat(admit(g, claims("iss", "https://a.example", "jti", "j1"))).isNull();
        assertThat(admit(g, claims("iss", "https://b.example", "jti", "j1"))).isNull();
        assertThat(admit(g, claims("iss", "https://a.example", "jti", "j1"))).isEqualTo(DenialReason.REPLAYED);
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
        RecordingStore store = new RecordingStore(new MemoryReplayStore(clock, 1000));
        ReplayGuard g = once(store);
        Claims c = claims();
        assertThat(admit(g, c)).isNull();
        assertThat(store.expiries).containsExactly(c.exp() * 1000 + LEEWAY.toMillis());
        clock.set(java.time.Instant.ofEpochMilli(c.exp() * 1000 + LEEWAY.toMillis() - 1));
        assertThat(admit(g, c)).isEqualTo(DenialReason.REPLAYED);
        clock.advance(Duration.ofMillis(2));
        assertThat(admit(g, c)).as("store forgets the jti once the token can no longer pass").isNull();
    }

    @Test
    void tokenWithoutExpIsRememberedForADay() throws Exception {
        RecordingStore store = new RecordingStore(new MemoryReplayStore(clock, 1000));
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
        RecordingStore store = new RecordingStore(new MemoryReplayStore(clock, 1000));
        ReplayGuard g = once(store);
        assertThat(admit(g, claims("iss", "a|b", "jti", "c"))).isNull();
        assertThat(admit(g, claims("iss", "a", "jti", "b|c"))).isNull();
        assertThat(admit(g, claims("iss", "ab", "jti", "|c"))).isNull();
        assertThat(store.keys).doesNotHaveDuplicates().hasSize(3);
    }

    // ---- store failures ----

    @Test
    void storeFailureWithAllowAdmitsAndCounts() throws Exception {
        ReplayGuard g = guard(ReplayMode.ONCE, new BrokenStore(BrokenStore.How.FAILED_FUTURE), true,
                Duration.ofSeconds(1));
        assertThat(admit(g, claims())).isNull();
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
        CompletableFuture<DenialReason> verdict = g.admit(claims(), clock.millis()).toCompletableFuture();
        assertThat(verdict.get(5, TimeUnit.SECONDS)).isEqualTo(DenialReason.REPLAY_STORE_UNAVAILABLE);
        assertThat(store.calls).isEqualTo(1);
        assertThat(count("streamgate.replay.store.errors", "action", "deny")).isEqualTo(1);
    }

    @Test
    void storeThatNeverAnswersWithAllowAdmitsAfterTheTimeout() throws Exception {
        ReplayGuard g = guard(ReplayMode.ONCE, new BrokenStore(BrokenStore.How.NEVER_ANSWERS), true,
                Duration.ofMillis(50));
        assertThat(g.admit(claims(), clock.millis()).toCompletableFuture().get(5, TimeUnit.SECONDS)).isNull();
        assertThat(count("streamgate.replay.store.errors", "action", "allow")).isEqualTo(1);
    }

    @Test
    void storeAnsweringLaterButInTimeIsHonoured() throws Exception {
        BrokenStore store = new BrokenStore(BrokenStore.How.NEVER_ANSWERS);
        ReplayGuard g = guard(ReplayMode.ONCE, store, false, Duration.ofSeconds(5));
        CompletableFuture<DenialReason> verdict = g.admit(claims(), clock.millis()).toCompletableFuture();
        assertThat(verdict).isNotDone();
        store.pending.get(0).complete(false);
        assertThat(verdict.get(5, TimeUnit.SECONDS)).isEqualTo(DenialReason.REPLAYED);
        assertThat(count("streamgate.replay.store.errors")).isZero();
    }

    @Test
    void fullMemoryStoreIsAStoreErrorForANewJti() throws Exception {
        MemoryReplayStore full = new MemoryReplayStore(clock, 1);
        ReplayGuard deny = guard(ReplayMode.ONCE, full, false, Duration.ofSeconds(1));
        Claims first = claims();
        assertThat(admit(deny, first)).isNull();
        assertThat(admit(deny, claims())).isEqualTo(DenialReason.REPLAY_STORE_UNAVAILABLE);
        assertThat(admit(deny, first)).as("a known jti is still a replay when full").isEqualTo(DenialReason.REPLAYED);
    }

    @Test
    void fullMemoryStoreWithAllowStillRefusesAReplay() throws Exception {
        MemoryReplayStore full = new MemoryReplayStore(clock, 1);
        ReplayGuard allow = guard(ReplayMode.ONCE, full, true, Duration.ofSeconds(1));
        Claims first = claims();
        assertThat(admit(allow, first)).isNull();
        assertThat(admit(allow, claims())).as("new jti admitted under allow").isNull();
        assertThat(admit(allow, first)).isEqualTo(DenialReason.REPLAYED);
    }
}
