package io.streamgate.loadtest;

import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.ToLongFunction;

import org.HdrHistogram.Histogram;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.http.HttpCookieStore;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.client.WebSocketClient;

/**
 * One run of a scenario: the checked targets with a {@link Recorder} each, the token source,
 * one Jetty {@link HttpClient} (asynchronous, a high connection limit, no redirects, no
 * cookies, the {@link TargetPolicy} as its address resolver), a timer, the clock (duration
 * and deadline), the in-flight count, and the progress line printed once a second.
 */
final class LoadRun implements AutoCloseable {
    final String scenario;
    final List<Target> targets;
    final List<Recorder> recorders;
    final TargetPolicy policy;
    final TokenSource tokens;
    final TokenPlacement placement;
    final Duration duration;
    final Duration timeout;
    final HttpClient http;
    final ScheduledExecutorService timer;
    final PrintWriter err;
    final boolean quiet;
    final Map<String, Object> parameters = new LinkedHashMap<>();
    final AtomicLong inFlight = new AtomicLong();
    private final QueuedThreadPool pool;
    private final List<ProcessCpu> cpu;
    private final double[] cpuAtStart;
    private volatile WebSocketClient webSockets;
    private volatile long startNanos;
    private volatile long deadlineNanos = Long.MAX_VALUE;
    private volatile boolean stopped;
    private volatile boolean warming;
    private Instant startedAt;
    private ScheduledFuture<?> progress;
    private final long[] lastCompleted;
    private long lastTick;
    private String throughputUnit = "ok req/s";
    private ToLongFunction<Recorder> throughputCount = Recorder::ok;

    private LoadRun(String scenario, CommonOptions o, Duration defaultDuration, PrintWriter err) throws Exception {
        this.scenario = scenario;
        this.err = err;
        this.quiet = o.quiet;
        this.policy = o.policy();
        this.targets = o.targets(policy);
        this.duration = o.duration(defaultDuration);
        this.timeout = o.timeout();
        this.placement = o.placement();
        this.tokens = o.tokens();
        this.cpu = o.cpuOf();
        this.cpuAtStart = new double[cpu.size()];
        this.recorders = new ArrayList<>();
        for (Target t : targets) {
            recorders.add(new Recorder(t, o.maxRequests));
        }
        this.lastCompleted = new long[targets.size()];
        parameters.put("duration", duration.toMillis() / 1000.0 + "s");
        parameters.put("maxRequestsPerTarget", o.maxRequests);
        parameters.put("timeout", timeout.toMillis() / 1000.0 + "s");
        parameters.put("tokens", tokens.describe());
        parameters.put("tokenIn", o.tokenIn);
        AtomicInteger n = new AtomicInteger();
        this.timer = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "loadtest-timer-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.pool = new QueuedThreadPool(Math.max(64, Runtime.getRuntime().availableProcessors() * 16), 8);
        pool.setName("loadtest-client");
        pool.setDaemon(true);
        HttpClient c = new HttpClient();
        c.setExecutor(pool);
        c.setMaxConnectionsPerDestination(o.connections);
        c.setMaxRequestsQueuedPerDestination(4_000_000);
        c.setFollowRedirects(false);
        c.setHttpCookieStore(new HttpCookieStore.Empty());
        c.setConnectTimeout(timeout.toMillis());
        c.setIdleTimeout(Math.max(30_000, timeout.toMillis() * 2));
        c.setSocketAddressResolver(policy.resolver());
        c.setUserAgentField(new HttpField(HttpHeader.USER_AGENT, "streamgate-loadtest"));
        if (o.insecure) {
            c.getSslContextFactory().setTrustAll(true);
            c.getSslContextFactory().setEndpointIdentificationAlgorithm(null);
        }
        this.http = c;
        c.start();
    }

    /** Parses the options, checks every target, prepares tokens and starts the clients (not the clock). */
    static LoadRun open(String scenario, CommonOptions o, Duration defaultDuration, PrintWriter err) throws Exception {
        return new LoadRun(scenario, o, defaultDuration, err);
    }

    /** What the report's throughput column counts, per second of the run. */
    void throughput(String unit, ToLongFunction<Recorder> count) {
        this.throughputUnit = unit;
        this.throughputCount = count;
    }

    /** The WebSocket client, on the same HttpClient (so on the same resolver guard). */
    synchronized WebSocketClient webSockets() throws Exception {
        if (webSockets == null) {
            WebSocketClient ws = new WebSocketClient(http);
            ws.setConnectTimeout(timeout.toMillis());
            ws.setIdleTimeout(Duration.ofMillis(Math.max(30_000, timeout.toMillis() * 2)));
            ws.start();
            webSockets = ws;
        }
        return webSockets;
    }

    /** Starts the clock and the progress line; returns the start in {@link System#nanoTime()} units. */
    long start() {
        return start(Duration.ZERO);
    }

