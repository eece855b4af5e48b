package io.streamgate.filters.keys;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Clock;
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
 */
public final class RemoteJwks implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RemoteJwks.class);
    /** A JWKS larger than this is refused as garbage. */
    static final int MAX_BYTES = 1 << 20;

    private final URI uri;
    private final String source;
    private final Duration refresh;
    private final Duration minRefetch;
    private final Duration timeout;
    private final HttpClient http;
    private final Executor parseExecutor;
    private final ScheduledExecutorService scheduler;
    private final KeyParser parser;
    private final Clock clock;
    private final StreamGateMetrics metrics;
    private final Runnable onChange;

    private volatile List<VerificationKey> keys = List.of();
    private volatile boolean loaded;
    private volatile boolean lastFetchFailed;
    private final java.util.concurrent.atomic.AtomicLong lastFetchStartMillis =
            new java.util.concurrent.atomic.AtomicLong(Long.MIN_VALUE / 2);
    private final AtomicReference<CompletableFuture<Void>> inFlight = new AtomicReference<>();
    private volatile ScheduledFuture<?> refreshTask;

    RemoteJwks(URI uri, String source, Duration refresh, Duration minRefetch, Duration timeout,
               HttpClient http, Executor parseExecutor, ScheduledExecutorService scheduler,
               KeyParser parser, Clock clock, StreamGateMetrics metrics, Runnable onChange) {
        this.uri = uri;
        this.source = source;
        this.refresh = refresh;
        this.minRefetch = minRefetch;
        this.timeout = timeout;
        this.http = http;
        this.parseExecutor = parseExecutor;
        this.scheduler = scheduler;
        this.parser = parser;
        this.clock = clock;
        this.metrics = metrics;
        this.onChange = onChange;
        metrics.keysLoaded(source, () -> keys.size());
    }

    /** Starts the first fetch and the periodic refresh; returns the first fetch. */
    CompletableFuture<Void> start() {
        CompletableFuture<Void> first = fetch();
        long period = refresh.toMillis();
        refreshTask = scheduler.scheduleWithFixedDelay(this::fetch, period, period, TimeUnit.MILLISECONDS);
        return first;
    }

    public List<VerificationKey> keys() {
        return keys;
    }

    public String source() {
        return source;
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
        CompletableFuture<Void> f = inFlight.get();
        if (f != null) {
            return f;
        }
        long now = clock.millis();
        long last = lastFetchStartMillis.get();
        if (now - last < minRefetch.toMillis()) {
            return null;
        }
        // Claim this interval: of racing callers exactly one starts a fetch.
        if (!lastFetchStartMillis.compareAndSet(last, now)) {
            return inFlight.get();
        }
        return fetch();
    }

    private CompletableFuture<Void> fetch() {
        CompletableFuture<Void> mine = new CompletableFuture<>();
        if (!inFlight.compareAndSet(null, mine)) {
            CompletableFuture<Void> other = inFlight.get();
            return other != null ? other : CompletableFuture.completedFuture(null);
        }
        lastFetchStartMillis.set(clock.millis());
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
                                LOG.warn("JWKS {} ({}): skipped keys: {}", source, uri, parsed.problems());
                            }
                            boolean first = !loaded;
                            List<VerificationKey> next = keepEqual(parsed.keys(), keys);
                            boolean changed = !next.equals(keys);
                            keys = next;
                            loaded = true;
                            lastFetchFailed = false;
                            metrics.keyFetch(source, true);
                            if (first) {
                                LOG.info("JWKS {} ({}): {} keys loaded", source, uri, keys.size());
                            } else if (changed) {
                                LOG.info("JWKS {} ({}): keys changed, {} now", source, uri, keys.size());
                            }
                            if (changed) {
                                onChange.run();
                            }
                        }
                    } finally {
                        inFlight.set(null);
                        mine.complete(null);
                    }
                });
        return mine;
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
        LOG.warn("JWKS {} ({}): fetch failed ({}); keeping {} last good keys", source, uri, why, keys.size());
    }

    @Override
    public void close() {
        ScheduledFuture<?> t = refreshTask;
        if (t != null) {
            t.cancel(false);
        }
    }
}
