package io.streamgate.filters.core;

import java.time.Clock;

import com.github.benmanes.caffeine.cache.Ticker;

/**
 * The monotonic time source behind every elapsed-time decision — the JWKS refetch throttle
 * ({@code minRefetch}), refresh scheduling and cache expiry — derived from the injected
 * {@link Clock}. Wall-clock millis are never used for these: an NTP step backwards would
 * otherwise freeze the throttle and the caches for as long as the step. Token times
 * ({@code exp}, {@code nbf}, {@code iat}) stay on the wall clock.
 */
public final class Tickers {
    private Tickers() {
    }

    /**
     * The clock's own ticker when the clock is also a Caffeine {@link Ticker} (a test clock
     * that advances both together, so tests move time without sleeping), otherwise
     * {@link Ticker#systemTicker()} ({@link System#nanoTime()}).
     */
    public static Ticker of(Clock clock) {
        return clock instanceof Ticker t ? t : Ticker.systemTicker();
    }
}
