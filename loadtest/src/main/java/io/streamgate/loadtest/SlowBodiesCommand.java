package io.streamgate.loadtest;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code slow-bodies}: do slow senders starve the viewers? Runs the {@code hls-viewers}
 * scenario ({@code --viewers} players per target) once per phase of {@code --phases}, each
 * for {@code --duration}: in a {@code none} phase alone, in a {@code slow} phase while
 * {@code --slow} connections send a request body one byte per {@code --slow-interval}
 * ({@link SlowBodies}: {@code POST /_streamgate/renew} announcing {@code --slow-length} bytes by
 * default, each replaced when the server answers or closes it). The slow connections open
 * before the viewers start (the phase waits up to {@code --settle} for all of them). Alternate
 * the phases ({@code none,slow,none,slow}, the default) so that a machine whose load drifts
 * weighs on both alike; an unreported {@code --warmup} run of the viewers comes first.
 *
 * <p>Per phase: the viewers' requests, errors, p50/p99/p99.9 (ms), what the slow senders got
 * (opened, answered 408, otherwise answered, closed unanswered, open at the start and end) and
 * the load average before and after; then the viewers' p99 with slow bodies over the p99
 * without (the mean of each kind of phase, and per adjacent pair).
 *
 * <pre>{@code
 * java -jar loadtest/target/streamgate-loadtest.jar slow-bodies --viewers 100 --slow 500 \
 *   --target http://127.0.0.1:8080/live/demo/master.m3u8 --token-file token.txt \
 *   --phases none,slow,none,slow --duration 60s --json slow-bodies.json
 * }</pre>
 */
@Command(name = "slow-bodies", mixinStandardHelpOptions = true,
        description = "HLS viewers' latency with and without N connections sending a request body one byte at a time.")
