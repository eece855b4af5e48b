package io.streamgate.filters.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.streamgate.filters.replay.ReplayDecision;
import io.streamgate.filters.replay.ReplayGuard;
import io.streamgate.filters.replay.ReplayMode;
import io.streamgate.filters.replay.ReplayStore;
import io.streamgate.filters.testing.RedisServerProcess;

/** The Redis store against a real redis-server. */
class RedisReplayStoreTest {
    private static RedisServerProcess redis;
    private static RedisReplayStore store;

    @BeforeAll
    static void start() throws Exception {
        redis = RedisServerProcess.start();
        store = RedisReplayStore.connect(redis.uri(), "t:", Duration.ofMillis(500));
    }

    @AfterAll
    static void stop() throws Exception {
        if (store != null) {
            store.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    private static <T> T get(java.util.concurrent.CompletionStage<T> s) throws Exception {
        return s.toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    private static String key() {
        return java.util.UUID.randomUUID().toString();
    }

    private static final long RESERVE = 30_000;

    private static String owner() {
        return java.util.UUID.randomUUID().toString();
    }

    private static long pttl(String key) throws Exception {
        return Long.parseLong(redis.command("PTTL " + key).substring(1));
    }

    @Test
    void reserveThenCommitConsumesUntilTheTokenExpires() throws Exception {
        String k = key();
        String o = owner();
        long exp = System.currentTimeMillis() + 600_000;
        assertThat(get(store.reserve(k, o, RESERVE, exp))).isTrue();
        assertThat(pttl("t:once:{" + k + "}")).as("a reservation is short").isBetween(1L, RESERVE);
        assertThat(get(store.reserve(k, owner(), RESERVE, exp))).isFalse();
        assertThat(get(store.commit(k, o, exp))).isTrue();
        assertThat(get(store.commit(k, o, exp))).as("idempotent").isTrue();
        assertThat(pttl("t:once:{" + k + "}")).as("a use lives with the token").isBetween(RESERVE + 1, 600_000L);
        assertThat(get(store.releaseIfOwner(k, o))).as("release after commit does nothing").isFalse();
        assertThat(get(store.reserve(k, owner(), RESERVE, exp))).isFalse();
    }

    @Test
    void isTakenReadsAReservationOrAUseAndTakesNothing() throws Exception {
        String k = key();
        String o = owner();
        long exp = System.currentTimeMillis() + 600_000;
        assertThat(get(store.isTaken(k))).isFalse();
        assertThat(get(store.reserve(k, o, RESERVE, exp))).as("the probe held nothing").isTrue();
        assertThat(get(store.isTaken(k))).as("reserved").isTrue();
        assertThat(get(store.commit(k, o, exp))).isTrue();
        assertThat(get(store.isTaken(k))).as("consumed").isTrue();
    }

    @Test
    void releaseThenRetryIsAdmittedAgain() throws Exception {
        String k = key();
        String o = owner();
        long exp = System.currentTimeMillis() + 60_000;
        assertThat(get(store.reserve(k, o, RESERVE, exp))).isTrue();
        assertThat(get(store.releaseIfOwner(k, owner()))).as("not another owner's to free").isFalse();
        assertThat(get(store.commit(k, owner(), exp))).as("nor to commit").isFalse();
        assertThat(get(store.releaseIfOwner(k, o))).isTrue();
        String retry = owner();
        assertThat(get(store.reserve(k, retry, RESERVE, exp))).isTrue();
        assertThat(get(store.commit(k, o, exp))).as("commit after release: the key is someone else's now").isFalse();
        assertThat(get(store.commit(k, retry, exp))).isTrue();
    }

    @Test
    void commitAfterReleaseOfAFreeKeyConsumesIt() throws Exception {
        String k = key();
        String o = owner();
        long exp = System.currentTimeMillis() + 60_000;
        assertThat(get(store.reserve(k, o, RESERVE, exp))).isTrue();
        assertThat(get(store.releaseIfOwner(k, o))).isTrue();
        assertThat(get(store.commit(k, o, exp))).isTrue();
        assertThat(get(store.reserve(k, owner(), RESERVE, exp))).isFalse();
    }

    @Test
    void aReservationLapsesAfterItsTerm() throws Exception {
        String k = key();
        long exp = System.currentTimeMillis() + 60_000;
        assertThat(get(store.reserve(k, owner(), 200, exp))).isTrue();
        assertThat(get(store.reserve(k, owner(), 200, exp))).isFalse();
        assertThat(eventually(() -> join(store.reserve(k, owner(), RESERVE, exp)))).as("after the term").isTrue();
    }

    @Test
    void concurrentFirstUsesOnTwoReplicasReserveExactlyOnce() throws Exception {
        String k = key();
        long exp = System.currentTimeMillis() + 60_000;
        try (RedisReplayStore other = RedisReplayStore.connect(redis.uri(), "t:", Duration.ofMillis(500))) {
            @SuppressWarnings("unchecked")
            CompletableFuture<Boolean>[] all = new CompletableFuture[50];
            for (int i = 0; i < all.length; i++) {
                all[i] = (i % 2 == 0 ? store : other).reserve(k, owner(), RESERVE, exp).toCompletableFuture();
            }
            CompletableFuture.allOf(all).get(5, TimeUnit.SECONDS);
            long firsts = java.util.Arrays.stream(all).filter(CompletableFuture::join).count();
            assertThat(firsts).isEqualTo(1);
        }
    }

    @Test
    void scriptsSurviveScriptFlush() throws Exception {
        String k = key();
        String o = owner();
        long exp = System.currentTimeMillis() + 60_000;
        assertThat(get(store.reserve(k, o, RESERVE, exp))).isTrue();
        assertThat(redis.command("SCRIPT FLUSH")).isEqualTo("+OK");
        assertThat(get(store.releaseIfOwner(k, o))).as("NOSCRIPT answered by EVAL").isTrue();
        assertThat(get(store.reserve(k, o, RESERVE, exp))).isTrue();
        assertThat(get(store.commit(k, o, exp))).isTrue();
        assertThat(redis.command("SCRIPT FLUSH")).isEqualTo("+OK");
        assertThat(get(store.acquire(k, "s1", 1, 10_000, exp))).isTrue();
        assertThat(redis.command("SCRIPT EXISTS " + RedisReplayStore.Script.of(RedisReplayStore.LEASE_SCRIPT).sha()))
                .as("cached again by the fallback").contains(":1");
    }

    @Test
    void aReserveDelayedPastTheGuardsTimeoutLeavesTheTokenFree() throws Exception {
        java.util.List<CompletableFuture<Boolean>> reserves = new java.util.concurrent.CopyOnWriteArrayList<>();
        // Its own connection, whose command timeout (2 s) outlasts the pause: the SET's reply comes, late.
        RedisReplayStore patient = RedisReplayStore.connect(redis.uri(), "t:", Duration.ofSeconds(2));
        ReplayStore watched = new ForwardingStore(patient) {
            @Override
            public java.util.concurrent.CompletionStage<Boolean> reserve(String key, String owner, long ms, long exp) {
                CompletableFuture<Boolean> f = patient.reserve(key, owner, ms, exp).toCompletableFuture();
                reserves.add(f);
                return f;
            }
        };
        ReplayGuard guard = new ReplayGuard(ReplayMode.ONCE, watched, false, Duration.ofSeconds(30),
                Duration.ofMillis(100), io.streamgate.filters.metrics.StreamGateMetrics.noop());
        String jti = key();
        io.streamgate.filters.verify.Claims claims = claims("https://idp.example", jti);
        String k = ReplayGuard.key(claims);
        // Writes are held back for 600 ms: the SET lands long after the guard gave up on it.
        assertThat(redis.command("CLIENT PAUSE 600 WRITE")).isEqualTo("+OK");
        ReplayDecision d = guard.admit(claims, System.currentTimeMillis()).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(d.denied()).isEqualTo(io.streamgate.filters.core.DenialReason.REPLAY_STORE_UNAVAILABLE);
        assertThat(reserves).hasSize(1);
        assertThat(reserves.get(0).get(5, TimeUnit.SECONDS)).as("the SET did land, late").isTrue();
        assertThat(eventually(() -> {
            try {
                return redis.command("EXISTS t:once:{" + k + "}").equals(":0");
            } catch (java.io.IOException e) {
                return false;
            }
        })).as("and was undone").isTrue();
        ReplayDecision retry = guard.admit(claims, System.currentTimeMillis()).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(retry.denied()).as("the viewer retries with the same token").isNull();
        retry.admission().commit();
        patient.close();
    }

    @Test
    void guardOverRedisReleasesAndCommits() throws Exception {
        ReplayGuard guard = new ReplayGuard(ReplayMode.ONCE, store, false, Duration.ofSeconds(30),
                Duration.ofSeconds(2), io.streamgate.filters.metrics.StreamGateMetrics.noop());
        io.streamgate.filters.verify.Claims claims = claims("https://idp.example", key());
        ReplayDecision first = get(guard.admit(claims, System.currentTimeMillis()));
        assertThat(first.allowed()).isTrue();
        assertThat(get(guard.admit(claims, System.currentTimeMillis())).denied())
                .isEqualTo(io.streamgate.filters.core.DenialReason.REPLAYED);
        first.admission().release();
        // release is asynchronous: the retry is admitted once it landed (bounded poll)
        ReplayDecision[] retry = new ReplayDecision[1];
        assertThat(eventually(() -> {
            retry[0] = guard.admit(claims, System.currentTimeMillis()).toCompletableFuture().join();
            return retry[0].allowed();
        })).isTrue();
        retry[0].admission().commit();
        assertThat(eventually(() -> guard.admit(claims, System.currentTimeMillis()).toCompletableFuture().join().denied()
                == io.streamgate.filters.core.DenialReason.REPLAYED)).isTrue();
    }

    /** Claims of a token with the given issuer and jti (replay protection reads only iss, jti, exp). */
    private static io.streamgate.filters.verify.Claims claims(String iss, String jti) throws Exception {
        io.streamgate.filters.testing.TestKeys key = io.streamgate.filters.testing.TestKeys.es256("redis-k");
        io.streamgate.filters.verify.TokenVerifier verifier = new io.streamgate.filters.verify.TokenVerifier(
                io.streamgate.filters.verify.VerifyPolicy.defaults(), io.streamgate.filters.testing.Fixture.crypto());
        String token = io.streamgate.filters.testing.Tokens.signedBy(key, System.currentTimeMillis() / 1000)
                .claim("iss", iss).claim("jti", jti).sign();
        io.streamgate.filters.verify.DecodedToken d = verifier.decode(token);
        io.streamgate.filters.verify.Verification v = verifier.verify(d,
                io.streamgate.filters.testing.Fixture.registry(key).find(d.kid(), d.algorithm()));
        assertThat(v.ok()).isTrue();
        return v.token().claims();
    }

    /** Delegates everything; tests override what they watch. */
    private static class ForwardingStore implements ReplayStore {
        private final ReplayStore d;

        ForwardingStore(ReplayStore d) {
            this.d = d;
        }

        @Override
        public java.util.concurrent.CompletionStage<Boolean> isTaken(String key) {
            return d.isTaken(key);
        }

        @Override
        public java.util.concurrent.CompletionStage<Boolean> reserve(String key, String owner, long ms, long exp) {
            return d.reserve(key, owner, ms, exp);
        }

        @Override
        public java.util.concurrent.CompletionStage<Boolean> commit(String key, String owner, long exp) {
            return d.commit(key, owner, exp);
        }

        @Override
        public java.util.concurrent.CompletionStage<Boolean> releaseIfOwner(String key, String owner) {
            return d.releaseIfOwner(key, owner);
        }

        @Override
        public java.util.concurrent.CompletionStage<Boolean> acquire(String key, String s, int max, long ms, long exp) {
            return d.acquire(key, s, max, ms, exp);
        }

        @Override
        public java.util.concurrent.CompletionStage<Boolean> renew(String key, String s, int max, long ms, long exp) {
            return d.renew(key, s, max, ms, exp);
        }

        @Override
        public java.util.concurrent.CompletionStage<Void> releaseLease(String key, String s) {
            return d.releaseLease(key, s);
        }

        @Override
        public java.util.concurrent.CompletionStage<Void> ping() {
            return d.ping();
        }

        @Override
        public String name() {
            return d.name();
        }
    }

    @Test
    void leasesAreLimitedReleasedAndExpire() throws Exception {
        String k = key();
        long exp = System.currentTimeMillis() + 60_000;
        assertThat(get(store.acquire(k, "s1", 2, 10_000, exp))).isTrue();
        assertThat(get(store.acquire(k, "s2", 2, 10_000, exp))).isTrue();
        assertThat(get(store.acquire(k, "s3", 2, 10_000, exp))).as("third of two").isFalse();
        assertThat(get(store.renew(k, "s1", 2, 10_000, exp))).as("a holder renews").isTrue();
        get(store.releaseLease(k, "s1"));
        assertThat(get(store.acquire(k, "s3", 2, 10_000, exp))).isTrue();
        assertThat(Long.parseLong(redis.command("PTTL t:lease:{" + k + "}").substring(1))).isBetween(1L, 10_000L);
    }

    @Test
    void lapsedLeasesFreeThemselves() throws Exception {
        String k = key();
        long exp = System.currentTimeMillis() + 60_000;
        assertThat(get(store.acquire(k, "crashed-replica", 1, 300, exp))).isTrue();
        assertThat(get(store.acquire(k, "s2", 1, 300, exp))).isFalse();
        assertThat(eventually(() -> join(store.acquire(k, "s2", 1, 300, exp)))).as("after the lease lapses").isTrue();
    }

    @Test
    void leasesNeverOutliveTheToken() throws Exception {
        String k = key();
        assertThat(get(store.acquire(k, "s1", 1, 60_000, System.currentTimeMillis() - 1))).isFalse();
    }

    @Test
    void pingAnswers() throws Exception {
        assertThat(get(store.ping().thenApply(x -> Boolean.TRUE)).booleanValue()).isTrue();
        assertThat(store.name()).isEqualTo("redis");
    }

    @Test
    void anUnreachableStoreFailsFastAndRecovers() throws Exception {
        try (RedisServerProcess own = RedisServerProcess.start();
             RedisReplayStore s = RedisReplayStore.connect(own.uri(), "r:", Duration.ofMillis(200))) {
            assertThat(get(s.reserve(key(), owner(), RESERVE, System.currentTimeMillis() + 60_000))).isTrue();
            own.kill();
            long t0 = System.nanoTime();
            ExecutionException e = org.assertj.core.api.Assertions.catchThrowableOfType(
                    () -> s.reserve(key(), owner(), RESERVE, System.currentTimeMillis() + 60_000).toCompletableFuture().get(5, TimeUnit.SECONDS),
                    ExecutionException.class);
            assertThat(e).as("a failure, not a hang").isNotNull();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(3000);
            own.launch();
            assertThat(eventually(() -> {
                try {
                    return s.reserve(key(), owner(), RESERVE, System.currentTimeMillis() + 60_000).toCompletableFuture().get(1, TimeUnit.SECONDS);
                } catch (Exception x) {
                    return false;
                }
            })).as("reconnects without restart").isTrue();
        }
    }

    private static boolean join(java.util.concurrent.CompletionStage<Boolean> s) {
        return s.toCompletableFuture().join();
    }

    /** Bounded poll: true once the condition holds, within 15 s. */
    static boolean eventually(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }

    /**
     * {@code rediss://}: the store over TLS against a TLS-only redis-server. The test's server
     * has a self-signed certificate, so the URI says {@code verifyPeer=NONE} (Lettuce's own
     * option); production keeps verification on and trusts its CA through the JVM's trust store.
     */
    @Test
    void rediss() throws Exception {
        try (RedisServerProcess tls = RedisServerProcess.startTls();
             RedisReplayStore a = RedisReplayStore.connect(java.net.URI.create(tls.uri() + "?verifyPeer=NONE"), "t:",
                     Duration.ofSeconds(2));
             RedisReplayStore b = RedisReplayStore.connect(java.net.URI.create(tls.uri() + "?verifyPeer=NONE"), "t:",
                     Duration.ofSeconds(2))) {
            long exp = System.currentTimeMillis() + 60_000;
            assertThat(get(a.reserve("tls-key", "a", 30_000, exp))).isTrue();
            assertThat(get(a.commit("tls-key", "a", exp))).isTrue();
            assertThat(get(b.reserve("tls-key", "b", 30_000, exp))).as("shared over TLS").isFalse();
            assertThat(RedisReplayStore.problem(tls.uri() + "?verifyPeer=NONE")).isNull();
        }
    }

    @Test
    void evictingAcquireEndsTheSessionThatFirstTookItsLease() throws Exception {
        String k = key();
        long far = System.currentTimeMillis() + 3_600_000;
        assertThat(get(store.acquireEvicting(k, "first", 2, 30_000, far))).isEmpty();
        assertThat(get(store.acquireEvicting(k, "second", 2, 30_000, far))).isEmpty();
        assertThat(get(store.renew(k, "first", 2, 30_000, far))).as("renewing does not make it younger").isTrue();
        assertThat(get(store.acquireEvicting(k, "third", 2, 30_000, far))).isEqualTo("first");
        assertThat(get(store.acquire(k, "fourth", 2, 30_000, far))).as("a plain acquire never evicts").isFalse();
        assertThat(get(store.renew(k, "first", 2, 30_000, far))).isFalse();
        store.releaseLease(k, "second").toCompletableFuture().get();
        assertThat(get(store.acquireEvicting(k, "fifth", 2, 30_000, far))).as("room again: nobody evicted").isEmpty();
        assertThat(get(store.acquireEvicting(k, "late", 2, 30_000, System.currentTimeMillis() - 1))).isNull();
    }
}
