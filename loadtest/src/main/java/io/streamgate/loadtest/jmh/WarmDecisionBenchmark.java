package io.streamgate.loadtest.jmh;

import java.security.KeyPair;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamgate.filters.Authorizer;
import io.streamgate.filters.RoutePolicy;
import io.streamgate.filters.Verdict;
import io.streamgate.filters.core.BasicRequestView;
import io.streamgate.filters.core.RequestView;
import io.streamgate.filters.crypto.CryptoProvider;
import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.crypto.SignatureVerifier;
import io.streamgate.filters.keys.KeyRegistry;
import io.streamgate.filters.metrics.StreamGateMetrics;
import io.streamgate.filters.rules.RouteRules;

/**
 * A viewer's steady state: the same HLS playlist request with the same token every few
 * seconds, so the signature is found in the verified-token cache and only the per-request
 * checks run — extraction from the query string, cache lookup, time claims, route rules,
 * replay (off), metrics. This is the figure that bounds playlist and segment traffic once
 * viewers are connected.
 *
 * <p>Request: {@code /live/ev42/index.m3u8?token=<ES256 token>} on a route with prefix
 * {@code /live/}. With {@code rules=none} the route only needs a valid token; with
 * {@code rules=hls} it requires {@code {claim: "roles[].eventId", contains: "{path.0}"}} —
 * the token's {@code roles} array (two entries, the match in the second) must name the event
 * in the first path segment after the prefix. The trial fails if any lookup after the first
 * missed or any decision was a denial.
 *
 * <pre>{@code
 * ./mvnw -B -q -o install -DskipTests -pl filters -am && ./mvnw -B -q -o package -pl loadtest -DskipTests
 * java -jar loadtest/target/streamgate-benchmarks.jar WarmDecisionBenchmark
 * java -jar loadtest/target/streamgate-benchmarks.jar WarmDecisionBenchmark -p rules=hls
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(1)
public class WarmDecisionBenchmark {
    @Param({"none", "hls"})
    String rules;

    private Authorizer authorizer;
    private SimpleMeterRegistry meters;
    private DecisionCounters before;
    private RoutePolicy route;
    private RequestView request;

    @Setup(Level.Trial)
    public void setup() {
        SignatureVerifier verifier = SignatureVerifier.select(CryptoProvider.AUTO);
        KeyPair pair = BenchmarkTokens.generate(JwsAlgorithm.ES256);
        KeyRegistry keys = KeyRegistry.builder(verifier)
                .addStatic(BenchmarkTokens.publicPem(pair), BenchmarkTokens.KID, "bench")
                .build();
        meters = new SimpleMeterRegistry();
        authorizer = Authorizer.builder(keys, verifier)
                .metrics(new StreamGateMetrics(meters))
                .build();
        RouteRules compiled = switch (rules) {
            case "none" -> RouteRules.none();
            case "hls" -> RouteRules.compile(
                    List.of(Map.of("claim", "roles[].eventId", "contains", "{path.0}")), "routes[0].require");
            default -> throw new IllegalArgumentException("rules: none or hls, not " + rules);
        };
        route = new RoutePolicy("live", "/live/", compiled);

        String token = BenchmarkTokens.mint(JwsAlgorithm.ES256, pair.getPrivate(),
                Instant.now().getEpochSecond(), "ev42");
        request = BasicRequestView.of("/live/ev42/index.m3u8?token=" + token);
        Verdict first = authorize(); // the one miss: verifies and caches the token
        if (!first.allowed()) {
            throw new IllegalStateException("the benchmark request was denied: " + first.reason());
        }
        if ("hls".equals(rules)) {
            Verdict other = authorizer.authorize(route, BasicRequestView.of("/live/ev99/index.m3u8?token=" + token))
                    .toCompletableFuture().join();
            if (other.allowed()) {
                throw new IllegalStateException("the hls rule did not run: another event was allowed");
            }
        }
        before = DecisionCounters.of(meters);
    }

    @TearDown(Level.Trial)
    public void check() {
        DecisionCounters d = DecisionCounters.of(meters).minus(before);
        authorizer.close();
        if (d.cacheMisses() != 0 || d.denied() != 0 || d.allowed() == 0) {
            throw new IllegalStateException("not a pure warm-allow run: " + d);
        }
    }

    /** One decision on a cached token; complete on return. */
    @Benchmark
    public Verdict authorize() {
        return authorizer.authorize(route, request).toCompletableFuture().getNow(null);
    }
}
