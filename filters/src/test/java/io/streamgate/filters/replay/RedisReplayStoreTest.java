package io.streamgate.filters.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

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

    @Test
    void firstUseWinsOnceAndTheKeyExpiresWithTheToken() throws Exception {
        String k = key();
        long exp = System.currentTimeMillis() + 60_000;
        assertThat(get(store.markUsed(k, exp))).isTrue();
        assertThat(get(store.markUsed(k, exp))).isFalse();
        long pttl = Long.parseLong(redis.command("PTTL t:once:" + k).substring(1));
        assertThat(pttl).isBetween(1L, 60_000L);
    }

    @Test
    void concurrentFirstUsesAdmitExactlyOne() throws Exception {
        String k = key();
        long exp = System.currentTimeMillis() + 60_000;
        @SuppressWarnings("unchecked")
        CompletableFuture<Boolean>[] all = new CompletableFuture[50];
        for (int i = 0; i < all.length; i++) {
            all[i] = store.markUsed(k, exp).toCompletableFuture();
        }
        CompletableFuture.allOf(all).get(5, TimeUnit.SECONDS);
        long firsts = java.util.Arrays.stream(all).filter(CompletableFuture::join).count();
        assertThat(firsts).isEqualTo(1);
    }

    @Test
    void leasesAreLimitedReleasedAndExpire() throws Exception {
        String k = key();
        long exp = System.currentTimeMillis() + 60_000;
        assertThat(get(store.acquire(k, "s1", 2, 10_000, exp))).isTrue();
        assertThat(get(store.acquire(k, "s2", 2, 10_000, exp))).isTrue();
        assertThat(get(store.acquire(k, "s3", 2, 10_000, exp))).as("third of two").isFalse();
        assertThat(get(store.renew(k, "s1", 2, 10_000, exp))).as("a holder renews").isTrue();
        get(store.release(k, "s1"));
        assertThat(get(store.acquire(k, "s3", 2, 10_000, exp))).isTrue();
        assertThat(Long.parseLong(redis.command("PTTL t:lease:" + k).substring(1))).isBetween(1L, 10_000L);
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
            assertThat(get(s.markUsed(key(), System.currentTimeMillis() + 60_000))).isTrue();
            own.kill();
            long t0 = System.nanoTime();
            ExecutionException e = org.assertj.core.api.Assertions.catchThrowableOfType(
                    () -> s.markUsed(key(), System.currentTimeMillis() + 60_000).toCompletableFuture().get(5, TimeUnit.SECONDS),
                    ExecutionException.class);
            assertThat(e).as("a failure, not a hang").isNotNull();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(3000);
            own.launch();
            assertThat(eventually(() -> {
                try {
                    return s.markUsed(key(), System.currentTimeMillis() + 60_000).toCompletableFuture().get(1, TimeUnit.SECONDS);
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
}
