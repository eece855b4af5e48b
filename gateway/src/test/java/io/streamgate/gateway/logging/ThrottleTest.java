package io.streamgate.gateway.logging;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/**
 * One line per key and client per interval, for a bounded number of clients, with the count of
 * those held back; keys are independent, and one client's lines do not hold back another's.
 */
class ThrottleTest {
    private final AtomicLong now = new AtomicLong(123_456_789L);
    private final Throttle throttle = new Throttle(3, 2, Duration.ofSeconds(10), now::get);

    @Test
    void oneLinePerKeyAndClientPerIntervalCountingTheRest() {
        assertThat(throttle.admit(0, "a")).as("first line").isZero();
        assertThat(throttle.admit(0, "a")).isEqualTo(-1);
        assertThat(throttle.admit(0, "a")).isEqualTo(-1);
        assertThat(throttle.admit(0, "b")).as("another client, same key: its own line, reporting a's two")
                .isEqualTo(2);
        assertThat(throttle.admit(0, "c")).as("a third client: past the bound").isEqualTo(-1);
        assertThat(throttle.admit(1, "a")).as("another key").isZero();
        now.addAndGet(Duration.ofSeconds(9).toNanos());
        assertThat(throttle.admit(0, "a")).isEqualTo(-1);
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(throttle.admit(0, "c")).as("a new interval: c's line, two held back").isEqualTo(2);
        assertThat(throttle.admit(0, "c")).isEqualTo(-1);
        assertThat(throttle.admit(0, "a")).isEqualTo(1);
        now.addAndGet(Duration.ofMinutes(5).toNanos());
        assertThat(throttle.admit(0, null)).as("no client: one key of its own").isZero();
        assertThat(throttle.admit(2, "a")).isZero();
    }
}
