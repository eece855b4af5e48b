package io.streamgate.loadtest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import org.HdrHistogram.Histogram;

/**
 * The result of a run: per target the requests, successes, errors by status (or failure
 * kind), throughput, bytes, counters and latency percentiles (microseconds in JSON,
 * milliseconds in Markdown); with several targets, the ratios of each to the first.
 */
public final class Report {
    /** One target's figures. */
    public record TargetResult(String name, String url, long requests, long ok, long errors,
                               Map<String, Long> outcomes, double throughput, long bytes,
                               Map<String, Long> counters, Histogram latency) {

        /** Outcomes that are not successes: non-2xx statuses and client-side failures. */
        public Map<String, Long> errorsByStatus() {
            Map<String, Long> m = new TreeMap<>();
            outcomes.forEach((k, v) -> {
                if (!isSuccess(k)) {
                    m.put(k, v);
                }
            });
            return m;
        }

        double percentileMicros(double p) {
            return latency.getTotalCount() == 0 ? Double.NaN : latency.getValueAtPercentile(p);
        }
    }

    /**
     * CPU time a local process used while the run measured: {@code seconds} over {@code elapsed}
     * is the cores it kept busy; per unit is per request, viewer or frame of the throughput
     * column: of the target with the process's name, else summed over the targets.
     */
    public record CpuUse(String name, long pid, double seconds, double elapsed, long units) {
        public double cores() {
            return seconds / elapsed;
        }

        /** Microseconds of CPU per unit, NaN when nothing completed. */
        public double microsPerUnit() {
            return units == 0 ? Double.NaN : seconds * 1e6 / units;
        }
    }

    private final String scenario;
    private final Instant startedAt;
    private final double elapsedSeconds;
    private final String throughputUnit;
    private final Map<String, Object> parameters;
    private final List<TargetResult> results;
    private final List<CpuUse> cpu;

    Report(String scenario, Instant startedAt, double elapsedSeconds, String throughputUnit,
           Map<String, Object> parameters, List<TargetResult> results, List<CpuUse> cpu) {
        this.scenario = scenario;
        this.startedAt = startedAt;
        this.elapsedSeconds = elapsedSeconds;
        this.throughputUnit = throughputUnit;
        this.parameters = new LinkedHashMap<>(parameters);
        this.results = List.copyOf(results);
        this.cpu = List.copyOf(cpu);
    }


    public List<TargetResult> results() {
        return results;
    }

    /** The CPU time of the generator and each {@code --cpu-of} process over the measured window. */
    List<CpuUse> cpu() {
        return cpu;
    }

