package io.streamgate.filters.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

import com.github.benmanes.caffeine.cache.Ticker;

/**
 * A clock tests move by hand: expiry and leeway are tested without sleeping. It is also the
 * monotonic {@link Ticker} the library derives from an injected clock ({@code
 * io.streamgate.filters.core.Tickers}): {@link #advance} moves both, {@link #set} moves only the
 * wall clock (as an NTP step would), so elapsed time never runs backwards.
 */
public final class MutableClock extends Clock implements Ticker {
    private volatile long millis;
    private volatile long nanos;

    public MutableClock(Instant start) {
        this.millis = start.toEpochMilli();
    }

    /** 2026-01-01T00:00:00Z. */
    public static MutableClock fixed() {
        return new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    }

    /** Moves wall-clock and elapsed time forward; a negative duration steps the wall clock only. */
    public void advance(Duration d) {
        millis += d.toMillis();
        if (!d.isNegative()) {
            nanos += d.toNanos();
        }
    }

    /** Steps the wall clock only; the ticker does not move. */
    public void set(Instant t) {
        millis = t.toEpochMilli();
    }

    public long epochSeconds() {
        return millis / 1000;
    }

    @Override
    public long millis() {
        return millis;
    }

    /** Elapsed nanoseconds, moved only by {@link #advance}. */
    @Override
    public long read() {
        return nanos;
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis);
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }
}
