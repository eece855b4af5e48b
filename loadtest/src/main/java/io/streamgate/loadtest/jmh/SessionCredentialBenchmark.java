package io.streamgate.loadtest.jmh;

import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import io.streamgate.filters.Authorizer;
import io.streamgate.filters.RoutePolicy;
import io.streamgate.filters.Verdict;
import io.streamgate.filters.core.BasicRequestView;
import io.streamgate.filters.crypto.CryptoProvider;
import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.crypto.SignatureVerifier;
import io.streamgate.filters.keys.KeyRegistry;
import io.streamgate.filters.session.Revocation;
import io.streamgate.filters.session.RevocationIndex;
import io.streamgate.gateway.session.SessionCredentials;

/**
 * What an HLS segment request costs the gateway: checking the session credential (one
 * HMAC-SHA256 plus parsing) versus a full cold ES256 token decision with the fastest provider
 * (what every segment would cost if each carried the token and missed the cache).
 *
 * <p>Run: {@code java -jar loadtest/target/streamgate-benchmarks.jar SessionCredentialBenchmark}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(1)
public class SessionCredentialBenchmark {
    private SessionCredentials credentials;
    private String credential;
    private Authorizer authorizer;
    private String[] tokens;
    private int next;
    private RevocationIndex revocations;
    private final RoutePolicy route = RoutePolicy.anyValidToken("hls", "/live/");

    @Setup(Level.Trial)
    public void setUp() {
        credentials = new SessionCredentials("benchmark-session-secret-0123".getBytes(), Duration.ofMinutes(10),
                Clock.systemUTC());
        credential = credentials.issue("hls", "/live/ev42/", "https://tickets.example", "viewer-1234",
                "0b8f7a1e-4c2d-4e5f-9a6b-7c8d9e0f1a2b", "Jq3V0m1u5yQm2fV8cW1rLA", System.currentTimeMillis() / 1000,
                System.currentTimeMillis() / 1000 + 7200, "", "");
        // 1,000 revocations in force (jti, sub, sid and one issuedBefore), none matching this viewer
        java.util.List<Revocation> rs = new java.util.ArrayList<>();
        long until = System.currentTimeMillis() + 3_600_000;
        for (int i = 0; i < 999; i++) {
            Revocation.Kind k = Revocation.Kind.values()[i % 3];
            rs.add(new Revocation("r" + i, k, "value-" + i, null, until, null, 0));
        }
        rs.add(new Revocation("old", Revocation.Kind.ISSUED_BEFORE, "1000000000", null, until, null, 0));
        revocations = new RevocationIndex(rs);
        KeyPair pair = BenchmarkTokens.generate(JwsAlgorithm.ES256);
        SignatureVerifier crypto = SignatureVerifier.select(CryptoProvider.AUTO);
        KeyRegistry keys = KeyRegistry.builder(crypto)
                .addStatic(BenchmarkTokens.publicPem(pair), BenchmarkTokens.KID, "keys[0]").build();
        authorizer = Authorizer.builder(keys, crypto).cacheBytes(64 * 1024).build();
        long now = System.currentTimeMillis() / 1000;
        tokens = new String[16_384];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = BenchmarkTokens.mint(JwsAlgorithm.ES256, pair.getPrivate(), now, "ev42");
        }
        if (credentials.check(credential, "hls", "/live/ev42/seg-1.ts").failure() != null) {
            throw new IllegalStateException("credential does not check");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        authorizer.close();
    }

    /**
     * A segment request riding on a session credential: open the sealed credential, then the
     * revocation check (1,000 revocations in force) — what a segment costs before proxying.
     */
    @Benchmark
    public Object segmentWithSessionCredential() {
        SessionCredentials.Check c = credentials.check(credential, "hls", "/live/ev42/seg-1234.ts");
        SessionCredentials.Session s = c.session();
        Revocation r = revocations.match(s.iss(), s.sub(), s.jti(), s.sid(), s.iat(), System.currentTimeMillis());
        return r != null ? r : c;
    }

    /** A segment request carrying a token never seen before: the full cold ES256 decision. */
    @Benchmark
    public Verdict segmentWithColdEs256Token() {
        String t = tokens[next];
        next = (next + 1) & (tokens.length - 1);
        return authorizer.authorize(route, BasicRequestView.of("/live/ev42/seg-1234.ts?token=" + t))
                .toCompletableFuture().join();
    }
}
