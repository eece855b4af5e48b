package io.streamgate.filters.replay;

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
}
