package io.streamgate.filters.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.streamgate.filters.testing.MutableClock;

/** The memory store: the shared contract, and its bounds in time and count. */
class MemorySessionStoreTest extends SessionStoreContract {
    private final MutableClock clock = MutableClock.fixed();

    @Override
    protected SessionStore store(int maxRevocations) {
        return new MemorySessionStore(clock, 1000, maxRevocations, 100_000);
    }

    @Override
    protected SessionStore store() {
        return store(1000);
    }

    @Test
    void aRecordLastsItsKeepTimeWhateverItsCap() throws Exception {
        SessionStore s = store();
        get(s.open(record("a", "j", Long.MAX_VALUE / 2), "tk", Duration.ofMinutes(5).toMillis()));
        clock.advance(Duration.ofMinutes(4));
        assertThat(get(s.get("a"))).isNotNull();
        assertThat(get(s.renew("a", Long.MAX_VALUE / 2 + 1, "j2", "tk2", Duration.ofDays(365).toMillis()))).isNotNull();
        clock.advance(Duration.ofMinutes(2));
        assertThat(get(s.get("a"))).isNull(); // a renewal does not stretch a record's life
        assertThat(get(s.sessionsOf("tk", 10))).isEmpty();
    }

    @Test
    void oneTokenManyPlaylistsKeepsItsIndexBounded() throws Exception {
        SessionStore s = new MemorySessionStore(clock, 100_000);
        for (int i = 0; i < 10_000; i++) {
            get(s.open(record("s" + i, "same-jti", 2_000), "same-token", 60_000));
        }
        assertThat(get(s.sessionsOf("same-token", 1_000))).hasSize(SessionStore.MAX_PER_INDEX);
        assertThat(get(s.sessionsWithJti("same-jti", 1_000))).hasSize(SessionStore.MAX_PER_INDEX);
    }

    @Test
    void theChangeLogIsBoundedInLength() throws Exception {
        SessionStore s = new MemorySessionStore(clock, 1000, 1000, 50);
        String cursor = get(s.cursorBefore(0));
        for (int i = 0; i < 200; i++) {
            get(s.end("x" + i, SessionState.EVICTED));
        }
        assertThat(get(s.changesSince(cursor, 1000)).changes()).hasSize(50);
    }
}
