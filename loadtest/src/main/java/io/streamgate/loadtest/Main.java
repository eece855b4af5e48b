package io.streamgate.loadtest;

import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code streamgate-loadtest}: the load generator. Scenarios are subcommands; each prints a
 * progress line per second to stderr, then a Markdown table to stdout (throughput, p50, p99,
 * p99.9, errors by status, per target) and, with {@code --json FILE}, the same as JSON.
 *
 * <h2>Build</h2>
 * <pre>{@code
 * ./mvnw -q install -DskipTests        # builds loadtest/target/streamgate-loadtest.jar
 * java -jar loadtest/target/streamgate-loadtest.jar --help
 * java -jar loadtest/target/streamgate-loadtest.jar http-rate --help
 * }</pre>
 *
 * <h2>Scenarios</h2>
 * <ul>
 * <li>{@code http-rate --rate R [--warmup D]}: R requests/s per target to one URL, open model;
 *     latency from each request's intended start (coordinated-omission safe); requests due
 *     that the client could not send in time are reported as {@code unsent}.</li>
 * <li>{@code hls-viewers --viewers N}: N players per target (master, media reloads every
 *     target duration, every new segment; child URIs followed as rewritten).</li>
 * <li>{@code ws-viewers --viewers N}: N WebSocket sessions per target, frames and bytes
 *     counted.</li>
 * <li>{@code join-storm --viewers N --over T [--media]}: N viewers per target join within T,
 *     each with its own freshly minted token (minted before the clock starts); admitted/s and
 *     join latency.</li>
 * <li>{@code tokens --count N --out FILE}: N freshly minted tokens, one a line, for
 *     generators that cannot sign (wrk with {@code loadtest/wrk/tokens.lua}).</li>
 * <li>{@code revocation-propagation --admin URL_A --target URL_B --key PEM --kid KID --count N}:
 *     how long a revocation made at replica A takes to refuse a token at replica B
 *     (p50/p90/p99/max; see {@link RevocationPropagationCommand}).</li>
 * <li>{@code eviction-churn --target-a URL_A --target-b URL_B [--admin-a URL] [--seed-revocations N]
 *     --key PEM --kid KID [--phases none,churn]}: joins/s and 503 share of new subjects at two
 *     replicas with and without one subject churning evictions (see {@link EvictionChurnCommand}).</li>
 * <li>{@code slow-bodies --viewers N --slow M [--phases none,slow,...]}: N HLS viewers per target
 *     alone and while M connections send a request body a byte per 10 s; the viewers' p50/p99
 *     per phase and p99 with over without (see {@link SlowBodiesCommand}).</li>
 * </ul>
 *
 * <h2>Common options</h2>
 * {@code --target [NAME=]URL} (repeatable with {@code --compare}: targets are interleaved
 * round-robin per request or viewer and ratios to the first are printed), {@code --duration}
 * (default 10s; viewers 30s; join-storm {@code --over} + {@code --timeout}),
 * {@code --max-requests N} (per target), {@code --timeout}, {@code --key PEM --kid KID
 * [--alg] [--sub] [--iss] [--aud] [--ttl] [--streams a,b] [--claim name=json]} (mint, like
 * {@code streamgate mint}) or {@code --token-file FILE} (one token a line), {@code --token-in
 * query:token|header:Authorization|cookie:NAME|websocket-protocol}, {@code --json FILE},
 * {@code --allow-host HOST}, {@code --quiet}.
 *
 * <p>Safety: only loopback targets (127.0.0.0/8, ::1, localhost) unless a host is named with
 * {@code --allow-host}; this is checked for every URL (also those found in playlists; redirects
 * are not followed) and again when connecting, so nothing is sent to another address.
 * Tokens are never printed: reports show URLs without their query.
 *
 * <h2>Side by side: origin directly vs gateway vs nginx</h2>
 * <pre>{@code
 * # 1. the demo: gateway on :8080 and the embedded origin (its port is printed as "origin", say 43727)
 * java -jar gateway/target/streamgate.jar demo --port 8080 --admin-port 9090 | tee demo.out &
 * grep '^TOKEN=' demo.out | cut -d= -f2- > token.txt        # the tool never prints it
 * # 2. a plain nginx reverse proxy on :8081 to the same origin (no auth), e.g. in nginx.conf:
 * #    upstream origin { server 127.0.0.1:43727; keepalive 64; }
 * #    server { listen 127.0.0.1:8081; location / { proxy_pass http://origin;
 * #             proxy_http_version 1.1; proxy_set_header Connection ""; } }
 * nginx -p "$PWD/nginx" -c nginx.conf
 * # 3. one interleaved run per scenario; ratios are to the first target
 * LT=loadtest/target/streamgate-loadtest.jar
 * java -jar $LT http-rate --rate 500 --warmup 5s --duration 30s --compare \
 *   --target origin=http://127.0.0.1:43727/live/demo/master.m3u8 \
 *   --target nginx=http://127.0.0.1:8081/live/demo/master.m3u8 \
 *   --target gateway=http://127.0.0.1:8080/live/demo/master.m3u8 \
 *   --token-file token.txt --json http-rate.json
 * java -jar $LT hls-viewers --viewers 200 --duration 60s --compare --token-file token.txt \
 *   --target origin=http://127.0.0.1:43727/live/demo/master.m3u8 \
 *   --target nginx=http://127.0.0.1:8081/live/demo/master.m3u8 \
 *   --target gateway=http://127.0.0.1:8080/live/demo/master.m3u8 --json hls.json
 * java -jar $LT ws-viewers --viewers 200 --duration 30s --token-file token.txt \
 *   --target 'gateway=ws://127.0.0.1:8080/h5live/authstream?streamname=demo'
 * # join storm: minted tokens need a gateway holding the matching public key
 * java -jar gateway/target/streamgate.jar keygen --alg ES256 --kid lt --out lt
 * #    lt/gateway.yaml: listen 127.0.0.1:8082, keys [{kid: lt, file: lt/public.pem}], replay {mode: once},
 * #    route hls /live/ -> http://127.0.0.1:43727/live/ requiring roles[].eventId contains {path.0}
 * java -jar gateway/target/streamgate.jar run --config lt/gateway.yaml &
 * java -jar $LT join-storm --viewers 2000 --over 10s --media --compare \
 *   --target origin=http://127.0.0.1:43727/live/demo/master.m3u8 \
 *   --target gateway=http://127.0.0.1:8082/live/demo/master.m3u8 \
 *   --key lt/private.pem --kid lt --claim 'roles=[{"eventId":"demo"}]' --streams demo --json join.json
 * }</pre>
 *
 * <p>Exit codes: 0 done (errors are in the report), 2 usage error or refused target,
 * 1 runtime failure.
 */
@Command(name = "streamgate-loadtest", mixinStandardHelpOptions = true, version = "streamgate-loadtest 0.1.0",
        description = "Load generator for StreamGate: HLS and WebSocket viewers, join storms, fixed-rate HTTP.",
        subcommands = {HttpRateScenario.class, HlsViewersScenario.class, WsViewersScenario.class,
            JoinStormScenario.class, TokensCommand.class, RevocationPropagationCommand.class,
            EvictionChurnCommand.class, SlowBodiesCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    public static final int OK = 0;
    public static final int FAILURE = 1;
    public static final int USAGE = 2;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(System.out, System.err, args));
    }

    /** Runs the command line with the given streams; returns the exit code. */
    public static int execute(PrintStream out, PrintStream err, String... args) {
        PrintWriter o = new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true);
        PrintWriter e = new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true);
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(o);
        cl.setErr(e);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            if (ex instanceof UsageException) {
                commandLine.getErr().println("error: " + ex.getMessage());
                return USAGE;
            }
            commandLine.getErr().println("failed: " + ex);
            return FAILURE;
        });
        int code = cl.execute(args);
        o.flush();
        e.flush();
        return code;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "a scenario is required: http-rate, hls-viewers, ws-viewers or join-storm");
    }
}
