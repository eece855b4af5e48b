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
 * {@code --admin-token T} (default {@code SG_ADMIN_TOKEN}); 5 s to connect, 10 s per request.
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
        if (json != null) {
            req.header("Content-Type", "application/json");
        }
        if (adminToken != null && !adminToken.isEmpty()) {
            req.header("Authorization", "Bearer " + adminToken);
        }
        try {
            return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
                    .build().send(req.build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            System.err.println("error: cannot reach the admin API at " + admin + ": " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()));
            return null;
        }
    }

    HttpResponse<String> send(String method, String path, String json) throws InterruptedException {
        return send(admin, adminToken, method, path, json);
    }

    /** Prints the gateway's unexpected answer; a 400 is the caller's usage error (2), anything else 1. */
    static int unexpected(HttpResponse<String> r) {
        System.err.println("error: the gateway answered " + r.statusCode() + ": " + r.body());
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