    /**
     * Starts the clock with a warm-up before the measured {@code duration}: the deadline is
     * warm-up + duration; call {@link #beginMeasurement()} when the warm-up is over.
     */
    long start(Duration warmup) {
        startedAt = Instant.now();
        startNanos = System.nanoTime();
        deadlineNanos = startNanos + warmup.toNanos() + duration.toNanos();
        warming = !warmup.isZero();
        lastTick = startNanos;
        sampleCpu();
        if (!quiet) {
            progress = timer.scheduleAtFixedRate(this::printProgress, 1, 1, TimeUnit.SECONDS);
        }
        return startNanos;
    }

    long startNanos() {
        return startNanos;
    }

    /**
     * Ends the warm-up: everything recorded so far is dropped, and elapsed time and the
     * measured {@code duration} count from now.
     */
    void beginMeasurement() {
        beginMeasurement(System.nanoTime());
    }

    /**
     * Ends the warm-up as of {@code fromNanos} ({@link System#nanoTime()}): a scheduled scenario
     * passes the time its measured schedule starts, so that a late wake-up neither stretches
     * the measured window nor shortens the elapsed time its rate is divided by.
     */
    synchronized void beginMeasurement(long fromNanos) {
        for (Recorder r : recorders) {
            r.reset();
        }
        startedAt = Instant.now();
        startNanos = fromNanos;
        deadlineNanos = startNanos + duration.toNanos();
        lastTick = startNanos;
        java.util.Arrays.fill(lastCompleted, 0);
        sampleCpu();
        warming = false;
        if (!quiet) {
            err.println("warm-up over: measuring");
            err.flush();
        }
    }

    private void sampleCpu() {
        for (int i = 0; i < cpu.size(); i++) {
            cpuAtStart[i] = cpu.get(i).seconds();
        }
    }

    long deadlineNanos() {
        return deadlineNanos;
    }

    /** True until the duration is over or {@link #stop()} was called. */
    boolean running() {
        return !stopped && System.nanoTime() < deadlineNanos;
    }

    void stop() {
        stopped = true;
    }

    /** True once {@link #stop()} was called (whatever the clock says). */
    boolean stopped() {
        return stopped;
    }

    /** Parks the calling thread until {@code nanos} ({@link System#nanoTime()}), or until the run stops. */
    void sleepUntil(long nanos) {
        long now;
        while ((now = System.nanoTime()) < nanos && !stopped) {
            LockSupport.parkNanos(Math.min(nanos - now, 50_000_000L));
        }
    }

    /** Waits (bounded) until the run's deadline. */
    void awaitDeadline() {
        sleepUntil(deadlineNanos);
    }

    /** Waits until no request is in flight, at most {@code max}; true when idle. */
    boolean awaitIdle(Duration max) {
        long end = System.nanoTime() + max.toNanos();
        while (inFlight.get() > 0 && System.nanoTime() < end) {
            LockSupport.parkNanos(5_000_000L);
        }
        return inFlight.get() == 0;
    }

