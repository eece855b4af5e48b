package io.streamgate.loadtest;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code revocation-propagation}: how long a revocation made at one replica takes to be in
 * force at another. Each round mints a token, checks that replica B admits it, revokes its
 * {@code jti} through replica A's admin API ({@code POST /revocations}), then asks B again every
 * {@code --poll} until B answers {@code 401 revoked} (at most {@code --deadline}); the delay,
 * from just before the revocation was sent to B's first {@code 401 revoked}, goes into a
 * histogram. The revocation is lifted afterwards ({@code DELETE /revocations/{id}}) unless
 * {@code --keep}. Prints p50, p90, p99 and max. A random pause of up to {@code --spread} before
 * each revocation keeps the rounds out of step with the replicas' revocation polling (rounds
 * that follow each other at once would each start just after a poll and all measure close to a
 * full polling interval).
 *
 * <p>The replicas must share a store ({@code replay.store: redis}) and run with
 * {@code replay.mode: off} or {@code limit}: the admission check and the polls reuse one token.
 * Loopback targets only unless {@code --allow-host}. Tokens are never printed.
 *
 * <pre>{@code
 * java -jar loadtest/target/streamgate-loadtest.jar revocation-propagation \
 *   --admin http://127.0.0.1:9091 --target http://127.0.0.1:8082 --path /live/demo/master.m3u8 \
 *   --key lt/private.pem --kid lt --claim 'roles=[{"eventId":"demo"}]' --count 100
 * }</pre>
 */
@Command(name = "revocation-propagation", mixinStandardHelpOptions = true,
        description = "Measure how long a revocation made at replica A (--admin) takes to refuse a token at replica B "
                + "(--target): p50/p90/p99/max over --count revocations.")
