package io.streamgate.loadtest;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import org.eclipse.jetty.client.BufferingResponseListener;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.http.HttpCookieStore;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import com.fasterxml.jackson.databind.ObjectMapper;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code eviction-churn}: do evictions of one subject slow down everyone else's joins? Two
 * replicas (A, B) share one store and run {@code replay: {mode: limit, maxSessions: 1, limitBy:
 * sub, onLimit: evict-oldest}}. Optionally seeds {@code --seed-revocations} revocations first
 * (jti revocations through A's admin API, {@code --seed-concurrency} POSTs in flight, none
 * matching a token of this run; no POST is sent twice, since a {@code 503} may have stored it:
 * new ones top up until A's {@code streamgate_revocations_active} reaches N). Then each phase of {@code --phases} runs for {@code --warmup}
 * + {@code --duration}:
 * <ul>
 * <li><b>joins</b>, closed loop: {@code --concurrency} joins in flight, each a GET of
 *     {@code --path} with a token of its own and a subject never seen before (so never
 *     evicting anyone), alternately at A and B; the next join starts when one completes.
 *     Tokens are minted before the phase's clock starts, at most {@code --max-joins} a phase;</li>
 * <li><b>churn</b> (phase {@code churn} only), open loop: {@code --churn-rate} GETs a second,
 *     alternately at A and B, each with a fresh token of the one subject {@code --churn-sub},
 *     so that each opens a session that evicts the previous one (at the other replica, half
 *     the time). Tokens are minted on the churn thread.</li>
 * </ul>
 * Only joins and churn requests that complete within the measured {@code --duration} count.
 * Per phase: joins/s, the share of {@code 503}s and of other non-200s, join latency, what the
 * churn got, and with {@code --admin-a}/{@code --admin-b} the evictions counted by the replicas
 * ({@code streamgate_session_evictions_total}) and their revocations in force; then each
 * {@code churn} phase's joins/s as a ratio of the mean of the {@code none} phases. The load
 * average ({@code /proc/loadavg}) is printed with each phase; with {@code --cpu-of NAME=PID}
 * (replicas, redis-server, origin) also their CPU time per join over the measured window, and
 * joins per CPU-second as a ratio too: on a machine shared with other work, that ratio says
 * what the churn costs, where joins/s also measure the neighbours.
 *
 * <p>Every loop is bounded: joins by {@code --max-joins} and the clock, the churn by the clock,
 * seeding by its count and {@code --seed-wait}. Loopback targets only unless
 * {@code --allow-host}. Tokens are never printed.
 *
 * <pre>{@code
 * java -jar loadtest/target/streamgate-loadtest.jar eviction-churn \
 *   --target-a http://127.0.0.1:8291 --target-b http://127.0.0.1:8292 \
 *   --admin-a http://127.0.0.1:9291 --admin-b http://127.0.0.1:9292 --seed-revocations 100000 \
 *   --key lt/private.pem --kid lt --claim 'roles=[{"eventId":"demo"}]' --phases none,churn,none,churn
 * }</pre>
 */
@Command(name = "eviction-churn", mixinStandardHelpOptions = true,
        description = "Joins/s and 503 share of new subjects at two replicas, with and without one subject churning "
                + "evictions (replay mode limit, maxSessions 1, limitBy sub, onLimit evict-oldest).")
final class EvictionChurnCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final int MAX_SEED = 1_000_000;

    @Option(names = "--target-a", required = true, paramLabel = "URL",
            description = "Replica A's public listener, e.g. http://127.0.0.1:8291")
    URI targetA;

    @Option(names = "--target-b", required = true, paramLabel = "URL",
            description = "Replica B's public listener, e.g. http://127.0.0.1:8292")
    URI targetB;

    @Option(names = "--path", defaultValue = "/live/demo/master.m3u8", paramLabel = "PATH",
            description = "What joins and churn request with ?token= (default ${DEFAULT-VALUE})")
    String path;

    @Option(names = "--admin-a", paramLabel = "URL",
            description = "A's admin listener: seeds the revocations, and its /metrics is read before and after each phase")
    URI adminA;

    @Option(names = "--admin-b", paramLabel = "URL", description = "B's admin listener: its /metrics is read too")
    URI adminB;

    @Option(names = "--admin-token", paramLabel = "T", defaultValue = "${env:SG_ADMIN_TOKEN}",
            description = "admin.token of the admin listeners (default: the SG_ADMIN_TOKEN environment variable)")
    String adminToken;

    @Option(names = "--seed-revocations", defaultValue = "0", paramLabel = "N",
            description = "First store N jti revocations through A's admin API, topped up until A holds at least N "
                    + "(needs --admin-a; default ${DEFAULT-VALUE})")
    int seedRevocations;

    @Option(names = "--seed-concurrency", defaultValue = "32", paramLabel = "N",
            description = "Revocation POSTs in flight while seeding (default ${DEFAULT-VALUE})")
    int seedConcurrency;

    @Option(names = "--seed-ttl", defaultValue = "1h", paramLabel = "D",
            description = "ttl of the seeded revocations (default ${DEFAULT-VALUE})")
    String seedTtl;

    @Option(names = "--seed-wait", defaultValue = "2m", paramLabel = "D",
            description = "After seeding, wait at most this long until each admin's replica holds them (default ${DEFAULT-VALUE})")
    String seedWait;

    @Option(names = "--phases", defaultValue = "none,churn", split = ",", paramLabel = "none|churn",
            description = "Phases in order: none (joins only) or churn (joins while one subject churns); default ${DEFAULT-VALUE}")
    List<String> phases = new ArrayList<>();

    @Option(names = "--no-churn", description = "Only a joins phase without churn (same as --phases none)")
    boolean noChurn;

    @Option(names = "--churn-rate", defaultValue = "100", paramLabel = "R",
            description = "Churn requests a second, alternately at A and B (default ${DEFAULT-VALUE})")
    int churnRate;

    @Option(names = "--churn-sub", defaultValue = "eviction-churn", paramLabel = "SUB",
            description = "The churning subject (default ${DEFAULT-VALUE})")
    String churnSub;

    @Option(names = "--concurrency", defaultValue = "16", paramLabel = "N",
            description = "Joins in flight (closed loop; default ${DEFAULT-VALUE})")
    int concurrency;

    @Option(names = "--warmup", defaultValue = "5s", paramLabel = "D",
            description = "Per phase, run this long before measuring; dropped (default ${DEFAULT-VALUE})")
    String warmup;

    @Option(names = "--duration", defaultValue = "20s", paramLabel = "D",
            description = "Per phase, measured time (default ${DEFAULT-VALUE})")
    String duration;

    @Option(names = "--max-joins", defaultValue = "100000", paramLabel = "N",
            description = "Tokens minted per phase, so joins per phase at most (warm-up included; default ${DEFAULT-VALUE})")
    int maxJoins;

    @Option(names = "--timeout", defaultValue = "10s", paramLabel = "D",
            description = "Per request (default ${DEFAULT-VALUE})")
    String timeout;

    @Option(names = "--allow-host", paramLabel = "HOST",
            description = "Also allow this non-loopback host (exact name or address; repeatable).")
    List<String> allowHosts = new ArrayList<>();

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the figures as JSON to this file.")
    Path json;

    @Option(names = "--cpu-of", paramLabel = "NAME=PID",
            description = "A local process (replica, redis-server, origin) whose CPU time over each measured window is "
                    + "reported, summed per join (repeatable; Linux /proc)")
    List<String> cpuOf = new ArrayList<>();

    @Option(names = {"-q", "--quiet"}, description = "No progress lines on stderr.")
    boolean quiet;

    @Mixin
    MintOptions mint = new MintOptions();

    @Spec
    CommandSpec spec;

    enum Phase {
        NONE, CHURN;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What the command line asks for, checked. */
    record Plan(URI joinA, URI joinB, URI revocations, List<URI> metrics, List<Phase> phases, int churnRate,
                int concurrency, Duration warmup, Duration duration, int maxJoins, Duration timeout, int seed,
                int seedConcurrency, Duration seedTtl, Duration seedWait) {
    }

    /** Checks the options without sending anything; throws {@link UsageException} naming the option. */
    Plan plan() {
        List<Phase> ps = new ArrayList<>();
        if (noChurn) {
            ps.add(Phase.NONE);
        } else {
            if (phases.isEmpty() || phases.size() > 20) {
                throw new UsageException("--phases: between 1 and 20 of none, churn");
            }
            for (String p : phases) {
                switch (p.trim().toLowerCase(Locale.ROOT)) {
                    case "none" -> ps.add(Phase.NONE);
                    case "churn" -> ps.add(Phase.CHURN);
                    default -> throw new UsageException("--phases: none or churn expected, was \"" + p + "\"");
                }
            }
        }
        if (ps.contains(Phase.CHURN) && (churnRate < 1 || churnRate > 10_000)) {
            throw new UsageException("--churn-rate must be between 1 and 10000, was " + churnRate);
        }
        if (churnSub == null || churnSub.isEmpty()) {
            throw new UsageException("--churn-sub must not be empty");
        }
        if (concurrency < 1 || concurrency > 1024) {
            throw new UsageException("--concurrency must be between 1 and 1024, was " + concurrency);
        }
        if (maxJoins < 1 || maxJoins > 2_000_000) {
            throw new UsageException("--max-joins must be between 1 and 2000000, was " + maxJoins);
        }
        Duration w = CommonOptions.parseOrZero("--warmup", warmup);
        Duration d = CommonOptions.parse("--duration", duration);
        Duration t = CommonOptions.parse("--timeout", timeout);
        if (w.compareTo(Duration.ofMinutes(10)) > 0) {
            throw new UsageException("--warmup must be at most 10m, was " + warmup);
        }
        if (d.compareTo(Duration.ofMinutes(10)) > 0) {
            throw new UsageException("--duration must be at most 10m, was " + duration);
        }
        if (t.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new UsageException("--timeout must be at most 1m, was " + timeout);
        }
        if (seedRevocations < 0 || seedRevocations > MAX_SEED) {
            throw new UsageException("--seed-revocations must be between 0 and " + MAX_SEED + ", was " + seedRevocations);
        }
        if (seedConcurrency < 1 || seedConcurrency > 256) {
            throw new UsageException("--seed-concurrency must be between 1 and 256, was " + seedConcurrency);
        }
        Duration ttl = CommonOptions.parse("--seed-ttl", seedTtl);
        Duration sw = CommonOptions.parseOrZero("--seed-wait", seedWait);
        if (sw.compareTo(Duration.ofMinutes(10)) > 0) {
            throw new UsageException("--seed-wait must be at most 10m, was " + seedWait);
        }
        if (seedRevocations > 0 && adminA == null) {
            throw new UsageException("--seed-revocations needs --admin-a");
        }
        if (!path.startsWith("/") || path.contains("?") || path.contains("#")) {
            throw new UsageException("--path must be an absolute path without query, was \"" + path + "\"");
        }
        TargetPolicy policy = new TargetPolicy(allowHosts);
        URI a = base("--target-a", targetA, policy);
        URI b = base("--target-b", targetB, policy);
        List<URI> metrics = new ArrayList<>();
        URI revocations = null;
        if (adminA != null) {
            URI admin = base("--admin-a", adminA, policy);
            revocations = admin.resolve("/revocations");
            metrics.add(admin.resolve("/metrics"));
        }
        if (adminB != null) {
            metrics.add(base("--admin-b", adminB, policy).resolve("/metrics"));
        }
        return new Plan(a.resolve(path), b.resolve(path), revocations, metrics, List.copyOf(ps), churnRate,
                concurrency, w, d, maxJoins, t, seedRevocations, seedConcurrency, ttl, sw);
    }

    private static URI base(String option, URI uri, TargetPolicy policy) {
        if (uri.getScheme() == null || !uri.getScheme().matches("https?") || uri.getHost() == null) {
            throw new UsageException(option + ": not an http(s) URL: \"" + uri + "\"");
        }
        if (uri.getRawQuery() != null) {
            throw new UsageException(option + ": no query expected: \"" + Target.display(uri) + "\"");
        }
        try {
            policy.check(uri);
        } catch (UsageException e) {
            throw new UsageException(option + ": " + e.getMessage());
        }
        return uri;
    }

    @Override
    public Integer call() throws Exception {
        Plan plan = plan();
        List<ProcessCpu> cpu = new ArrayList<>();
        for (String spec : cpuOf) {
            cpu.add(ProcessCpu.parse(spec));
        }
        TokenMinter minter = mint.minter();
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        String run = Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
        QueuedThreadPool pool = new QueuedThreadPool(Math.max(32, plan.concurrency() * 2), 4);
        pool.setName("eviction-churn");
        pool.setDaemon(true);
        HttpClient http = new HttpClient();
        http.setExecutor(pool);
        http.setMaxConnectionsPerDestination(Math.max(plan.concurrency(), plan.seedConcurrency()) + 64);
        http.setMaxRequestsQueuedPerDestination(100_000);
        http.setFollowRedirects(false);
        http.setHttpCookieStore(new HttpCookieStore.Empty());
        http.setConnectTimeout(plan.timeout().toMillis());
        http.setIdleTimeout(Math.max(30_000, plan.timeout().toMillis() * 2));
        http.setSocketAddressResolver(new TargetPolicy(allowHosts).resolver());
        http.setUserAgentField(new HttpField(HttpHeader.USER_AGENT, "streamgate-loadtest"));
        http.start();
        try {
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("run", run);
            report.put("concurrency", plan.concurrency());
            report.put("churnRate", plan.churnRate());
            report.put("warmupSeconds", plan.warmup().toMillis() / 1000.0);
            report.put("durationSeconds", plan.duration().toMillis() / 1000.0);
            if (plan.seed() > 0) {
                report.put("seed", seed(http, plan, run, err));
            }
            if (!plan.metrics().isEmpty()) {
                report.put("revocationsInForce", scrape(http, plan.metrics(), "streamgate_revocations_active"));
            }
            List<Map<String, Object>> results = new ArrayList<>();
            for (int i = 0; i < plan.phases().size(); i++) {
                Phase p = plan.phases().get(i);
                if (!quiet) {
                    err.printf("phase %d/%d: %s%n", i + 1, plan.phases().size(), p.label());
                }
                results.add(phase(http, pool, plan, p, minter, run + "-" + i, cpu, err));
            }
            report.put("phases", results);
            print(out, plan, results, report);
            if (json != null) {
                Files.writeString(json, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(report),
                        StandardCharsets.UTF_8);
            }
            return Main.OK;
        } finally {
            http.stop();
        }
    }

    // ---- seeding ----

    private Map<String, Object> seed(HttpClient http, Plan plan, String run, java.io.PrintWriter err)
            throws Exception {
        Map<String, LongAdder> statuses = new ConcurrentHashMap<>();
        long start = System.nanoTime();
        int sent = postMany(http, plan, run, 0, plan.seed(), statuses, err);
        // A 503 may still have stored its revocation, or not: top up (new revocations, never a
        // POST sent again) until A holds the number asked for, at most 5 times
        List<URI> atA = plan.metrics().subList(0, 1);
        int topUps = 0;
        for (; topUps < 5; topUps++) {
            Thread.sleep(1_000); // the late ones reach A by its change log within a poll
            Double held = scrape(http, atA, "streamgate_revocations_active").get(0);
            if (held == null || held >= plan.seed()) {
                break;
            }
            sent += postMany(http, plan, run, sent, plan.seed() - (int) (double) held, statuses, err);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("requested", plan.seed());
        m.put("posted", sent);
        m.put("topUps", topUps);
        m.put("statuses", counts(statuses));
        m.put("seconds", round(seconds));
        m.put("postsPerSecond", round(sent / seconds));
        long created = statuses.getOrDefault("201", new LongAdder()).sum();
        if (!quiet) {
            err.printf("posted %d revocations in %.1f s (%d top-up rounds); statuses %s%n", sent, seconds, topUps,
                    counts(statuses));
        }
        if (!plan.seedWait().isZero()) {
            // each replica applies them from the change log: wait until every one holds them all
            long target = Math.max(created, Math.min(plan.seed(), sent));
            long end = System.nanoTime() + plan.seedWait().toNanos();
            long waited = System.nanoTime();
            List<Double> held;
            while (true) {
                held = scrape(http, plan.metrics(), "streamgate_revocations_active");
                boolean all = held.stream().allMatch(v -> v != null && v >= target);
                if (all || System.nanoTime() >= end) {
                    m.put("heldByReplicas", held);
                    m.put("appliedEverywhereAfterSeconds", all ? round((System.nanoTime() - waited) / 1e9) : null);
                    break;
                }
                Thread.sleep(200);
            }
            if (!quiet) {
                err.printf("revocations in force at the replicas: %s%n", held);
            }
        }
        return m;
    }

    /** POSTs {@code n} new jti revocations ({@code seed-RUN-i} from {@code from}); returns n once all are answered. */
    private int postMany(HttpClient http, Plan plan, String run, int from, int n, Map<String, LongAdder> statuses,
                         java.io.PrintWriter err) throws InterruptedException {
        Semaphore slots = new Semaphore(plan.seedConcurrency());
        String ttl = plan.seedTtl().toSeconds() + "s";
        long start = System.nanoTime();
        long giveUp = start + TimeUnit.MINUTES.toNanos(30);
        for (int i = 0; i < n; i++) {
            if (!slots.tryAcquire(Math.max(1, (giveUp - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("seeding did not finish within 30 minutes");
            }
            String body = JSON.createObjectNode().put("jti", "seed-" + run + "-" + (from + i)).put("ttl", ttl)
                    .put("reason", "eviction-churn seed").toString();
            post(http, plan, body, statuses, slots);
            if (!quiet && (i + 1) % 10_000 == 0) {
                err.printf("posted %d/%d revocations (%.0f/s)%n", i + 1, n, (i + 1) / ((System.nanoTime() - start) / 1e9));
            }
        }
        if (!slots.tryAcquire(plan.seedConcurrency(), plan.timeout().toMillis() + 5_000, TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("revocation POSTs still unanswered after --timeout");
        }
        return n;
    }

    /**
     * One revocation POST, never sent again: a {@code 503} may still have stored it (the store
     * call timed out at the gateway after Redis had received it), and a second POST would store
     * a second revocation with an id of its own. What the replicas hold is read afterwards.
     */
    private void post(HttpClient http, Plan plan, String body, Map<String, LongAdder> statuses, Semaphore slots) {
        Request r = http.newRequest(plan.revocations()).method(HttpMethod.POST)
                .timeout(plan.timeout().toMillis(), TimeUnit.MILLISECONDS)
                .body(new StringRequestContent("application/json", body));
        if (adminToken != null && !adminToken.isEmpty()) {
            r.headers(h -> h.put(HttpHeader.AUTHORIZATION, "Bearer " + adminToken));
        }
        r.send(new BufferingResponseListener(16 * 1024) {
            @Override
            public void onComplete(Result result) {
                String s = result.isFailed() ? failure(result.getFailure()) : Integer.toString(result.getResponse().getStatus());
                statuses.computeIfAbsent(s, k -> new LongAdder()).increment();
                slots.release();
            }
        });
    }

    // ---- one phase ----

    /** What one target (A or B) answered to measured joins. */
    private static final class Side {
        final Map<String, LongAdder> statuses = new ConcurrentHashMap<>();
        final Map<String, LongAdder> reasons = new ConcurrentHashMap<>();
        final LongAdder completed = new LongAdder();
    }

    private Map<String, Object> phase(HttpClient http, QueuedThreadPool pool, Plan plan, Phase phase,
                                      TokenMinter minter, String tag, List<ProcessCpu> cpu, java.io.PrintWriter err)
            throws Exception {
        // tokens before the clock: minting never counts
        long mintStart = System.nanoTime();
        String[] tokens = new String[plan.maxJoins()];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = minter.next("join-" + tag + "-" + i);
        }
        if (!quiet) {
            err.printf("minted %d join tokens (distinct subjects) in %.1f s%n", tokens.length,
                    (System.nanoTime() - mintStart) / 1e9);
        }
        List<Double> evictionsBefore = scrape(http, plan.metrics(), "streamgate_session_evictions_total");
        double[] loadBefore = loadAverage();
        Side[] sides = {new Side(), new Side()};
        Side churn = new Side();
        ConcurrentHistogram latency = new ConcurrentHistogram(TimeUnit.MINUTES.toMicros(2), 3);
        AtomicInteger next = new AtomicInteger();
        AtomicBoolean exhausted = new AtomicBoolean();
        AtomicLong churnSent = new AtomicLong();
        AtomicLong churnInFlight = new AtomicLong();
        long start = System.nanoTime();
        long measureFrom = start + plan.warmup().toNanos();
        long end = measureFrom + plan.duration().toNanos();
        CountDownLatch loops = new CountDownLatch(plan.concurrency());
        ClosedLoop loop = new ClosedLoop(http, pool, plan, tokens, next, exhausted, sides, latency, measureFrom, end,
                loops);
        for (int c = 0; c < plan.concurrency(); c++) {
            pool.execute(loop::issue);
        }
        Thread churner = null;
        if (phase == Phase.CHURN) {
            churner = new Thread(() -> churn(http, plan, minter, start, measureFrom, end, churn, churnSent,
                    churnInFlight), "eviction-churn-churner");
            churner.setDaemon(true);
            churner.start();
        }
        long lastPrint = start;
        long lastCount = 0;
        double[] cpuFrom = null;
        while (System.nanoTime() < end && loops.getCount() > 0) {
            long wake = cpuFrom == null ? Math.min(measureFrom, end) : end;
            LockSupport.parkNanos(Math.max(0, Math.min(wake - System.nanoTime(), 1_000_000_000L)));
            if (cpuFrom == null && System.nanoTime() >= measureFrom) {
                cpuFrom = cpuSeconds(cpu);
            }
            if (!quiet && System.nanoTime() - lastPrint >= 1_000_000_000L) {
                long now = System.nanoTime();
                long n = next.get();
                err.printf("  %s %.0fs: %.0f joins/s, churn sent %d%n", now < measureFrom ? "warm-up" : "measuring",
                        (now - start) / 1e9, (n - lastCount) / ((now - lastPrint) / 1e9), churnSent.get());
                lastPrint = now;
                lastCount = n;
            }
        }
        long stoppedAt = Math.min(System.nanoTime(), end);
        double[] cpuTo = cpuSeconds(cpu);
        // the joins in flight at the end finish (bounded by the request timeout); they do not count
        loops.await(plan.timeout().toMillis() + 2_000, TimeUnit.MILLISECONDS);
        if (churner != null) {
            churner.join(plan.timeout().toMillis() + 2_000);
            long waitUntil = System.nanoTime() + plan.timeout().toNanos() + 1_000_000_000L;
            while (churnInFlight.get() > 0 && System.nanoTime() < waitUntil) {
                LockSupport.parkNanos(10_000_000L);
            }
        }
        double[] loadAfter = loadAverage();
        List<Double> evictionsAfter = scrape(http, plan.metrics(), "streamgate_session_evictions_total");
        double seconds = Math.max(1e-9, (stoppedAt - measureFrom) / 1e9);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("phase", phase.label());
        m.put("at", Instant.now().toString());
        m.put("measuredSeconds", round(seconds));
        long joins = 0;
        long ok = 0;
        long unavailable = 0;
        Map<String, Long> all = new TreeMap<>();
        List<Map<String, Object>> perTarget = new ArrayList<>();
        for (int s = 0; s < 2; s++) {
            Map<String, Long> c = counts(sides[s].statuses);
            c.forEach((k, v) -> all.merge(k, v, Long::sum));
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("target", s == 0 ? "A" : "B");
            t.put("joins", sides[s].completed.sum());
            t.put("statuses", c);
            t.put("reasons", counts(sides[s].reasons));
            perTarget.add(t);
            joins += sides[s].completed.sum();
        }
        ok = all.getOrDefault("200", 0L);
        unavailable = all.getOrDefault("503", 0L);
        m.put("joins", joins);
        m.put("joinsPerSecond", round(joins / seconds));
        m.put("admittedPerSecond", round(ok / seconds));
        m.put("statuses", all);
        m.put("share503", joins == 0 ? null : unavailable / (double) joins);
        m.put("shareOtherThan200", joins == 0 ? null : (joins - ok) / (double) joins);
        m.put("p50Ms", latency.getTotalCount() == 0 ? null : latency.getValueAtPercentile(50) / 1000.0);
        m.put("p99Ms", latency.getTotalCount() == 0 ? null : latency.getValueAtPercentile(99) / 1000.0);
        m.put("maxMs", latency.getTotalCount() == 0 ? null : latency.getMaxValue() / 1000.0);
        m.put("perTarget", perTarget);
        m.put("tokensExhausted", exhausted.get());
        if (phase == Phase.CHURN) {
            Map<String, Object> ch = new LinkedHashMap<>();
            ch.put("offeredPerSecond", plan.churnRate());
            ch.put("sentMeasured", churn.completed.sum());
            ch.put("statuses", counts(churn.statuses));
            ch.put("reasons", counts(churn.reasons));
            m.put("churn", ch);
        }
        if (!plan.metrics().isEmpty()) {
            List<Double> delta = new ArrayList<>();
            for (int i = 0; i < evictionsAfter.size(); i++) {
                Double b = evictionsBefore.get(i);
                Double a = evictionsAfter.get(i);
                delta.add(a == null ? null : a - (b == null ? 0 : b));
            }
            m.put("evictionsCountedByReplicas", delta);
            m.put("revocationsInForce", scrape(http, plan.metrics(), "streamgate_revocations_active"));
        }
        if (cpuFrom != null && !cpu.isEmpty()) {
            Map<String, Object> used = new LinkedHashMap<>();
            double total = 0;
            for (int i = 0; i < cpu.size(); i++) {
                double c = cpuTo[i] - cpuFrom[i];
                used.put(cpu.get(i).name(), round(c));
                total += c;
            }
            m.put("cpuSecondsMeasured", used);
            m.put("cpuMicrosPerJoin", joins == 0 ? null : Math.round(total / joins * 1e6));
            m.put("joinsPerCpuSecond", total <= 0 ? null : round(joins / total));
        }
        if (loadBefore != null && loadAfter != null) {
            m.put("loadAverageBefore", loadBefore);
            m.put("loadAverageAfter", loadAfter);
        }
        return m;
    }

    /** The joins: each completion starts the next one, until the clock or the tokens run out. */
    private final class ClosedLoop {
        private final HttpClient http;
        private final QueuedThreadPool pool;
        private final Plan plan;
        private final String[] tokens;
        private final AtomicInteger next;
        private final AtomicBoolean exhausted;
        private final Side[] sides;
        private final Histogram latency;
        private final long measureFrom;
        private final long end;
        private final CountDownLatch loops;

        ClosedLoop(HttpClient http, QueuedThreadPool pool, Plan plan, String[] tokens, AtomicInteger next,
                   AtomicBoolean exhausted, Side[] sides, Histogram latency, long measureFrom, long end,
                   CountDownLatch loops) {
            this.http = http;
            this.pool = pool;
            this.plan = plan;
            this.tokens = tokens;
            this.next = next;
            this.exhausted = exhausted;
            this.sides = sides;
            this.latency = latency;
            this.measureFrom = measureFrom;
            this.end = end;
            this.loops = loops;
        }

        void issue() {
            if (System.nanoTime() >= end) {
                loops.countDown();
                return;
            }
            int i = next.getAndIncrement();
            if (i >= tokens.length) {
                exhausted.set(true);
                loops.countDown();
                return;
            }
            int side = i & 1;
            URI uri = URI.create((side == 0 ? plan.joinA() : plan.joinB()) + "?token=" + tokens[i]);
            tokens[i] = null;
            long sent = System.nanoTime();
            http.newRequest(uri).timeout(plan.timeout().toMillis(), TimeUnit.MILLISECONDS)
                    .send(new BufferingResponseListener(256 * 1024) {
                        @Override
                        public void onComplete(Result result) {
                            long done = System.nanoTime();
                            if (done >= measureFrom && done <= end) {
                                record(sides[side], result, getContentAsString());
                                latency.recordValue(Math.max(1, TimeUnit.NANOSECONDS.toMicros(done - sent)));
                            }
                            pool.execute(ClosedLoop.this::issue); // never recursively on this thread
                        }
                    });
        }
    }

    /** The churn: one fresh token of the churning subject every 1/rate s, alternately at A and B. */
    private void churn(HttpClient http, Plan plan, TokenMinter minter, long start, long measureFrom, long end,
                       Side churn, AtomicLong sent, AtomicLong inFlight) {
        long period = 1_000_000_000L / plan.churnRate();
        for (long k = 0; ; k++) {
            long due = start + k * period;
            if (due >= end) {
                return;
            }
            long now;
            while ((now = System.nanoTime()) < due) {
                LockSupport.parkNanos(due - now);
            }
            URI base = (k & 1) == 0 ? plan.joinA() : plan.joinB();
            URI uri = URI.create(base + "?token=" + minter.next(churnSub));
            boolean measured = due >= measureFrom;
            sent.incrementAndGet();
            inFlight.incrementAndGet();
            http.newRequest(uri).timeout(plan.timeout().toMillis(), TimeUnit.MILLISECONDS)
                    .send(new BufferingResponseListener(256 * 1024) {
                        @Override
                        public void onComplete(Result result) {
                            if (measured && System.nanoTime() <= end) {
                                record(churn, result, getContentAsString());
                            }
                            inFlight.decrementAndGet();
                        }
                    });
        }
    }

    private static void record(Side side, Result result, String body) {
        side.completed.increment();
        if (result.isFailed()) {
            side.statuses.computeIfAbsent(failure(result.getFailure()), k -> new LongAdder()).increment();
            return;
        }
        int status = result.getResponse().getStatus();
        side.statuses.computeIfAbsent(Integer.toString(status), k -> new LongAdder()).increment();
        if (status != 200) {
            side.reasons.computeIfAbsent(status + " " + reason(body), k -> new LongAdder()).increment();
        }
    }

    private static String failure(Throwable t) {
        if (t instanceof TimeoutException) {
            return "timeout";
        }
        if (t instanceof java.net.ConnectException) {
            return "connect";
        }
        return t == null ? "failed" : t.getClass().getSimpleName();
    }

    /** The gateway's denial reason ({@code {"reason": ...}}), or empty. */
    static String reason(String body) {
        try {
            return body == null || body.isEmpty() ? "" : JSON.readTree(body).path("reason").asText("");
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    // ---- admin metrics ----

    /** The sum of one metric's samples at each admin's /metrics (null for one that did not answer). */
    private List<Double> scrape(HttpClient http, List<URI> metrics, String name) {
        List<Double> out = new ArrayList<>();
        for (URI u : metrics) {
            try {
                Request r = http.newRequest(u).timeout(10, TimeUnit.SECONDS);
                if (adminToken != null && !adminToken.isEmpty()) {
                    r.headers(h -> h.put(HttpHeader.AUTHORIZATION, "Bearer " + adminToken));
                }
                ContentResponse c = r.send();
                out.add(c.getStatus() == 200 ? metric(c.getContentAsString(), name) : null);
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                out.add(null);
            }
        }
        return out;
    }

    /** The sum of a metric's samples in Prometheus text (0 when absent). */
    static double metric(String text, String name) {
        double sum = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith(name) && line.length() > name.length()
                    && (line.charAt(name.length()) == ' ' || line.charAt(name.length()) == '{')) {
                String v = line.substring(line.lastIndexOf(' ') + 1).trim();
                try {
                    sum += Double.parseDouble(v);
                } catch (NumberFormatException e) {
                    // not a sample line
                }
            }
        }
        return sum;
    }

    // ---- report ----

    private static Map<String, Long> counts(Map<String, LongAdder> m) {
        Map<String, Long> out = new TreeMap<>();
        m.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    private static double[] cpuSeconds(List<ProcessCpu> cpu) {
        double[] s = new double[cpu.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = cpu.get(i).seconds();
        }
        return s;
    }

    private static double[] loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2])};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    @SuppressWarnings("unchecked")
    private static void print(java.io.PrintWriter out, Plan plan, List<Map<String, Object>> results,
                              Map<String, Object> report) {
        out.printf(Locale.ROOT, "joins: closed loop, %d in flight, a new subject each, alternately at A and B; "
                + "churn: %d/s of one subject, alternately at A and B; %.1f s warm-up + %.1f s measured per phase%n",
                plan.concurrency(), plan.churnRate(), plan.warmup().toMillis() / 1000.0,
                plan.duration().toMillis() / 1000.0);
        out.println("| phase | joins/s | joins | 503 | 503 share | other non-200 | p50 ms | p99 ms | churn 200/sent "
                + "| evictions A, B (warm-up incl.) | revocations in force A, B | CPU µs/join (--cpu-of) | load average after |");
        out.println("|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|---:|---|");
        double noneSum = 0;
        int noneCount = 0;
        for (Map<String, Object> r : results) {
            if (r.get("phase").equals("none")) {
                noneSum += (Double) r.get("joinsPerSecond");
                noneCount++;
            }
        }
        double base = noneCount == 0 ? 0 : noneSum / noneCount;
        List<Double> ratios = new ArrayList<>();
        double noneCpu = 0;
        int noneCpuCount = 0;
        for (Map<String, Object> r : results) {
            if (r.get("phase").equals("none") && r.get("joinsPerCpuSecond") != null) {
                noneCpu += (Double) r.get("joinsPerCpuSecond");
                noneCpuCount++;
            }
        }
        List<Double> cpuRatios = new ArrayList<>();
        for (Map<String, Object> r : results) {
            if (r.get("phase").equals("churn") && noneCpuCount > 0 && r.get("joinsPerCpuSecond") != null) {
                cpuRatios.add((Double) r.get("joinsPerCpuSecond") / (noneCpu / noneCpuCount));
            }
            Map<String, Long> st = (Map<String, Long>) r.get("statuses");
            long joins = (Long) r.get("joins");
            long n503 = st.getOrDefault("503", 0L);
            long other = joins - st.getOrDefault("200", 0L) - n503;
            String churn = "-";
            if (r.get("churn") instanceof Map<?, ?> ch) {
                Map<String, Long> cs = (Map<String, Long>) ch.get("statuses");
                churn = cs.getOrDefault("200", 0L) + "/" + ch.get("sentMeasured");
            }
            double[] la = (double[]) r.get("loadAverageAfter");
            out.printf(Locale.ROOT, "| %s | %,.0f | %,d | %,d | %s | %,d | %s | %s | %s | %s | %s | %s | %s |%n",
                    r.get("phase"), (Double) r.get("joinsPerSecond"), joins, n503,
                    r.get("share503") == null ? "-" : String.format(Locale.ROOT, "%.3f%%", 100 * (Double) r.get("share503")),
                    other, ms(r.get("p50Ms")), ms(r.get("p99Ms")), churn,
                    r.getOrDefault("evictionsCountedByReplicas", "-"), r.getOrDefault("revocationsInForce", "-"),
                    r.get("cpuMicrosPerJoin") == null ? "-" : r.get("cpuMicrosPerJoin"),
                    la == null ? "-" : String.format(Locale.ROOT, "%.2f %.2f %.2f", la[0], la[1], la[2]));
            if (r.get("phase").equals("churn") && base > 0) {
                ratios.add((Double) r.get("joinsPerSecond") / base);
            }
            if (Boolean.TRUE.equals(r.get("tokensExhausted"))) {
                out.println("(this phase ran out of tokens before its end: raise --max-joins)");
            }
        }
        for (Map<String, Object> r : results) {
            for (Map<String, Object> t : (List<Map<String, Object>>) r.get("perTarget")) {
                Map<String, Long> reasons = (Map<String, Long>) t.get("reasons");
                if (!reasons.isEmpty()) {
                    out.printf("%s phase, target %s: non-200 joins %s%n", r.get("phase"), t.get("target"), reasons);
                }
            }
            if (r.get("churn") instanceof Map<?, ?> ch && !((Map<?, ?>) ch.get("reasons")).isEmpty()) {
                out.printf("%s phase, churn: non-200 %s%n", r.get("phase"), ch.get("reasons"));
            }
        }
        if (!ratios.isEmpty()) {
            report.put("churnToNoneJoinRatios", ratios);
            out.printf(Locale.ROOT, "joins/s with churn / mean without (%,.0f/s): %s%n", base,
                    ratios.stream().map(x -> String.format(Locale.ROOT, "%.3f", x)).toList());
        }
        if (!cpuRatios.isEmpty()) {
            report.put("churnToNoneJoinsPerCpuSecondRatios", cpuRatios);
            out.printf(Locale.ROOT, "joins per CPU-second of the --cpu-of processes, with churn / mean without: %s%n",
                    cpuRatios.stream().map(x -> String.format(Locale.ROOT, "%.3f", x)).toList());
        }
    }

    private static String ms(Object v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.1f", (Double) v);
    }
}
