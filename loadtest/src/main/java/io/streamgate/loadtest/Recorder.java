package io.streamgate.loadtest;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import org.HdrHistogram.Histogram;

/**
 * What happened at one target: latencies in microseconds (HdrHistogram, 3 significant
 * digits, up to one hour), outcome counts by status ({@code "200"}, {@code "401"}, or a
 * client-side failure such as {@code "timeout"}, {@code "connect"}), bytes received, named
 * counters (segments, frames, admitted, ...) and the request budget ({@code --max-requests}).
 * Thread-safe; values are recorded from Jetty's threads.
 */
public final class Recorder {
    static final long HIGHEST_MICROS = TimeUnit.HOURS.toMicros(1);

    private final Target target;
    private final long maxRequests;
    private final AtomicLong issued = new AtomicLong();
    private volatile long generation;
    private final org.HdrHistogram.Recorder interval = new org.HdrHistogram.Recorder(HIGHEST_MICROS, 3);
    private final Histogram total = new Histogram(HIGHEST_MICROS, 3);
    private Histogram recycled;
    private final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> counters = new ConcurrentHashMap<>();
    private final LongAdder bytes = new LongAdder();
    private final LongAdder ok = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final LongAdder completed = new LongAdder();

    public Recorder(Target target, long maxRequests) {
        this.target = target;
        this.maxRequests = maxRequests <= 0 ? Long.MAX_VALUE : maxRequests;
    }

    public Target target() {
        return target;
    }

    /** Takes one request from the budget; false once {@code --max-requests} were issued. */
    public boolean tryIssue() {
        if (issued.get() >= maxRequests) {
            return false;
        }
        return issued.incrementAndGet() <= maxRequests;
    }

    public boolean exhausted() {
        return issued.get() >= maxRequests;
    }

    public long issued() {
        return Math.min(issued.get(), maxRequests);
    }

    /** A response with an HTTP status (a WebSocket session that opened counts as 101). */
    public void recordStatus(int status, long latencyMicros) {
        outcome(String.valueOf(status), status >= 200 && status < 300 || status == 101);
        latency(latencyMicros);
    }

    /** A client-side failure (no status): {@code timeout}, {@code connect}, {@code refused_target}, ... */
    public void recordFailure(String kind, long latencyMicros) {
        outcome(kind, false);
        if (latencyMicros >= 0) {
            latency(latencyMicros);
        }
    }

    /** An error that is not a request of its own (e.g. a WebSocket closed early): counted, no latency. */
    public void recordError(String kind) {
        outcomes.computeIfAbsent(kind, k -> new LongAdder()).increment();
        errors.increment();
    }

    private void outcome(String key, boolean success) {
        outcomes.computeIfAbsent(key, k -> new LongAdder()).increment();
        completed.increment();
        if (success) {
            ok.increment();
        } else {
            errors.increment();
        }
    }

    private void latency(long micros) {
        interval.recordValue(Math.max(0, Math.min(micros, HIGHEST_MICROS)));
    }

    public void addBytes(long n) {
        bytes.add(n);
    }

    /** The counter named {@code name} (created on first use); keep the reference on hot paths. */
    public LongAdder counter(String name) {
        return counters.computeIfAbsent(name, k -> new LongAdder());
    }

    public long count(String name) {
        LongAdder a = counters.get(name);
        return a == null ? 0 : a.sum();
    }

    public long completed() {
        return completed.sum();
    }

    public long ok() {
        return ok.sum();
    }

    public long errors() {
        return errors.sum();
    }

    public long bytes() {
        return bytes.sum();
    }

    /** Outcome counts by status or failure kind, sorted. */
    public Map<String, Long> outcomes() {
        Map<String, Long> m = new TreeMap<>();
        outcomes.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    public Map<String, Long> counters() {
        Map<String, Long> m = new TreeMap<>();
        counters.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    /**
     * The latencies recorded since the previous call (for the progress line); they are also
     * added to the run's total.
     */
    public synchronized Histogram drainInterval() {
        Histogram h = interval.getIntervalHistogram(recycled);
        total.add(h);
        recycled = h;
        return h.copy();
    }

    /**
     * Forgets everything recorded so far (the end of a warm-up); the request budget and
     * counter references stay valid.
     */
    /**
     * Which measurement a request belongs to: {@link #reset()} starts the next, and requests
     * sent before it (a warm-up's, still in flight) are then not recorded (see {@code LoadRun.get}).
     */
    public long generation() {
        return generation;
    }

    public synchronized void reset() {
        generation++;
        interval.reset();
        total.reset();
        outcomes.clear();
        counters.values().forEach(LongAdder::reset);
        bytes.reset();
        ok.reset();
        errors.reset();
        completed.reset();
    }

    /** Every latency recorded so far (a copy). */
    public synchronized Histogram total() {
        Histogram h = interval.getIntervalHistogram(recycled);
        total.add(h);
        recycled = h;
        return total.copy();
    }
}
