package io.streamgate.loadtest;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code http-rate}: a fixed request rate to each target, open model. Request {@code i} is due
 * at {@code start + i / (rate × targets)} and goes to target {@code i mod targets}, so every
 * target gets {@code --rate} per second and, with {@code --compare}, the targets take turns.
 * The pacing loop sends every request that is due (catching up when late) without waiting
 * for responses; latency = completion − intended start, so a stall on the server or in the
 * client shows in the percentiles instead of being omitted (coordinated omission).
 * Every request carries the same token (the warm, cached path); see {@code join-storm} for
 * cold ones.
 */
@Command(name = "http-rate", mixinStandardHelpOptions = true,
        description = "A fixed request rate per target (open model, latency from intended start times).")
final class HttpRateScenario extends Scenario {
    @Option(names = "--rate", paramLabel = "R", defaultValue = "100",
            description = "Requests per second per target (default ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--warmup", paramLabel = "D", defaultValue = "0s",
            description = "Send at the same rate for this long first and drop what it recorded (JIT, connections; default ${DEFAULT-VALUE}).")
    String warmup;

    @Option(names = "--max-in-flight", paramLabel = "N", defaultValue = "20000",
            description = "Requests outstanding at once before new ones are counted as client_backlog errors (default ${DEFAULT-VALUE}).")
    int maxInFlight;

    private static final long UNSENT_AFTER_NANOS = 100_000_000L;

    @Override
    void drive(LoadRun run) {
        if (!(rate > 0) || rate > 1_000_000) {
            throw new UsageException("--rate must be above 0 and at most 1000000, was " + rate);
        }
        positive("--max-in-flight", maxInFlight);
        int k = run.targets.size();
        List<URI> uris = run.targets.stream().map(Target::httpUri).toList();
        run.parameters.put("ratePerTarget", rate);
        Duration warm = CommonOptions.parseOrZero("--warmup", warmup);
        if (!warm.isZero()) {
            run.parameters.put("warmup", warmup);
        }
        String token = run.tokens.next();
        double intervalNanos = 1e9 / (rate * k);
        long start = run.start(warm);
        long measureFrom = start + warm.toNanos();
        boolean measuring = warm.isZero();
        long deadline = run.deadlineNanos();
        for (long i = 0; ; i++) {
            long intended = start + (long) (i * intervalNanos);
            if (intended >= deadline) {
                break;
            }
            run.sleepUntil(intended);
            // Due before the deadline: sent however late (the lateness is in its latency), unless
            // the run was stopped or the deadline is well past (the client fell behind: unsent).
            // A wake-up a few µs after the deadline is scheduling jitter, not an unsent request.
            if (run.stopped() || System.nanoTime() - deadline > UNSENT_AFTER_NANOS) {
                unsent(run, i, intervalNanos, start, deadline);
                break;
            }
            if (!measuring && intended >= measureFrom) {
                measuring = true;
                run.beginMeasurement(measureFrom); // the measured schedule: measureFrom + --duration
                deadline = run.deadlineNanos();
            }
            int t = (int) (i % k);
            Recorder r = run.recorders.get(t);
            if (!r.tryIssue()) {
                if (run.recorders.stream().allMatch(Recorder::exhausted)) {
                    break;
                }
                continue;
            }
            if (run.inFlight.get() >= maxInFlight) {
                r.recordFailure("client_backlog", -1);
                continue;
            }
            run.get(uris.get(t), token, r, intended, 0, true, null, null);
        }
        run.awaitIdle(run.timeout.plus(Duration.ofSeconds(2)));
    }

    /**
     * Requests due before the deadline that the client never got to send (it fell behind the
     * schedule): counted as {@code unsent} errors, so a rate the client could not produce
     * shows in the report instead of vanishing.
     */
    private static void unsent(LoadRun run, long from, double intervalNanos, long start, long deadline) {
        int k = run.recorders.size();
        for (long i = from; start + (long) (i * intervalNanos) < deadline; i++) {
            Recorder r = run.recorders.get((int) (i % k));
            if (r.tryIssue()) {
                r.recordFailure("unsent", -1);
            }
        }
    }
}
