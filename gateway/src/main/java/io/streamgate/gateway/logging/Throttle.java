package io.streamgate.gateway.logging;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Rate-limits lines per key (an enum's ordinal) <em>and</em> per client, so that one client's
 * lines cannot hide another's: within an interval, each key writes at most one line per
 * client, for at most {@code clientsPerKey} distinct clients; everything else is held back
 * and counted, and the next line written for that key reports how many were. Bounded whatever
 * the traffic: a fixed table of keys × clients; a flood from many addresses costs one short
 * lock per line and fills at most {@code clientsPerKey} slots.
 */
public final class Throttle {
    private static final long NEVER = Long.MIN_VALUE;

    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private final Window[] windows;

    /** One key's interval: the clients it wrote a line for, and how many lines it held back. */
    private static final class Window {
        final String[] clients;
        int size;
        long end = NEVER;
        long held;

        Window(int clients) {
            this.clients = new String[clients];
        }
    }

    public Throttle(int keys, int clientsPerKey, Duration interval, LongSupplier nanoTime) {
        if (clientsPerKey < 1) {
            throw new IllegalArgumentException("clientsPerKey must be at least 1");
        }
        this.intervalNanos = interval.toNanos();
        this.nanoTime = nanoTime;
        this.windows = new Window[keys];
        for (int i = 0; i < keys; i++) {
            windows[i] = new Window(clientsPerKey);
        }
    }

    /**
     * Whether a line for {@code key} and {@code client} may be written now: -1 when not (it is
     * counted), else how many lines of {@code key} were held back since its last line.
     */
    public long admit(int key, String client) {
        String c = client == null ? "-" : client;
        long now = nanoTime.getAsLong();
        Window w = windows[key];
        synchronized (w) {
            if (w.end == NEVER || now - w.end >= 0) {
                w.end = now + intervalNanos;
                java.util.Arrays.fill(w.clients, 0, w.size, null);
                w.size = 0;
            }
            for (int i = 0; i < w.size; i++) {
                if (w.clients[i].equals(c)) {
                    w.held++;
                    return -1;
                }
            }
            if (w.size == w.clients.length) {
                w.held++;
                return -1;
            }
            w.clients[w.size++] = c;
            long held = w.held;
            w.held = 0;
            return held;
        }
    }
}
