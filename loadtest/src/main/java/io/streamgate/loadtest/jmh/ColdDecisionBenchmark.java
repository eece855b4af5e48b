package io.streamgate.loadtest.jmh;

import java.security.KeyPair;
import java.time.Instant;
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

/**
 * A full decision on a token the gateway has never seen: what every viewer's first request
 * costs (and every request, if tokens were minted per request). Each operation authorizes the
 * next of {@value #RING} distinct pre-minted tokens through {@link Authorizer#authorize} —
 * extraction from the query string, decode, key lookup by kid, signature verification through
 * {@link SignatureVerifier} (jose4j, JWS-to-DER conversion, the provider), time claims, cache
 * insertion, metrics — on a route with no rules and replay protection off.
 *
 * <p>The verified-token cache is kept ({@value #CACHE_BYTES} bytes: a few dozen entries) so
 * its insert and eviction are paid as on a busy gateway whose cache is full, but it can never hit: a token
 * comes round again only after {@value #RING} others. The trial fails if any lookup hit or any
 * decision was a denial, so the figure is always the cold path that allows.
 *
 * <p>Tokens are ES256 (P-256, about 430 characters) or RS256 (RSA-2048, about 690), with a
 * 2h lifetime and a random jti, minted once per trial. The verifier is
 * {@link SignatureVerifier#only} the named provider, so {@code jdk} really measures SunEC /
 * SunRsaSign. Compare with {@link RawSignatureBenchmark}
 * for the same provider to see StreamGate's overhead above the bare signature check.
 *
 * <pre>{@code
 * ./mvnw -B -q -o install -DskipTests -pl filters -am && ./mvnw -B -q -o package -pl loadtest -DskipTests
 * java -jar loadtest/target/streamgate-benchmarks.jar ColdDecisionBenchmark
 * java -jar loadtest/target/streamgate-benchmarks.jar ColdDecisionBenchmark -p alg=ES256 -p provider=conscrypt
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(1)
public class ColdDecisionBenchmark {
    /** Distinct tokens per trial; a power of two so the index wraps with a mask. */
    static final int RING = 16_384;
    private static final int MASK = RING - 1;
    /** Far smaller than the ring: every lookup misses, every insert evicts. */
    static final int CACHE_BYTES = 64 * 1024;

    @Param({"ES256", "RS256"})
    String alg;

    @Param({"conscrypt", "bouncycastle", "jdk"})
    String provider;

    private Authorizer authorizer;
    private SimpleMeterRegistry meters;
    private DecisionCounters before;
    private RoutePolicy route;
    private RequestView[] requests;
    private int index;

    @Setup(Level.Trial)
    public void setup() {
        JwsAlgorithm jws = JwsAlgorithm.fromJwaName(alg);
        CryptoProvider p = CryptoProvider.fromConfigName(provider);
        SignatureVerifier verifier = SignatureVerifier.baseline(p); // the JDK path even where it fails a KAT
        if (verifier == null) {
            throw new IllegalStateException("crypto provider " + provider + " cannot load on this machine");
        }
        if (verifier.providerFor(jws) != p) {
            throw new IllegalStateException(provider + " does not verify " + alg + " here");
        }
        KeyPair pair = BenchmarkTokens.generate(jws);
        KeyRegistry keys = KeyRegistry.builder(verifier)
                .addStatic(BenchmarkTokens.publicPem(pair), BenchmarkTokens.KID, "bench")
                .build();
        meters = new SimpleMeterRegistry();
        authorizer = Authorizer.builder(keys, verifier)
                .metrics(new StreamGateMetrics(meters))
                .cacheBytes(CACHE_BYTES)
                .build();
        route = RoutePolicy.anyValidToken("live", "/live/");

        long now = Instant.now().getEpochSecond();
        String[] tokens = BenchmarkTokens.mintMany(RING + 1, jws, pair.getPrivate(), now, "ev42");
        requests = new RequestView[RING];
        for (int i = 0; i < RING; i++) {
            requests[i] = BasicRequestView.of("/live/ev42/index.m3u8?token=" + tokens[i]);
        }
        // A token outside the ring proves the wiring allows before anything is measured.
        Verdict probe = authorizer.authorize(route, BasicRequestView.of("/live/ev42/index.m3u8?token=" + tokens[RING]))
                .toCompletableFuture().join();
        if (!probe.allowed()) {
            throw new IllegalStateException("a valid " + alg + " token was denied: " + probe.reason());
        }
        before = DecisionCounters.of(meters);
    }

    @TearDown(Level.Trial)
    public void check() {
        DecisionCounters d = DecisionCounters.of(meters).minus(before);
        authorizer.close();
        if (d.cacheHits() != 0 || d.denied() != 0 || d.allowed() == 0) {
            throw new IllegalStateException("not a pure cold-allow run: " + d);
        }
    }

    /** One cold decision; the verdict is complete on return (static keys, no replay store). */
    @Benchmark
    public Verdict authorize() {
        return authorizer.authorize(route, requests[index++ & MASK]).toCompletableFuture().getNow(null);
    }
}
