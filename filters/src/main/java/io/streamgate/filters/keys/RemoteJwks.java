package io.streamgate.filters.keys;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.github.benmanes.caffeine.cache.Ticker;

import io.streamgate.filters.core.Redaction;
import io.streamgate.filters.metrics.StreamGateMetrics;

/**
 * Keys from a JWKS URL, fetched asynchronously: at start, every {@code refresh}, and early
 * when a token names an unknown kid — but then single-flight (callers share the fetch under
 * way) and at most once per {@code minRefetch}, so a flood of random kids cannot turn into a
 * flood of requests to the identity provider. When the endpoint fails, times out or returns
 * garbage, the last good keys stay in use and {@code streamgate_keys_fetches_total{result=
 * "failure"}} rises.
 *
 * <p>No request thread ever waits on the network here: {@link #refetchEarly()} returns a
 * future that the caller composes with.
 *
 * <p>Every fetch is one {@link Attempt}, published with a single compare-and-set that both
 * claims the {@code minRefetch} interval and makes the attempt's future visible: whoever sees
 * the claim sees the future, so a caller racing a starting fetch shares it and is never told
 * "no refetch" while one is starting. Elapsed time (the throttle, when a refresh is due) is
 * read from a monotonic {@link Ticker}, never from the wall clock.
 */
