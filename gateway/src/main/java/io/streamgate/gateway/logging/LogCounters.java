package io.streamgate.gateway.logging;

import java.util.concurrent.atomic.LongAdder;

/**
 * What logging lost or changed, for the meters ({@code streamgate_log_lines_dropped_total},
 * {@code streamgate_log_values_redacted_total}, registered by the gateway's metrics): one per
 * process, as Logback's context is.
 */
public final class LogCounters {
    private static final LongAdder QUEUE_FULL = new LongAdder();
    private static final LongAdder REDACTED = new LongAdder();

    private LogCounters() {
    }

    /** Lines dropped because the asynchronous appender's queue was full. */
    public static long linesDropped() {
        return QUEUE_FULL.sum();
    }

    /** Credential-shaped runs replaced by {@link Redactor#MASK}. */
    public static long valuesRedacted() {
        return REDACTED.sum();
    }

    static void dropped() {
        QUEUE_FULL.increment();
    }

    static void redacted(int n) {
        REDACTED.add(n);
    }
}