final class RevocationPropagationCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--admin", required = true, paramLabel = "URL",
            description = "Replica A's admin listener, where revocations are made, e.g. http://127.0.0.1:9091")
    URI admin;

    @Option(names = "--admin-token", paramLabel = "T", defaultValue = "${env:SG_ADMIN_TOKEN}",
            description = "A's admin.token (default: the SG_ADMIN_TOKEN environment variable)")
    String adminToken;

    @Option(names = "--target", required = true, paramLabel = "URL",
            description = "Replica B's public listener, where the token is checked, e.g. http://127.0.0.1:8082")
    URI target;

    @Option(names = "--path", defaultValue = "/live/demo/master.m3u8", paramLabel = "PATH",
            description = "What to request at B with ?token= (default ${DEFAULT-VALUE})")
    String path;

    @Option(names = "--count", defaultValue = "100", paramLabel = "N",
            description = "Revocations to measure, one after the other (default ${DEFAULT-VALUE})")
    int count;

    @Option(names = "--poll", defaultValue = "10ms", paramLabel = "D",
            description = "Pause between B's checks after a revocation (default ${DEFAULT-VALUE})")
    String poll;

    @Option(names = "--deadline", defaultValue = "10s", paramLabel = "D",
            description = "Give up on one revocation after this long; counted as not propagated (default ${DEFAULT-VALUE})")
    String deadline;

    @Option(names = "--spread", defaultValue = "1s", paramLabel = "D",
            description = "Wait a random 0..D before each revocation, so that rounds do not fall into step with the "
                    + "replicas' revocation polling (0: none; default ${DEFAULT-VALUE})")
    String spread;

    @Option(names = "--keep", description = "Keep the revocations (default: lift each when measured)")
    boolean keep;

    @Option(names = "--allow-host", paramLabel = "HOST",
            description = "Also allow this non-loopback host (exact name or address; repeatable).")
    List<String> allowHosts = new ArrayList<>();

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the figures as JSON to this file.")
    Path json;

    @Mixin
    MintOptions mint = new MintOptions();

    @Spec
    CommandSpec spec;

    /** What the command line asks for, checked: the URLs to use and the timings. */
    record Plan(URI revocations, URI check, Duration poll, Duration deadline, Duration spread) {
    }

    /** Checks the options without sending anything; throws {@link UsageException} naming the option. */
    Plan plan() {
        if (count < 1 || count > 100_000) {
            throw new UsageException("--count must be between 1 and 100000, was " + count);
        }
        Duration p = CommonOptions.parse("--poll", poll);
        Duration d = CommonOptions.parse("--deadline", deadline);
        Duration s = CommonOptions.parseOrZero("--spread", spread);
        if (s.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new UsageException("--spread must be at most 1m, was " + spread);
        }
        if (p.toMillis() < 1 || p.compareTo(Duration.ofSeconds(1)) > 0) {
            throw new UsageException("--poll must be between 1ms and 1s, was " + poll);
        }
        if (d.compareTo(p) <= 0) {
            throw new UsageException("--deadline must be longer than --poll, was " + deadline);
        }
        if (!path.startsWith("/") || path.contains("?") || path.contains("#")) {
            throw new UsageException("--path must be an absolute path without query, was \"" + path + "\"");
        }
        URI a = base("--admin", admin);
        URI b = base("--target", target);
        TargetPolicy policy = new TargetPolicy(allowHosts);
        policy.check(a);
        policy.check(b);
        return new Plan(a.resolve("/revocations"), b.resolve(path), p, d, s);
    }

    private static URI base(String option, URI uri) {
        if (uri.getScheme() == null || !uri.getScheme().matches("https?") || uri.getHost() == null) {
            throw new UsageException(option + ": not an http(s) URL: \"" + uri + "\"");
        }
        if (uri.getRawQuery() != null) {
            throw new UsageException(option + ": no query expected: \"" + Target.display(uri) + "\"");
        }
        return uri;
    }

    @Override
    public Integer call() throws Exception {
        Plan plan = plan();
        TokenMinter minter = mint.minter();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NEVER).build();
        Histogram delays = new Histogram(TimeUnit.MINUTES.toMicros(5), 3);
        int notPropagated = 0;
        int storeRefusals = 0;
        var err = spec.commandLine().getErr();
        var out = spec.commandLine().getOut();
        for (int i = 0; i < count; i++) {
            String token = minter.next();
            String jti = jti(token);
            URI check = URI.create(plan.check() + "?token=" + token);
            HttpResponse<String> before = get(http, check);
            if (before.statusCode() != 200) {
                throw new UsageException("round " + (i + 1) + ": B did not admit a fresh token: " + before.statusCode()
                        + " " + reason(before) + " (check --path, the mint options and B's keys; replay.mode must be "
                        + "off or limit)");
            }
            if (!plan.spread().isZero()) {
                // out of step with the replicas' polling: a round would otherwise start just after a poll
                Thread.sleep(java.util.concurrent.ThreadLocalRandom.current().nextLong(plan.spread().toMillis() + 1));
            }
            String body = JSON.createObjectNode().put("jti", jti).put("ttl", "10m")
                    .put("reason", "revocation-propagation").toString();
            long start;
            HttpResponse<String> made;
            for (int attempt = 1; ; attempt++) {
                start = System.nanoTime();
                made = send(http, HttpRequest.newBuilder(plan.revocations()).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)));
                if (made.statusCode() != 503 || attempt == 5) {
                    break;
                }
                // A's store call failed (onStoreError: deny): nothing changed, so the revocation is sent again
                storeRefusals++;
                Thread.sleep(100);
            }
            if (made.statusCode() != 201) {
                throw new UsageException("round " + (i + 1) + ": A refused the revocation: " + made.statusCode() + " "
                        + made.body());
            }
            JsonNode answer = JSON.readTree(made.body());
            if (answer.path("scope").asText().equals("local")) {
                throw new UsageException("A applied the revocation locally only (its store is unavailable)");
            }
            long end = start + plan.deadline().toNanos();
            long took = -1;
            while (true) {
                HttpResponse<String> r = get(http, check);
                long now = System.nanoTime();
                if (r.statusCode() == 401 && "revoked".equals(reason(r))) {
                    took = now - start;
                    break;
                }
                if (r.statusCode() != 200) {
                    throw new UsageException("round " + (i + 1) + ": B answered " + r.statusCode() + " " + reason(r)
                            + " instead of 200 or 401 revoked (replay.mode must be off or limit)");
                }
                if (now >= end) {
                    break;
                }
                Thread.sleep(plan.poll().toMillis()); // the poll interval asked for
            }
            if (took < 0) {
                notPropagated++;
                err.printf("round %d: not in force at B after %s%n", i + 1, deadline);
            } else {
                delays.recordValue(Math.max(1, TimeUnit.NANOSECONDS.toMicros(took)));
            }
            if (!keep) {
                send(http, HttpRequest.newBuilder(URI.create(plan.revocations() + "/" + answer.path("id").asText()))
                        .DELETE());
            }
            if ((i + 1) % 10 == 0) {
                err.printf("%d/%d revocations, p50 %.0f ms, max %.0f ms%n", i + 1, count,
                        delays.getValueAtPercentile(50) / 1000.0, delays.getMaxValue() / 1000.0);
            }
        }
        Map<String, Object> figures = figures(delays, notPropagated);
        figures.put("revocationsRetriedAfter503", storeRefusals);
        out.println("| revocations | in force at B | p50 | p90 | p99 | max |");
        out.println("|---:|---:|---:|---:|---:|---:|");
        out.printf("| %d | %d | %s | %s | %s | %s |%n", count, delays.getTotalCount(), ms(figures.get("p50Ms")),
                ms(figures.get("p90Ms")), ms(figures.get("p99Ms")), ms(figures.get("maxMs")));
        out.printf("(delay from sending POST /revocations to A until B's first 401 revoked; B polled every %s)%n", poll);
        if (storeRefusals > 0) {
            out.printf("A answered 503 (store unavailable, nothing changed) %d time(s); those revocations were sent again "
                    + "and measured from the attempt A accepted%n", storeRefusals);
        }
        if (json != null) {
            Files.writeString(json, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(figures),
                    StandardCharsets.UTF_8);
        }
        return notPropagated == 0 ? Main.OK : Main.FAILURE;
    }

    static Map<String, Object> figures(Histogram h, int notPropagated) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("propagated", h.getTotalCount());
        m.put("notPropagated", notPropagated);
        boolean any = h.getTotalCount() > 0;
        m.put("p50Ms", any ? h.getValueAtPercentile(50) / 1000.0 : null);
        m.put("p90Ms", any ? h.getValueAtPercentile(90) / 1000.0 : null);
        m.put("p99Ms", any ? h.getValueAtPercentile(99) / 1000.0 : null);
        m.put("maxMs", any ? h.getMaxValue() / 1000.0 : null);
        return m;
    }

    private static String ms(Object v) {
        return v == null ? "-" : String.format(java.util.Locale.ROOT, "%.0f ms", (Double) v);
    }

    /** A GET at B; a failure names B's URL without its query (the token). */
    private HttpResponse<String> get(HttpClient http, URI uri) throws IOException, InterruptedException {
        try {
            return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IOException("GET " + Target.display(uri) + ": " + e.getClass().getSimpleName());
        }
    }

    private HttpResponse<String> send(HttpClient http, HttpRequest.Builder b) throws IOException, InterruptedException {
        if (adminToken != null && !adminToken.isEmpty()) {
            b.header("Authorization", "Bearer " + adminToken);
        }
        return http.send(b.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The gateway's denial reason ({@code {"reason": ...}}), or empty. */
    private static String reason(HttpResponse<String> r) {
        try {
            return JSON.readTree(r.body()).path("reason").asText("");
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    static String jti(String token) {
        try {
            String jti = JSON.readTree(Base64.getUrlDecoder().decode(token.split("\\.")[1])).path("jti").asText("");
            if (jti.isEmpty()) {
                throw new IllegalStateException("minted token without jti");
            }
            return jti;
        } catch (IOException e) {
            throw new IllegalStateException("minted token unreadable", e);
        }
    }
}