public final class RemoteJwks implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RemoteJwks.class);
    /** A JWKS larger than this is refused as garbage. */
    static final int MAX_BYTES = 1 << 20;

    private final URI uri;
    /** The URL as logs and {@code /keys} show it: no userinfo password, no query values ({@link Redaction}). */
    private final String shown;
    private final String source;
    private final long refreshNanos;
    private final long minRefetchNanos;
    private final long pollMillis;
    private final Duration timeout;
    private final HttpClient http;
    private final Executor parseExecutor;
    private final ScheduledExecutorService scheduler;
    private final KeyParser parser;
    private final Ticker ticker;
    private final StreamGateMetrics metrics;
    private final Runnable onChange;

    private volatile List<VerificationKey> keys = List.of();
    private volatile boolean loaded;
    private volatile boolean lastFetchFailed;
    /** The latest fetch, under way or done; replaced only by compare-and-set. */
    private final AtomicReference<Attempt> latest;
    private volatile ScheduledFuture<?> refreshTask;

    RemoteJwks(URI uri, String source, Duration refresh, Duration minRefetch, Duration timeout,
               HttpClient http, Executor parseExecutor, ScheduledExecutorService scheduler,
               KeyParser parser, Ticker ticker, StreamGateMetrics metrics, Runnable onChange) {
        this.uri = uri;
        this.shown = Redaction.url(uri.toString());
        this.source = source;
        this.refreshNanos = refresh.toNanos();
        this.minRefetchNanos = minRefetch.toNanos();
        // The scheduler only wakes the check; whether a refresh is due is the ticker's call.
        this.pollMillis = Math.max(10, Math.min(refresh.toMillis(), 1000));
        this.timeout = timeout;
        this.http = http;
        this.parseExecutor = parseExecutor;
        this.scheduler = scheduler;
        this.parser = parser;
        this.ticker = ticker;
        this.metrics = metrics;
        this.onChange = onChange;
        // Never fetched: an early refetch may start at once (refresh waits for start()).
        this.latest = new AtomicReference<>(new Attempt(ticker.read() - minRefetchNanos,
                CompletableFuture.completedFuture(null)));
        metrics.keysLoaded(source, () -> keys.size());
    }

    /** One fetch: when it started on the ticker, and its completion (never exceptional). */
    private record Attempt(long startedNanos, CompletableFuture<Void> done) {
    }

    /** Starts the first fetch and the periodic refresh; returns the first fetch. */
    CompletableFuture<Void> start() {
        Attempt cur = latest.get();
        CompletableFuture<Void> first = cur.done.isDone() ? claim(cur, ticker.read()) : cur.done;
        refreshTask = scheduler.scheduleWithFixedDelay(this::pollRefresh, pollMillis, pollMillis,
                TimeUnit.MILLISECONDS);
        return first;
    }

    private void pollRefresh() {
        try {
            refreshIfDue();
        } catch (RuntimeException e) {
            // A throwing task would never run again: log and keep polling.
            LOG.warn("JWKS {} ({}): refresh check failed", source, shown, e);
        }
    }

    /**
     * Starts the periodic refresh when {@code refresh} has passed on the ticker since the
     * latest fetch started (an early refetch counts); returns the latest fetch's future,
     * under way, new or already done.
     */
    CompletableFuture<Void> refreshIfDue() {
        Attempt cur = latest.get();
        if (!cur.done.isDone()) {
            return cur.done;
        }
        long now = ticker.read();
        return now - cur.startedNanos < refreshNanos ? cur.done : claim(cur, now);
    }

    public List<VerificationKey> keys() {
        return keys;
    }

    public String source() {
        return source;
    }

    public URI uri() {
        return uri;
    }

    /** The URL as it may be shown (logs, {@code /keys}): without secrets. */
    public String shown() {
        return shown;
    }

    /**
     * Starts from keys another instance for the same URL had loaded (a configuration reload):
     * they serve until this instance's first fetch replaces them. Call before {@link #start()}.
     */
    void seed(List<VerificationKey> last) {
        if (!last.isEmpty() && !loaded) {
            keys = List.copyOf(last);
            loaded = true;
        }
    }

    /** True once a fetch has succeeded at least once. */
    public boolean loaded() {
        return loaded;
    }

    /** True when the most recent fetch failed (old keys, if any, are still in use). */
    public boolean failing() {
        return lastFetchFailed;
    }

    /**
     * Refetch because a token named an unknown kid: returns the fetch under way, or a new one,
     * or null when the last fetch started less than {@code minRefetch} ago.
     */
    CompletableFuture<Void> refetchEarly() {
        Attempt cur = latest.get();
        if (!cur.done.isDone()) {
            return cur.done;
        }
        long now = ticker.read();
        if (now - cur.startedNanos < minRefetchNanos) {
            return null;
        }
        return claim(cur, now);
    }

    /**
     * Claims the next fetch over {@code seen} and starts it. The claim and its future are one
     * object set by one compare-and-set, so of racing callers exactly one starts a fetch and
     * every loser gets the winner's future (possibly already done), never null.
     */
    private CompletableFuture<Void> claim(Attempt seen, long now) {
        Attempt mine = new Attempt(now, new CompletableFuture<>());
        if (!latest.compareAndSet(seen, mine)) {
            return latest.get().done;
        }
        try {
            send(mine.done);
        } catch (RuntimeException e) {
            // Nothing was sent (e.g. the executors are shut down): a failed fetch, never a
            // future left pending that every later caller would wait on.
            if (!mine.done.isDone()) {
                failed(e.toString());
                mine.done.complete(null);
            }
        }
        return mine.done;
    }

    private void send(CompletableFuture<Void> mine) {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout)
                .header("Accept", "application/jwk-set+json, application/json").GET().build();
        CompletableFuture<HttpResponse<byte[]>> response;
        try {
            // The body is collected without blocking any thread (a blocking InputStream read on
            // the client's own single executor thread deadlocks: the bytes it waits for are
            // delivered by that same thread), and the whole exchange, body included, is bounded
            // by the timeout below.
            response = http.sendAsync(request, info -> info.statusCode() == 200
                    ? new BoundedBody(MAX_BYTES) : HttpResponse.BodySubscribers.replacing((byte[]) null));
        } catch (RuntimeException e) {
            response = CompletableFuture.failedFuture(e);
        }
        response.orTimeout(timeout.toMillis() * 2, TimeUnit.MILLISECONDS)
                .thenApplyAsync(this::read, parseExecutor)
                .whenComplete((parsed, error) -> {
                    try {
                        if (error != null) {
                            failed(error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                                    ? error.getCause().toString() : error.toString());
                        } else if (parsed.keys().isEmpty()) {
                            failed("no usable keys" + (parsed.problems().isEmpty() ? "" : ": " + parsed.problems()));
                        } else {
                            if (!parsed.problems().isEmpty()) {
                                LOG.warn("JWKS {} ({}): skipped keys: {}", source, shown, parsed.problems());
                            }
                            boolean first = !loaded;
                            List<VerificationKey> next = keepEqual(parsed.keys(), keys);
                            boolean changed = !next.equals(keys);
                            keys = next;
                            loaded = true;
                            lastFetchFailed = false;
                            metrics.keyFetch(source, true);
                            if (first) {
                                LOG.info("JWKS {} ({}): {} keys loaded", source, shown, keys.size());
                            } else if (changed) {
                                LOG.info("JWKS {} ({}): keys changed, {} now", source, shown, keys.size());
                            }
                            if (changed) {
                                onChange.run();
                            }
                        }
                    } finally {
                        mine.complete(null);
                    }
                });
    }

    /**
     * The fetched keys, each replaced by the instance already in use when they are equal (same
     * kid, algorithms and key bytes): an unchanged JWKS keeps the very same key objects, so the
     * index need not be rebuilt and nothing cached against them is lost.
     */
    static List<VerificationKey> keepEqual(List<VerificationKey> fetched, List<VerificationKey> current) {
        if (current.isEmpty()) {
            return List.copyOf(fetched);
        }
        java.util.Map<VerificationKey, VerificationKey> old = new java.util.HashMap<>();
        for (VerificationKey k : current) {
            old.putIfAbsent(k, k);
        }
        VerificationKey[] out = new VerificationKey[fetched.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = old.getOrDefault(fetched.get(i), fetched.get(i));
        }
        return List.of(out);
    }

    private KeyParser.Result read(HttpResponse<byte[]> response) {
        if (response.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + response.statusCode());
        }
        return parser.parse(response.body(), null, source);
    }

    /** Collects a body of at most {@code limit} bytes; a larger one is cancelled and fails. */
    private static final class BoundedBody implements HttpResponse.BodySubscriber<byte[]> {
        private final int limit;
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        private Flow.Subscription subscription;

        BoundedBody(int limit) {
            this.limit = limit;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (result.isDone()) {
                return;
            }
            for (ByteBuffer b : items) {
                if (out.size() + b.remaining() > limit) {
                    subscription.cancel();
                    result.completeExceptionally(new IllegalStateException("JWKS larger than " + limit + " bytes"));
                    return;
                }
                byte[] chunk = new byte[b.remaining()];
                b.get(chunk);
                out.write(chunk, 0, chunk.length);
            }
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            result.complete(out.toByteArray());
        }
    }

    private void failed(String why) {
        lastFetchFailed = true;
        metrics.keyFetch(source, false);
        LOG.warn("JWKS {} ({}): fetch failed ({}); keeping {} last good keys", source, shown, why, keys.size());
    }

    @Override
    public void close() {
        ScheduledFuture<?> t = refreshTask;
        if (t != null) {
            t.cancel(false);
        }
    }
}
