package io.streamgate.filters.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.streamgate.filters.testing.RedisClusterProcess;

/**
 * The Redis store on a real three-master Redis Cluster (made with {@code redis-cli --cluster
 * create}): two stores, as two replicas would hold, share one-time use and session leases
 * for keys on every master; a token's keys share a hash tag, so its scripts never cross slots.
 */
class RedisClusterReplayStoreTest {
    private static RedisClusterProcess cluster;
    private static RedisReplayStore a;
    private static RedisReplayStore b;

    @BeforeAll
    static void start() throws Exception {
        cluster = RedisClusterProcess.start(3);
        a = RedisReplayStore.connect(cluster.uri(), "t:", Duration.ofMillis(1000));
        b = RedisReplayStore.connect(cluster.uri(), "t:", Duration.ofMillis(1000));
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {a, b, cluster}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private static <T> T get(CompletionStage<T> s) throws Exception {
        return s.toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void twoReplicasShareOneTimeUseForKeysOnEveryMaster() throws Exception {
        long exp = System.currentTimeMillis() + 60_000;
        for (int i = 0; i < 60; i++) {
            String key = "3:iss" + "jti-" + i;
            assertThat(get(a.reserve(key, "owner-a", 30_000, exp))).as("first use of %s", key).isTrue();
            assertThat(get(b.reserve(key, "owner-b", 30_000, exp))).as("concurrent use at the other replica").isFalse();
            assertThat(get(a.commit(key, "owner-a", exp))).isTrue();
            assertThat(get(b.reserve(key, "owner-b", 30_000, exp))).as("replayed at the other replica").isFalse();
            assertThat(get(b.releaseIfOwner(key, "owner-b"))).as("not b's to release").isFalse();
        }
        for (int port : cluster.ports()) {
            assertThat(cluster.keys(port)).as("keys on the master at %d", port).isPositive();
        }
    }

    @Test
    void aReleasedReservationIsFreeOnEveryReplica() throws Exception {
        long exp = System.currentTimeMillis() + 60_000;
        for (int i = 0; i < 20; i++) {
            String key = "3:iss" + "released-" + i;
            assertThat(get(a.reserve(key, "owner-a", 30_000, exp))).isTrue();
            assertThat(get(a.releaseIfOwner(key, "owner-a"))).isTrue();
            assertThat(get(b.reserve(key, "owner-b", 30_000, exp))).as("the origin failed: retry elsewhere").isTrue();
        }
    }

    @Test
    void sessionLeasesAreSharedAcrossReplicas() throws Exception {
        long exp = System.currentTimeMillis() + 60_000;
        for (int i = 0; i < 20; i++) {
            String key = "3:iss" + "lease-" + i;
            assertThat(get(a.acquire(key, "s1", 1, 10_000, exp))).isTrue();
            assertThat(get(b.acquire(key, "s2", 1, 10_000, exp))).as("one session per token").isFalse();
            get(a.releaseLease(key, "s1"));
            assertThat(get(b.acquire(key, "s2", 1, 10_000, exp))).isTrue();
        }
    }

    @Test
    void scriptsRunByShaSurviveAScriptFlushOnEveryNode() throws Exception {
        for (int port : cluster.ports()) {
            cluster.cli(port, "SCRIPT", "FLUSH");
        }
        long exp = System.currentTimeMillis() + 60_000;
        for (int i = 0; i < 10; i++) {
            String key = "3:iss" + "flushed-" + i;
            assertThat(get(a.reserve(key, "o", 30_000, exp))).isTrue();
            assertThat(get(a.commit(key, "o", exp))).as("EVALSHA falls back to EVAL on NOSCRIPT").isTrue();
        }
    }

    /**
     * What a dead master costs (measured, printed, recorded in docs/benchmarks.md): with
     * Redis's default {@code cluster-require-full-coverage yes}, every key fails once the
     * cluster marks the master failed; with {@code no}, only the keys of its slots (about a
     * third) fail and the rest keep working. There are no replicas here to promote.
     */
    @Test
    void aDeadMasterFailsItsShareOfKeys() throws Exception {
        for (boolean fullCoverage : new boolean[] {true, false}) {
            try (RedisClusterProcess c = RedisClusterProcess.start(3, fullCoverage);
                 RedisReplayStore s = RedisReplayStore.connect(c.uri(), "t:", Duration.ofMillis(300))) {
                long exp = System.currentTimeMillis() + 60_000;
                assertThat(failing(s, "warm", exp)).isZero();
                c.kill(c.ports()[0]);
                int soon = failing(s, "soon", exp);
                c.awaitMarkedFailed(c.ports()[0]); // past cluster-node-timeout (2 s): the others mark it failed
                int later = failing(s, "later", exp);
                System.out.printf("cluster-require-full-coverage %s: one of three masters dead: %d/60 keys failed "
                        + "at once, %d/60 once the cluster marked it failed%n", fullCoverage ? "yes" : "no", soon, later);
                assertThat(soon).as("its slots fail at once").isBetween(1, 59);
                if (fullCoverage) {
                    assertThat(later).as("the whole cluster refuses once it is marked failed").isEqualTo(60);
                } else {
                    assertThat(later).as("only its slots").isBetween(1, 59);
                }
            }
        }
    }

    private static int failing(RedisReplayStore s, String round, long exp) {
        int failed = 0;
        for (int i = 0; i < 60; i++) {
            try {
                get(s.reserve("3:iss" + round + "-" + i, "o", 30_000, exp));
            } catch (Exception e) {
                failed++;
            }
        }
        return failed;
    }
}
