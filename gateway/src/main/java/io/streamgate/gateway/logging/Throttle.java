package io.streamgate.gateway.logging;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;

/**
 * At most one line per key per interval, counting the lines it held back: a fixed array of
 * keys (an enum's ordinals), so it is bounded whatever the traffic. Lock-free; a line that
 * loses a race is counted as suppressed.
 */
public final class Throttle {
    private static final long NEVER = Long.MIN_VALUE;

    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private final AtomicLongArray next;
    private final AtomicLongArray suppressed;

    public Throttle(int keys, Duration interval, LongSupplier nanoTime) {
        this.intervalNanos = interval.toNanos();
        this.nanoTime = nanoTime;
        this.next = new AtomicLongArray(keys);
        this.suppressed = new AtomicLongArray(keys);
        for (int i = 0; i < keys; i++) {
            next.set(i, NEVER);
        }
    }

    /**
     * Whether a line for {@code key} may be written now: -1 when not (it is counted), else
     * how many were held back since the last line for that key.
     */
    public long admit(int key) {
        long now = nanoTime.getAsLong();
        long n = next.get(key);
        if ((n != NEVER && now - n < 0) || !next.compareAndSet(key, n, now + intervalNanos)) {
            suppressed.incrementAndGet(key);
            return -1;
        }
        return suppressed.getAndSet(key, 0);
    }
}
