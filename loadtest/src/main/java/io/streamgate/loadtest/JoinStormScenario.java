package io.streamgate.loadtest;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;

import org.eclipse.jetty.http.HttpHeader;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code join-storm}: N new viewers per target join within {@code --over}, uniformly spread
 * (interleaved across targets with {@code --compare}). Each viewer has its own token, minted
 * before the clock starts, so every join is a cold verification at the gateway — the worst
 * case. A join fetches the master playlist (and with {@code --media} the first variant's
 * media playlist too); it is admitted on 200s. The latency of a join runs from its scheduled
 * time to its last response, so a backlog shows (coordinated-omission safe). Throughput is
 * admitted viewers per second. With {@code --new-connections} every join sends
 * {@code Connection: close}, as viewers on their own machines would not share connections.
 * {@code --warmup D} first lets viewers join at the storm's rate for D, with tokens of their
 * own, and drops what they recorded: the generator's and the gateway's JIT compilers are then
 * done before the storm (a fresh JVM spends its first seconds compiling, on the same cores).
 */
@Command(name = "join-storm", mixinStandardHelpOptions = true,
        description = "N new viewers per target within T seconds, each with a fresh token (cold verification).")
final class JoinStormScenario extends Scenario {
    @Option(names = "--viewers", paramLabel = "N", defaultValue = "100",
            description = "Joining viewers per target (default ${DEFAULT-VALUE}).")
    int viewers;

    @Option(names = "--over", paramLabel = "T", defaultValue = "10s",
            description = "Spread the joins uniformly over this long (default ${DEFAULT-VALUE}).")
    String over;

    @Option(names = "--media", description = "Also fetch the media playlist; admitted only when both are 200.")
    boolean media;

    @Option(names = "--new-connections", description = "Send Connection: close, so no join reuses a connection.")
    boolean newConnections;

    @Option(names = "--warmup", paramLabel = "D", defaultValue = "0s",
            description = "First, viewers join at the storm's rate for this long with tokens of their own;"
                    + " what they recorded is dropped (default ${DEFAULT-VALUE}).")
    String warmup;

    private Duration overTime() {
        return CommonOptions.parse("--over", over);
    }

    @Override
    Duration defaultDuration() {
        return overTime().plus(CommonOptions.parse("--timeout", common.timeout));
    }

    private Duration warmupTime() {
        return CommonOptions.parseOrZero("--warmup", warmup);
    }

    @Override
    void drive(LoadRun run) {
        positive("--viewers", viewers);
        Duration spread = overTime();
        int k = run.targets.size();
        int total = Math.multiplyExact(viewers, k);
        run.parameters.put("viewersPerTarget", viewers);
        run.parameters.put("over", over);
        run.parameters.put("media", media);
        run.parameters.put("newConnections", newConnections);
        run.throughput("admitted/s", r -> r.count("admitted"));
        Duration warm = warmupTime();
        // as many warm-up joins as the storm's rate gives in the warm-up time
        int warmJoins = (int) Math.min(Integer.MAX_VALUE - total,
                Math.round(total * (warm.toNanos() / (double) spread.toNanos())));
        if (warmJoins > 0) {
            run.parameters.put("warmup", warmup);
            run.parameters.put("warmupJoins", warmJoins);
        }
        if (run.tokens.distinct() < warmJoins + total) {
            run.err.println("warning: " + (warmJoins + total) + " viewers but tokens from " + run.tokens.describe()
                    + ": reused tokens are verified warm (or refused as replayed), not cold; mint with --key/--kid");
        }
        List<String> tokens = run.tokens.take(warmJoins + total); // before the clock: minting never counts
        List<URI> masters = run.targets.stream().map(Target::httpUri).toList();
        for (Recorder r : run.recorders) {
            r.counter("admitted");
        }
        long start = run.start(warm);
        if (warmJoins > 0) {
            storm(run, masters, tokens.subList(0, warmJoins), start, warm, start + warm.toNanos());
            run.awaitIdle(run.timeout.plus(Duration.ofSeconds(1)));
            run.beginMeasurement();
            start = run.startNanos();
        }
        storm(run, masters, tokens.subList(warmJoins, tokens.size()), start, spread, run.deadlineNanos());
        run.awaitIdle(run.timeout.multipliedBy(2).plus(Duration.ofSeconds(1)));
    }

    /** Joins {@code tokens.size()} viewers spread uniformly over {@code spread} from {@code start}. */
    private void storm(LoadRun run, List<URI> masters, List<String> tokens, long start, Duration spread, long until) {
        int k = run.targets.size();
        int total = tokens.size();
        for (int j = 0; j < total; j++) {
            long intended = start + spread.toNanos() * j / total;
            if (intended >= until) {
                break;
            }
            run.sleepUntil(intended);
            if (!run.running()) {
                break;
            }
            Recorder r = run.recorders.get(j % k);
            if (!r.tryIssue()) {
                continue;
            }
            join(run, r, masters.get(j % k), tokens.get(j), intended);
        }
    }

    private void join(LoadRun run, Recorder r, URI master, String token, long intended) {
        java.util.function.Consumer<org.eclipse.jetty.client.Request> customize = newConnections
                ? req -> req.headers(h -> h.put(HttpHeader.CONNECTION, "close")) : null;
        int keep = media ? HlsViewersScenario.MAX_PLAYLIST_BYTES : 0;
        run.get(master, token, r, intended, keep, false, o -> {
            if (!o.ok() || !media) {
                finish(r, o, intended);
                return;
            }
            Playlist p = Playlist.parse(o.body() == null ? "" : o.body());
            if (!p.master()) {
                finish(r, o, intended); // the target is a media playlist already
                return;
            }
            URI variant = p.variants().isEmpty() ? null : resolve(master, p.variants().get(0));
            if (variant == null || !run.policy.allows(variant)) {
                r.recordFailure(variant == null ? "no_variant" : "refused_target", LoadRun.micros(intended));
                return;
            }
            run.get(variant, null, r, intended, 0, false, m -> finish(r, m, intended), customize);
        }, customize);
    }

    private static void finish(Recorder r, LoadRun.Outcome o, long intended) {
        long latency = LoadRun.micros(intended);
        if (o.failure() != null) {
            r.recordFailure(o.failure(), latency);
            return;
        }
        r.recordStatus(o.status(), latency);
        if (o.ok()) {
            r.counter("admitted").increment();
        }
    }

    private static URI resolve(URI base, String ref) {
        try {
            URI u = base.resolve(new URI(ref));
            return u.getScheme() != null && u.getScheme().startsWith("http") ? u : null;
        } catch (URISyntaxException | IllegalArgumentException e) {
            return null;
        }
    }
}
