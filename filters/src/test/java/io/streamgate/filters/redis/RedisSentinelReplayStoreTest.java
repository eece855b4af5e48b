package io.streamgate.filters.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.streamgate.filters.testing.RedisSentinelProcess;

/**
 * The Redis store through Redis Sentinel (a master, a replica, a sentinel): two stores share
 * one-time use before and after a failover, and recover by themselves, without a restart,
 * once the sentinel has promoted the replica. The recovery time is printed (and recorded in
 * docs/benchmarks.md); the test only bounds it (60 s: a busy machine), the figure is the benchmark's.
 */
class RedisSentinelReplayStoreTest {
    private static <T> T get(CompletionStage<T> s) throws Exception {
        return s.toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void oneTimeUseIsSharedBeforeAndAfterAFailoverThatIsRecoveredFromWithoutARestart() throws Exception {
        try (RedisSentinelProcess sentinel = RedisSentinelProcess.start();
             RedisReplayStore a = RedisReplayStore.connect(sentinel.uri(), "t:", Duration.ofSeconds(2));
             RedisReplayStore b = RedisReplayStore.connect(sentinel.uri(), "t:", Duration.ofSeconds(2))) {
            long exp = System.currentTimeMillis() + 120_000;
            assertThat(get(a.reserve("k-before", "a", 60_000, exp))).isTrue();
            assertThat(get(a.commit("k-before", "a", exp))).isTrue();
            assertThat(get(b.reserve("k-before", "b", 60_000, exp))).as("replayed at the other replica").isFalse();

            // replication is asynchronous: the use must have reached the replica before the crash
            long replicated = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!sentinel.cli(sentinel.replicaPort(), "EXISTS", "t:once:{k-before}").endsWith("1")
                    && System.nanoTime() < replicated) {
                Thread.sleep(20); // bounded poll
            }
            long killed = System.nanoTime();
            sentinel.killMaster();
            // until the replica is promoted, calls fail (onStoreError decides); then both recover
            long recoveredA = -1;
            long recoveredB = -1;
            long deadline = killed + TimeUnit.SECONDS.toNanos(90);
            int i = 0;
            while ((recoveredA < 0 || recoveredB < 0) && System.nanoTime() < deadline) {
                i++;
                if (recoveredA < 0 && works(a, "probe-a-" + i, exp)) {
                    recoveredA = System.nanoTime() - killed;
                }
                if (recoveredB < 0 && works(b, "probe-b-" + i, exp)) {
                    recoveredB = System.nanoTime() - killed;
                }
                Thread.sleep(100); // probing a recovering store at a bounded pace
            }
            System.out.printf("sentinel failover: store A recovered %d ms, store B %d ms after the master died%n",
                    TimeUnit.NANOSECONDS.toMillis(recoveredA), TimeUnit.NANOSECONDS.toMillis(recoveredB));
            assertThat(recoveredA).as("A recovered").isBetween(0L, TimeUnit.SECONDS.toNanos(60));
            assertThat(recoveredB).as("B recovered").isBetween(0L, TimeUnit.SECONDS.toNanos(60));
            assertThat(sentinel.currentMasterPort()).as("the replica was promoted").isEqualTo(sentinel.replicaPort());

            assertThat(get(a.reserve("k-after", "a", 60_000, exp))).isTrue();
            assertThat(get(a.commit("k-after", "a", exp))).isTrue();
            assertThat(get(b.reserve("k-after", "b", 60_000, exp))).as("shared again after the failover").isFalse();
            assertThat(get(b.reserve("k-before", "b", 60_000, exp)))
                    .as("a use committed before the failover survives it (replicated)").isFalse();
        }
    }

    private static boolean works(RedisReplayStore s, String key, long exp) {
        try {
            return get(s.reserve(key, "probe", 60_000, exp));
        } catch (Exception e) {
            return false;
        }
    }
}