    public TargetResult result(String name) {
        return results.stream().filter(r -> r.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no target " + name));
    }

    static boolean isSuccess(String outcome) {
        return outcome.equals("101") || (outcome.length() == 3 && outcome.charAt(0) == '2'
                && Character.isDigit(outcome.charAt(1)) && Character.isDigit(outcome.charAt(2)));
    }

    /** The report as a JSON-ready tree. */
    public Map<String, Object> toJson() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("scenario", scenario);
        root.put("startedAt", startedAt == null ? null : startedAt.toString());
        root.put("elapsedSeconds", round(elapsedSeconds, 3));
        root.put("throughputUnit", throughputUnit);
        root.put("parameters", parameters);
        List<Object> targets = new ArrayList<>();
        for (TargetResult r : results) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("name", r.name());
            t.put("url", r.url());
            t.put("requests", r.requests());
            t.put("ok", r.ok());
            t.put("errors", r.errors());
            t.put("errorsByStatus", r.errorsByStatus());
            t.put("statusCounts", r.outcomes());
            t.put("throughput", round(r.throughput(), 3));
            t.put("bytes", r.bytes());
            t.put("bytesPerSecond", round(r.bytes() / elapsedSeconds, 1));
            t.put("counters", r.counters());
            Map<String, Object> lat = new LinkedHashMap<>();
            Histogram h = r.latency();
            lat.put("count", h.getTotalCount());
            if (h.getTotalCount() > 0) {
                lat.put("min", h.getMinValue());
                lat.put("mean", round(h.getMean(), 1));
                lat.put("p50", h.getValueAtPercentile(50));
                lat.put("p90", h.getValueAtPercentile(90));
                lat.put("p99", h.getValueAtPercentile(99));
                lat.put("p999", h.getValueAtPercentile(99.9));
                lat.put("max", h.getMaxValue());
            }
            t.put("latencyMicros", lat);
            targets.add(t);
        }
        root.put("targets", targets);
        if (results.size() > 1) {
            List<Object> ratios = new ArrayList<>();
            TargetResult base = results.get(0);
            for (TargetResult r : results.subList(1, results.size())) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("target", r.name());
                m.put("baseline", base.name());
                m.put("throughput", ratio(r.throughput(), base.throughput()));
                m.put("p50", ratio(r.percentileMicros(50), base.percentileMicros(50)));
                m.put("p99", ratio(r.percentileMicros(99), base.percentileMicros(99)));
                m.put("p999", ratio(r.percentileMicros(99.9), base.percentileMicros(99.9)));
                ratios.add(m);
            }
            root.put("ratios", ratios);
        }
        List<Object> cpuJson = new ArrayList<>();
        for (CpuUse c : cpu) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", c.name());
            m.put("pid", c.pid());
            m.put("cpuSeconds", round(c.seconds(), 2));
            m.put("cores", round(c.cores(), 3));
            m.put("cpuMicrosPerUnit", Double.isNaN(c.microsPerUnit()) ? null : round(c.microsPerUnit(), 1));
            cpuJson.add(m);
        }
        root.put("cpu", cpuJson);
        return root;
    }

    public void writeJson(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), toJson());
    }

    /** The Markdown summary: parameters, one row per target, and the ratios to the first target. */
    public String toMarkdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("### ").append(scenario).append(": ").append(results.size())
                .append(results.size() == 1 ? " target, " : " targets, ")
                .append(String.format(Locale.ROOT, "%.1f s", elapsedSeconds)).append("\n\n");
        StringBuilder p = new StringBuilder();
        parameters.forEach((k, v) -> p.append(p.length() == 0 ? "" : ", ").append(k).append(' ').append(v));
        sb.append(p).append("\n\n");
        sb.append("| target | url | requests | ok | errors | errors by status | ").append(throughputUnit)
                .append(" | p50 ms | p99 ms | p99.9 ms | max ms | MiB | counters |\n");
        sb.append("|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---|\n");
        for (TargetResult r : results) {
            StringBuilder errs = new StringBuilder();
            r.errorsByStatus().forEach((k, v) -> errs.append(errs.length() == 0 ? "" : ", ").append(k).append(": ").append(v));
            StringBuilder counters = new StringBuilder();
            r.counters().forEach((k, v) -> counters.append(counters.length() == 0 ? "" : ", ").append(k).append(' ').append(v));
            Histogram h = r.latency();
            sb.append("| ").append(r.name()).append(" | ").append(r.url()).append(" | ").append(r.requests())
                    .append(" | ").append(r.ok()).append(" | ").append(r.errors()).append(" | ").append(errs)
                    .append(" | ").append(String.format(Locale.ROOT, "%.1f", r.throughput()))
                    .append(" | ").append(ms(h, 50)).append(" | ").append(ms(h, 99)).append(" | ").append(ms(h, 99.9))
                    .append(" | ").append(h.getTotalCount() == 0 ? "-" : String.format(Locale.ROOT, "%.2f", h.getMaxValue() / 1000.0))
                    .append(" | ").append(String.format(Locale.ROOT, "%.2f", r.bytes() / 1048576.0))
                    .append(" | ").append(counters).append(" |\n");
        }
        if (results.size() > 1) {
            TargetResult base = results.get(0);
            sb.append("\nRatios to ").append(base.name()).append(" (target / ").append(base.name())
                    .append("; latency above 1 is slower):\n\n");
            sb.append("| target | ").append(throughputUnit).append(" | p50 | p99 | p99.9 |\n|---|---:|---:|---:|---:|\n");
            for (TargetResult r : results.subList(1, results.size())) {
                sb.append("| ").append(r.name())
                        .append(" | ").append(fmt(ratio(r.throughput(), base.throughput())))
                        .append(" | ").append(fmt(ratio(r.percentileMicros(50), base.percentileMicros(50))))
                        .append(" | ").append(fmt(ratio(r.percentileMicros(99), base.percentileMicros(99))))
                        .append(" | ").append(fmt(ratio(r.percentileMicros(99.9), base.percentileMicros(99.9))))
                        .append(" |\n");
            }
        }
        if (!cpu.isEmpty()) {
            String unit = throughputUnit.replace("/s", "").replace("ok req", "request").trim();
            unit = unit.endsWith("s") ? unit.substring(0, unit.length() - 1) : unit; // frames -> frame
            sb.append("\nCPU while measuring (user + system, from /proc; 10 ms resolution):\n\n");
            sb.append("| process | pid | CPU s | cores | CPU µs per ").append(unit).append(" |\n|---|---:|---:|---:|---:|\n");
            for (CpuUse c : cpu) {
                sb.append("| ").append(c.name()).append(" | ").append(c.pid())
                        .append(" | ").append(String.format(Locale.ROOT, "%.2f", c.seconds()))
                        .append(" | ").append(String.format(Locale.ROOT, "%.2f", c.cores()))
                        .append(" | ").append(Double.isNaN(c.microsPerUnit()) ? "-"
                                : String.format(Locale.ROOT, "%.0f", c.microsPerUnit())).append(" |\n");
            }
        }
        return sb.toString();
    }

    private static String ms(Histogram h, double p) {
        return h.getTotalCount() == 0 ? "-" : String.format(Locale.ROOT, "%.2f", h.getValueAtPercentile(p) / 1000.0);
    }

    private static Double ratio(double a, double b) {
        if (Double.isNaN(a) || Double.isNaN(b) || b == 0) {
            return null;
        }
        return round(a / b, 3);
    }

    private static String fmt(Double d) {
        return d == null ? "-" : String.format(Locale.ROOT, "%.2f×", d);
    }

    private static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
