package io.streamgate.filters.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.streamgate.filters.session.SessionStore;
import io.streamgate.filters.session.SessionStoreContract;
import io.streamgate.filters.testing.RedisServerProcess;

/** The Redis store against a real redis-server: the shared contract, and what Redis itself holds. */
class RedisSessionStoreTest extends SessionStoreContract {
    private static RedisServerProcess redis;
    private static RedisReplayStore replay;
    private static int prefixes;

    @BeforeAll
    static void start() throws Exception {
        redis = RedisServerProcess.start();
        replay = RedisReplayStore.connect(redis.uri(), "t:", Duration.ofSeconds(2));
    }

    @AfterAll
    static void stop() throws Exception {
        if (replay != null) {
            replay.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Override
    protected SessionStore store(int maxRevocations) {
        // a prefix of its own per store: each test starts with an empty revocation list and log
        return new RedisSessionStore(replay.commands(), "t" + (++prefixes) + ":", maxRevocations, 100_000);
    }

    @Override
    protected SessionStore store() {
        return store(1000);
    }

    @Test
    void aRecordExpiresWithItsKeepTimeAndIndexesLiveAsLongAsTheirNewestEntry() throws Exception {
        SessionStore s = store();
        get(s.open(record("kept", "jk", 2_000), "tk-kept", 60_000));
        String key = "t" + prefixes + ":s2:{kept}";
        long ttl = Long.parseLong(redis.command("PTTL " + key).trim().replace(":", ""));
        assertThat(ttl).isBetween(1L, 60_000L);
        get(s.renew("kept", 3_000, "jk2", "tk-kept2", 3_600_000));
        long after = Long.parseLong(redis.command("PTTL " + key).trim().replace(":", ""));
        assertThat(after).isLessThanOrEqualTo(60_000L); // a renewal does not stretch a record's life
    }

    @Test
    void aDamagedRecordReadsAsUnknownNeverAsAFailure() throws Exception {
        SessionStore s = store();
        redis.command("HSET t" + prefixes + ":s2:{bad} sid bad state nonsense cap x");
        assertThat(get(s.get("bad"))).isNull();
    }
}
