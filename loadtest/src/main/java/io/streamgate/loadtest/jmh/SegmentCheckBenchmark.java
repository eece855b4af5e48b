package io.streamgate.loadtest.jmh;

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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import io.streamgate.filters.metrics.StreamGateMetrics;
import io.streamgate.filters.session.MemorySessionStore;
import io.streamgate.filters.session.Revocation;
import io.streamgate.filters.session.SessionState;
import io.streamgate.filters.session.Sessions;
import io.streamgate.gateway.session.SessionCredentials;

/**
 * An HLS segment on its session credential as {@code HlsRoute} checks it since the sessions
 * rework: open the sealed credential ({@link SessionCredentials#check}), then
 * {@link Sessions#refusal} — the ended-sessions map, then the {@code RevocationIndex} (sid,
 * jti, sub lookups and the {@code issuedBefore} scan) — with {@code revocations} in force
 * (jti, sub and sid in turn, plus one {@code issuedBefore}) and {@code ended} sessions ended
 * (evicted), none of them the viewer's. The viewers are 1,024 distinct open sessions taken in
 * turn, so that lookups do not all hit the same entries. Target: ≥ 500,000 checks/s on one
 * thread with 100,000 revocations.
 *
 * <p>Run: {@code java -jar loadtest/target/streamgate-benchmarks.jar SegmentCheckBenchmark}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(1)
public class SegmentCheckBenchmark {
    @Param({"100000"})
    public int revocations;

    @Param({"10000"})
    public int ended;

    private SessionCredentials credentials;
    private Sessions sessions;
    private String[] viewers;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        Clock clock = Clock.systemUTC();
        credentials = new SessionCredentials("benchmark-session-secret-0123".getBytes(), Duration.ofMinutes(10), clock);
        sessions = new Sessions(new MemorySessionStore(clock, 1_000_000, 2_000_000, 2_000_000), clock,
                StreamGateMetrics.noop(), Duration.ofMillis(250), Duration.ofSeconds(5));
        fill(sessions, revocations, ended);
        long now = clock.millis() / 1000;
        viewers = new String[1024];
        for (int i = 0; i < viewers.length; i++) {
            viewers[i] = credentials.issue("hls", "/live/ev42/", "https://tickets.example", "viewer-" + i,
                    "jti-of-viewer-" + i, sessions.newSid(), now, now + 7200, "", "");
        }
        for (String v : viewers) {
            SessionCredentials.Session s = credentials.check(v, "hls", "/live/ev42/seg-1.ts").session();
            if (s == null || sessions.refusal(s.sid(), s.iss(), s.sub(), s.jti(), s.iat()) != null) {
                throw new IllegalStateException("a viewer's credential does not check");
            }
        }
        if (sessions.index().size() != revocations) {
            throw new IllegalStateException("index holds " + sessions.index().size() + " revocations");
        }
    }

    /**
     * Puts {@code revocations} revocations (jti, sub, sid in turn and one issuedBefore, ttl 1 h)
     * in the replica's index, as its change applier does for each one read from the log (the
     * store is not on the check path; {@code MemorySessionStore.addRevocation} scans every stored
     * revocation on each add, which would make this setup quadratic), and ends {@code ended}
     * sessions (evicted) through {@link Sessions#end}, as {@code evict-oldest} does.
     */
    static void fill(Sessions sessions, int revocations, int ended) {
        long now = System.currentTimeMillis();
        long until = now + 3_600_000;
        for (int i = 0; i < revocations; i++) {
            Revocation r = i == 0
                    ? new Revocation(sessions.newSid(), Revocation.Kind.ISSUED_BEFORE, "1000000000", null, until, null, now)
                    : new Revocation(sessions.newSid(), Revocation.Kind.values()[i % 3], "revoked-" + i, null, until,
                            null, now);
            sessions.index().add(r);
        }
        for (int i = 0; i < ended; i++) {
            sessions.end(sessions.newSid(), SessionState.EVICTED).toCompletableFuture().join();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        sessions.close();
    }

    /** One segment request: the credential opened, then the session's local refusal check. */
    @Benchmark
    public Object segment() {
        String v = viewers[next];
        next = (next + 1) & (viewers.length - 1);
        SessionCredentials.Check c = credentials.check(v, "hls", "/live/ev42/seg-1234.ts");
        SessionCredentials.Session s = c.session();
        io.streamgate.filters.session.SessionState r = sessions.refusal(s.sid(), s.iss(), s.sub(), s.jti(), s.iat());
        return r != null ? r : c;
    }
}