    /** A GET with the run's timeout. */
    Request newRequest(URI uri) {
        return http.newRequest(uri).timeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** How a GET ended: a status (and the body when asked for), or a failure kind and status 0. */
    record Outcome(int status, String body, String failure) {
        boolean ok() {
            return status == 200;
        }
    }

    /**
     * Sends a GET (asynchronously) with the token placed as configured. Counts body bytes;
     * when {@code record}, records the status or failure with the latency from
     * {@code startNanos} (the intended start: coordinated-omission safe when that is a
     * schedule time). Keeps up to {@code maxBody} bytes of the body for {@code then}, which
     * runs on a client thread and may send further requests.
     */
    void get(URI uri, String token, Recorder r, long startNanos, int maxBody, boolean record,
             java.util.function.Consumer<Outcome> then, java.util.function.Consumer<Request> customize) {
        inFlight.incrementAndGet();
        // a warm-up's request that completes after the measurement began is not measured
        long generation = r.generation();
        java.io.ByteArrayOutputStream body = maxBody > 0 ? new java.io.ByteArrayOutputStream() : null;
        Request req;
        try {
            req = newRequest(uri);
            placement.apply(req, token);
            if (customize != null) {
                customize.accept(req);
            }
        } catch (RuntimeException e) {
            inFlight.decrementAndGet();
            if (record) {
                r.recordFailure("bad_request", -1);
            }
            then.accept(new Outcome(0, null, "bad_request"));
            return;
        }
        req.onResponseContent((response, buffer) -> {
            int n = buffer.remaining();
            if (r.generation() == generation) {
                r.addBytes(n);
            }
            if (body != null && body.size() < maxBody) {
                byte[] chunk = new byte[Math.min(n, maxBody - body.size())];
                buffer.get(chunk);
                body.write(chunk, 0, chunk.length);
            }
        });
        req.send(result -> {
            try {
                long latency = micros(startNanos);
                boolean counted = record && r.generation() == generation;
                Outcome o;
                if (result.isFailed()) {
                    o = new Outcome(0, null, classify(result.getFailure()));
                    if (counted) {
                        r.recordFailure(o.failure(), latency);
                    }
                } else {
                    int status = result.getResponse().getStatus();
                    o = new Outcome(status, body == null ? null
                            : body.toString(java.nio.charset.StandardCharsets.UTF_8), null);
                    if (counted) {
                        r.recordStatus(status, latency);
                    }
                }
                if (then != null) {
                    then.accept(o);
                }
            } finally {
                inFlight.decrementAndGet();
            }
        });
    }

    /** Microseconds from {@code startNanos} to now. */
    static long micros(long startNanos) {
        return (System.nanoTime() - startNanos) / 1000;
    }

    /** The failure kind reported for a request that got no status. */
    static String classify(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof TargetPolicy.RefusedTargetException) {
                return "refused_target";
            }
            if (t instanceof TimeoutException || t instanceof java.net.SocketTimeoutException) {
                return "timeout";
            }
            if (t instanceof ConnectException) {
                return "connect";
            }
            if (t instanceof UnknownHostException) {
                return "unknown_host";
            }
            if (t instanceof ClosedChannelException || t instanceof java.io.EOFException) {
                return "closed";
            }
            if (t.getCause() == t) {
                break;
            }
        }
        String name = failure == null ? "unknown" : failure.getClass().getSimpleName();
        return "io_" + name.replace("Exception", "").toLowerCase(Locale.ROOT);
    }

    private synchronized void printProgress() {
        try {
            long now = System.nanoTime();
            double secs = (now - lastTick) / 1e9;
            if (secs < 0.25) {
                return; // just after the warm-up ended: too short to be a rate
            }
            lastTick = now;
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "[%4ds]", Math.round((now - startNanos) / 1e9)));
            if (warming) {
                sb.append(" warm-up");
            }
            for (int i = 0; i < recorders.size(); i++) {
                Recorder r = recorders.get(i);
                Histogram h = r.drainInterval();
                long done = r.completed();
                long delta = done - lastCompleted[i];
                lastCompleted[i] = done;
                if (i > 0) {
                    sb.append(" |");
                }
                sb.append(' ').append(r.target().name()).append(String.format(Locale.ROOT,
                        " %.0f/s ok %d err %d", delta / secs, r.ok(), r.errors()));
                if (h.getTotalCount() > 0) {
                    sb.append(String.format(Locale.ROOT, " p50 %.2fms p99 %.2fms",
                            h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0));
                }
                r.counters().forEach((k, v) -> sb.append(' ').append(k).append(' ').append(v));
            }
            err.println(sb);
            err.flush();
        } catch (RuntimeException e) {
            // progress must never end the run
        }
    }

    /** Stops the progress line and builds the report. */
    Report finish() {
        long end = System.nanoTime();
        if (progress != null) {
            progress.cancel(false);
        }
        double elapsed = Math.max(1e-9, (end - startNanos) / 1e9);
        List<Report.TargetResult> results = new ArrayList<>();
        for (Recorder r : recorders) {
            Histogram h = r.total();
            results.add(new Report.TargetResult(r.target().name(), r.target().display(), r.completed(), r.ok(),
                    r.errors(), r.outcomes(), throughputCount.applyAsLong(r) / elapsed, r.bytes(), r.counters(), h));
        }
        long units = 0;
        for (Recorder r : recorders) {
            units += throughputCount.applyAsLong(r);
        }
        List<Report.CpuUse> cpuUse = new ArrayList<>();
        for (int i = 0; i < cpu.size(); i++) {
            double now = cpu.get(i).seconds();
            if (now >= 0 && cpuAtStart[i] >= 0) {
                // a process named like a target (--cpu-of gateway=PID --target gateway=...) is that
                // target's server: its CPU is per unit of that target alone
                long per = units;
                for (Recorder r : recorders) {
                    if (r.target().name().equals(cpu.get(i).name())) {
                        per = throughputCount.applyAsLong(r);
                    }
                }
                cpuUse.add(new Report.CpuUse(cpu.get(i).name(), cpu.get(i).pid(), now - cpuAtStart[i], elapsed, per));
            }
        }
        return new Report(scenario, startedAt, elapsed, throughputUnit, parameters, results, cpuUse);
    }

    @Override
    public void close() {
        stopped = true;
        timer.shutdownNow();
        try {
            if (webSockets != null) {
                webSockets.stop();
            }
        } catch (Exception e) {
            // closing anyway
        }
        try {
            http.stop();
        } catch (Exception e) {
            // closing anyway
        }
    }
}
