package io.streamgate.loadtest;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import io.streamgate.gateway.config.Durations;

/** The options every scenario shares (a picocli mixin). */
public final class CommonOptions {
    @Option(names = "--target", required = true, paramLabel = "[NAME=]URL",
            description = "Where to send (repeatable with --compare), e.g. gateway=http://127.0.0.1:8080/live/demo/master.m3u8."
                    + " Loopback only unless --allow-host.")
    List<String> targets = new ArrayList<>();

    @Option(names = "--compare",
            description = "Run against all targets in one run, interleaved round-robin, and print ratios to the first.")
    boolean compare;

    @Option(names = "--duration", paramLabel = "D",
            description = "Stop after this long, e.g. 500ms, 30s, 5m (default: 10s; join-storm: --over + --timeout).")
    String duration;

    @Option(names = "--max-requests", paramLabel = "N", defaultValue = "1000000",
            description = "At most this many requests (or sessions) per target (default ${DEFAULT-VALUE}).")
    long maxRequests;

    @Option(names = "--timeout", paramLabel = "D", defaultValue = "10s",
            description = "Per-request timeout (also connect and WebSocket handshake; default ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--connections", paramLabel = "N", defaultValue = "10000",
            description = "Max connections per destination (default ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--allow-host", paramLabel = "HOST",
            description = "Also allow this non-loopback host (exact name or address; repeatable).")
    List<String> allowHosts = new ArrayList<>();

    @Option(names = "--insecure", description = "Trust any TLS certificate (self-signed test set-ups).")
    boolean insecure;

    @Mixin
    MintOptions mint = new MintOptions();

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "Tokens to use instead of minting: one a line (a TOKEN= prefix is allowed), used in turn.")
    Path tokenFile;

    @Option(names = "--token-in", paramLabel = "WHERE", defaultValue = "query:token",
            description = "query:NAME, header:NAME, cookie:NAME or websocket-protocol (default ${DEFAULT-VALUE}).")
    String tokenIn;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the report as JSON to this file.")
    Path json;

    @Option(names = {"-q", "--quiet"}, description = "No progress lines on stderr.")
    boolean quiet;

    @Option(names = "--cpu-of", paramLabel = "NAME=PID",
            description = "Also report the CPU time this local process used while measuring, in total and per"
                    + " request or viewer, e.g. gateway=$(pgrep -f 'streamgate.jar run') (Linux; repeatable)."
                    + " Named like a --target, it is counted per unit of that target alone, else of all."
                    + " The load generator's own is always reported.")
    List<String> cpuOf = new ArrayList<>();

    /** The parsed and checked targets (throws {@link UsageException}). */
    List<Target> targets(TargetPolicy policy) {
        List<Target> list = Target.parseAll(targets);
        if (list.isEmpty()) {
            throw new UsageException("--target: at least one is required");
        }
        if (list.size() > 1 && !compare) {
            throw new UsageException("several --target values need --compare (they are then interleaved in one run)");
        }
        if (compare && list.size() < 2) {
            throw new UsageException("--compare needs two or more --target values");
        }
        for (Target t : list) {
            policy.check(t.uri());
        }
        return list;
    }

    /** The processes whose CPU time is reported: the generator itself, then each {@code --cpu-of}. */
    List<ProcessCpu> cpuOf() {
        List<ProcessCpu> list = new ArrayList<>();
        list.add(ProcessCpu.self());
        for (String spec : cpuOf) {
            list.add(ProcessCpu.parse(spec));
        }
        return list;
    }

    TargetPolicy policy() {
        return new TargetPolicy(allowHosts);
    }

    Duration duration(Duration fallback) {
        return duration == null ? fallback : parse("--duration", duration);
    }

    Duration timeout() {
        return parse("--timeout", timeout);
    }

    TokenPlacement placement() {
        return TokenPlacement.parse(tokenIn);
    }

    /** The token source the options describe. */
    TokenSource tokens() {
        if (mint.key != null && tokenFile != null) {
            throw new UsageException("--key and --token-file exclude each other");
        }
        if (tokenFile != null) {
            return TokenSource.fromFile(tokenFile);
        }
        return mint.key == null ? mint.none() : mint.minter();
    }

    /** Like {@link #parse} but {@code 0}/{@code 0s} is allowed (no ramp, no warm-up). */
    static Duration parseOrZero(String option, String text) {
        String t = text == null ? "" : text.trim();
        if (t.equals("0") || t.matches("0+(ms|s|m|h|d)")) {
            return Duration.ZERO;
        }
        return parse(option, text);
    }

    static Duration parse(String option, String text) {
        Duration d = text == null ? null : Durations.parse(text);
        if (d == null || d.isNegative() || d.isZero()) {
            throw new UsageException(option + ": not a duration: \"" + text + "\" (use e.g. 500ms, 30s, 5m)");
        }
        return d;
    }
}
