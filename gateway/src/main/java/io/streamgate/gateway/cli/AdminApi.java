package io.streamgate.gateway.cli;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import picocli.CommandLine.Option;

/**
 * The options and the HTTP client of the commands that talk to a running gateway's admin API
 * ({@code revoke}, {@code revocations}, {@code keys --admin}): {@code --admin URL} and
 * {@code --admin-token T} (default {@code SG_ADMIN_TOKEN}); 5 s to connect, 10 s to the answer's
 * headers, 20 s for the whole exchange, answers up to 16 MiB.
 */
final class AdminApi {
    @Option(names = "--admin", required = true, paramLabel = "URL",
            description = "The gateway's admin listener, e.g. http://127.0.0.1:9090")
    URI admin;

    @Option(names = "--admin-token", paramLabel = "T", defaultValue = "${env:SG_ADMIN_TOKEN}",
            description = "The admin.token of that gateway (default: the SG_ADMIN_TOKEN environment variable)")
    String adminToken;

    /**
     * Sends {@code method path} with an optional JSON body; returns the answer, or null after
     * printing {@code error: cannot reach the admin API at ...} (the caller exits 1).
     */
    static HttpResponse<String> send(URI admin, String adminToken, String method, String path, String json)
            throws InterruptedException {
        HttpRequest.Builder req = HttpRequest.newBuilder(admin.resolve(path)).timeout(Duration.ofSeconds(10))
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(json));
        if (json != null || !"GET".equals(method)) {
            // the admin API takes a change only as JSON (or with no body), never a form or text/plain post
            req.header("Content-Type", "application/json");
        }
        if (adminToken != null && !adminToken.isEmpty()) {
            req.header("Authorization", "Bearer " + adminToken);
        }
        java.util.concurrent.CompletableFuture<HttpResponse<String>> answer = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build()
                .sendAsync(req.build(), info -> new Capped(MAX_ANSWER_BYTES));
        try {
            // one deadline for the whole exchange, body included (the request timeout covers the headers only)
            return answer.get(REQUEST_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            answer.cancel(true);
            System.err.println("error: the admin API at " + admin + " did not answer within " + REQUEST_SECONDS + " s");
            return null;
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable c = e.getCause() != null ? e.getCause() : e;
            System.err.println("error: cannot reach the admin API at " + admin + ": " + c.getClass().getSimpleName()
                    + (c.getMessage() == null ? "" : " " + Table.clean(c.getMessage())));
            return null;
        }
    }

    /** The largest admin answer read (a revocation list of 1,000,000 entries is not printed here). */
    static final int MAX_ANSWER_BYTES = 16 << 20;
    /** The whole exchange's deadline, connect to last byte. */
    static final int REQUEST_SECONDS = 20;

    /** A UTF-8 body of at most {@code max} bytes: a larger answer fails the exchange instead of filling the heap. */
    private static final class Capped implements HttpResponse.BodySubscriber<String> {
        private final int max;
        private final java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        private final java.util.concurrent.CompletableFuture<String> result = new java.util.concurrent.CompletableFuture<>();
        private java.util.concurrent.Flow.Subscription subscription;

        Capped(int max) {
            this.max = max;
        }

        @Override
        public java.util.concurrent.CompletionStage<String> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(java.util.concurrent.Flow.Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(java.util.List<java.nio.ByteBuffer> items) {
            for (java.nio.ByteBuffer b : items) {
                if (body.size() + b.remaining() > max) {
                    subscription.cancel();
                    result.completeExceptionally(new java.io.IOException("answer larger than " + max + " bytes"));
                    return;
                }
                byte[] chunk = new byte[b.remaining()];
                b.get(chunk);
                body.writeBytes(chunk);
            }
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            result.complete(body.toString(java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    HttpResponse<String> send(String method, String path, String json) throws InterruptedException {
        return send(admin, adminToken, method, path, json);
    }

    /** Prints the gateway's unexpected answer; a 400 is the caller's usage error (2), anything else 1. */
    static int unexpected(HttpResponse<String> r) {
        System.err.println("error: the gateway answered " + r.statusCode() + ": " + Table.clean(r.body()));
        return r.statusCode() == 400 ? Main.USAGE : Main.RUNTIME_FAILURE;
    }

    /** Epoch seconds as ISO-8601 UTC, e.g. {@code 2026-12-07T21:13:18Z}; null when out of range. */
    static String iso(long epochSeconds) {
        try {
            return java.time.Instant.ofEpochSecond(epochSeconds).toString();
        } catch (java.time.DateTimeException e) {
            return null;
        }
    }
}
