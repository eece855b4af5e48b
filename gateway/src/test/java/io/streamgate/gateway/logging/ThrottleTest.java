package io.streamgate.gateway.logging;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/** One line per key per interval, with the count of those held back; keys are independent. */
class ThrottleTest {
    private final AtomicLong now = new AtomicLong(123_456_789L);
    private final Throttle throttle = new Throttle(3, Duration.ofSeconds(10), now::get);

    @Test
    void oneLinePerKeyPerIntervalCountingTheRest() {
        assertThat(throttle.admit(0)).as("first line").isZero();
        assertThat(throttle.admit(0)).isEqualTo(-1);
        assertThat(throttle.admit(0)).isEqualTo(-1);
        assertThat(throttle.admit(1)).as("another key").isZero();
        now.addAndGet(Duration.ofSeconds(9).toNanos());
        assertThat(throttle.admit(0)).isEqualTo(-1);
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(throttle.admit(0)).as("three held back").isEqualTo(3);
        assertThat(throttle.admit(0)).isEqualTo(-1);
        now.addAndGet(Duration.ofMinutes(5).toNanos());
        assertThat(throttle.admit(0)).isEqualTo(1);
        assertThat(throttle.admit(2)).isZero();
    }
}