final class SlowBodiesCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Option(names = "--viewers", paramLabel = "N", defaultValue = "100",
            description = "HLS viewers per target in every phase (default ${DEFAULT-VALUE}).")
    int viewers;

    @Option(names = "--ramp", paramLabel = "D", defaultValue = "1s",
            description = "Spread the viewers' starts over this long (default ${DEFAULT-VALUE}).")
    String ramp;

    @Option(names = "--start-segments", paramLabel = "N", defaultValue = "3",
            description = "Segments fetched back from the live edge at start (default ${DEFAULT-VALUE}).")
    int startSegments;

    @Option(names = "--slow", paramLabel = "N", defaultValue = "500",
            description = "Slow-body connections in a slow phase (default ${DEFAULT-VALUE}).")
    int slow;

    @Option(names = "--slow-url", paramLabel = "URL",
            description = "Where they send (plain http; default: the first target's host and port, /_streamgate/renew).")
    URI slowUrl;

    @Option(names = "--slow-interval", paramLabel = "D", defaultValue = "10s",
            description = "One body byte per connection this often (default ${DEFAULT-VALUE}).")
    String slowInterval;

    @Option(names = "--slow-length", paramLabel = "BYTES", defaultValue = "100000",
            description = "The Content-Length they announce (default ${DEFAULT-VALUE}).")
    long slowLength;

    @Option(names = "--slow-bind", paramLabel = "ADDRESS",
            description = "Send the slow bodies from this local address (e.g. 127.0.0.2: another client than the viewers).")
    String slowBind;

    @Option(names = "--settle", paramLabel = "D", defaultValue = "30s",
            description = "How long a slow phase waits for all its connections before the viewers start (default ${DEFAULT-VALUE}).")
    String settle;

    @Option(names = "--phases", paramLabel = "LIST", defaultValue = "none,slow,none,slow",
            description = "Phases in order, each none or slow (default ${DEFAULT-VALUE}).")
    String phases;

    @Option(names = "--warmup", paramLabel = "D", defaultValue = "10s",
            description = "An unreported run of the viewers before the first phase; 0 for none (default ${DEFAULT-VALUE}).")
    String warmup;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Scenario.positive("--viewers", viewers);
        Scenario.positive("--start-segments", startSegments);
        List<String> plan = plan(phases);
        Duration interval = CommonOptions.parse("--slow-interval", slowInterval);
        Duration settleTime = CommonOptions.parse("--settle", settle);
        Duration warm = CommonOptions.parseOrZero("--warmup", warmup);
        TargetPolicy policy = common.policy();
        List<Target> targets = common.targets(policy);
        URI url = slowUrl != null ? slowUrl : defaultSlowUrl(targets.get(0).httpUri());
        InetAddress bind = slowBind == null ? null : InetAddress.getByName(slowBind);
        if (bind != null && !bind.isLoopbackAddress() && !policy.allowsHost(slowBind)) {
            throw new UsageException("--slow-bind: " + slowBind + " is not a loopback address");
        }
        new SlowBodies(url, slow, interval, slowLength, bind, policy).close(); // checks the options before any load

        HlsViewersScenario scenario = new HlsViewersScenario();
        scenario.viewers = viewers;
        scenario.ramp = ramp;
        scenario.startSegments = startSegments;
        if (!warm.isZero()) {
            String measured = common.duration;
            common.duration = warmup;
            try (LoadRun run = LoadRun.open("slow-bodies warm-up", common, Duration.ofSeconds(30), err)) {
                scenario.drive(run);
                run.finish();
            } finally {
                common.duration = measured;
            }
        }

        List<Map<String, Object>> results = new ArrayList<>();
        for (String phase : plan) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("phase", phase);
            r.put("loadAverageBefore", loadAverage());
            SlowBodies senders = null;
            try {
                if (phase.equals("slow")) {
                    senders = new SlowBodies(url, slow, interval, slowLength, bind, policy);
                    senders.start();
                    r.put("slowOpenAtStart", senders.awaitOpen(settleTime));
                }
                Report report;
                try (LoadRun run = LoadRun.open("slow-bodies " + phase, common, Duration.ofSeconds(30), err)) {
                    scenario.drive(run);
                    report = run.finish();
                }
                r.put("viewers", report);
                if (senders != null) {
                    r.put("slow", senders.counts());
                }
            } finally {
                if (senders != null) {
                    senders.close();
                }
            }
            r.put("loadAverageAfter", loadAverage());
            results.add(r);
            if (!common.quiet) {
                err.println("phase " + results.size() + "/" + plan.size() + " (" + phase + ") done");
                err.flush();
            }
        }

        Map<String, Object> summary = summary(results);
        print(out, url, results, summary);
        if (common.json != null) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("scenario", "slow-bodies");
            Map<String, Object> params = new LinkedHashMap<>();
            params.put("viewersPerTarget", viewers);
            params.put("slow", slow);
            params.put("slowUrl", Target.display(url));
            params.put("slowInterval", slowInterval);
            params.put("slowLength", slowLength);
            params.put("slowBind", slowBind);
            params.put("phases", plan);
            params.put("warmup", warmup);
            json.put("parameters", params);
            List<Map<String, Object>> phasesJson = new ArrayList<>();
            for (Map<String, Object> r : results) {
                Map<String, Object> p = new LinkedHashMap<>(r);
                p.put("viewers", ((Report) r.get("viewers")).toJson());
                phasesJson.add(p);
            }
            json.put("phases", phasesJson);
            json.put("summary", summary);
            write(common.json, json);
            err.println("JSON report: " + common.json);
            err.flush();
        }
        return 0;
    }

    static List<String> plan(String text) {
        List<String> plan = new ArrayList<>();
        for (String p : text.split(",")) {
            String t = p.trim().toLowerCase(Locale.ROOT);
            if (!t.equals("none") && !t.equals("slow")) {
                throw new UsageException("--phases: each phase is none or slow, was \"" + p.trim() + "\"");
            }
            plan.add(t);
        }
        return plan;
    }

    private static URI defaultSlowUrl(URI target) {
        return URI.create("http://" + target.getRawAuthority() + "/_streamgate/renew");
    }

    /** The viewers' p99 in each kind of phase (first target), and slow over none. */
    private static Map<String, Object> summary(List<Map<String, Object>> results) {
        List<Double> none = new ArrayList<>();
        List<Double> slowP99 = new ArrayList<>();
        List<Double> pairs = new ArrayList<>();
        Double lastNone = null;
        for (Map<String, Object> r : results) {
            double p99 = p99Millis((Report) r.get("viewers"));
            if ("none".equals(r.get("phase"))) {
                none.add(p99);
                lastNone = p99;
            } else {
                slowP99.add(p99);
                if (lastNone != null) {
                    pairs.add(round(p99 / lastNone));
                }
            }
        }
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("p99MillisWithout", none);
        s.put("p99MillisWith", slowP99);
        double meanNone = mean(none);
        double meanSlow = mean(slowP99);
        s.put("p99RatioWithToWithout", Double.isNaN(meanNone) || Double.isNaN(meanSlow) ? null : round(meanSlow / meanNone));
        s.put("p99RatioPerPair", pairs);
        return s;
    }

    private static double p99Millis(Report report) {
        return report.results().isEmpty() ? Double.NaN : report.results().get(0).percentileMicros(99) / 1000.0;
    }

    private static double mean(List<Double> values) {
        return values.isEmpty() ? Double.NaN : values.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    private static double[] loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2])};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private void print(PrintWriter out, URI url, List<Map<String, Object>> results, Map<String, Object> summary) {
        out.println();
        out.printf(Locale.ROOT, "viewers: %d HLS players per target; slow phases: %d connections to %s, one body "
                + "byte per %s, Content-Length %d%s%n", viewers, slow, Target.display(url), slowInterval, slowLength,
                slowBind == null ? "" : ", from " + slowBind);
        out.println();
        out.println("| # | phase | target | viewers' requests | errors | p50 ms | p99 ms | p99.9 ms | slow open (start / end)"
                + " | slow opened | answered 408 | other answers | closed unanswered | CPU µs per viewer request"
                + " | load average (1 min) before → after |");
        out.println("|---:|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---|");
        int i = 0;
        for (Map<String, Object> r : results) {
            i++;
            Report report = (Report) r.get("viewers");
            @SuppressWarnings("unchecked")
            Map<String, Long> s = (Map<String, Long>) r.get("slow");
            for (Report.TargetResult t : report.results()) {
                out.printf(Locale.ROOT, "| %d | %s | %s | %d | %d | %.2f | %.2f | %.2f | %s | %s | %s | %s | %s | %s | %s |%n",
                        i, r.get("phase"), t.name(), t.requests(), t.errors(), t.percentileMicros(50) / 1000.0,
                        t.percentileMicros(99) / 1000.0, t.percentileMicros(99.9) / 1000.0,
                        s == null ? "–" : r.get("slowOpenAtStart") + " / " + s.get("open"),
                        s == null ? "–" : s.get("opened"), s == null ? "–" : s.get("answered408"),
                        s == null ? "–" : s.get("answeredOther"), s == null ? "–" : s.get("closedUnanswered"),
                        cpu(report), load(r.get("loadAverageBefore")) + " → " + load(r.get("loadAverageAfter")));
            }
        }
        out.println();
        out.printf(Locale.ROOT, "viewers' p99 with slow bodies / without: %s (phase pairs: %s)%n",
                summary.get("p99RatioWithToWithout"), summary.get("p99RatioPerPair"));
        out.flush();
    }

    /** Each {@code --cpu-of} process's CPU per viewer request, e.g. {@code gateway 61.2}; the generator's own last. */
    private static String cpu(Report report) {
        StringBuilder sb = new StringBuilder();
        for (Report.CpuUse c : report.cpu()) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(c.name().startsWith("loadtest") ? "loadtest" : c.name()).append(' ')
                    .append(Double.isNaN(c.microsPerUnit()) ? "?" : String.format(Locale.ROOT, "%.1f", c.microsPerUnit()));
        }
        return sb.toString();
    }

    private static String load(Object la) {
        return la instanceof double[] d ? String.format(Locale.ROOT, "%.2f", d[0]) : "?";
    }

    private static void write(Path file, Map<String, Object> json) throws IOException {
        Files.writeString(file, JSON.writeValueAsString(json));
    }
}
