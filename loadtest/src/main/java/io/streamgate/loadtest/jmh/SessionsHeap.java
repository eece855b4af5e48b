package io.streamgate.loadtest.jmh;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import io.streamgate.filters.metrics.StreamGateMetrics;
import io.streamgate.filters.replay.MemoryReplayStore;
import io.streamgate.filters.session.MemorySessionStore;
import io.streamgate.filters.session.Revocation;
import io.streamgate.filters.session.RevocationIndex;
import io.streamgate.filters.session.SessionRecord;
import io.streamgate.filters.session.SessionState;
import io.streamgate.filters.session.SessionStore;
import io.streamgate.filters.session.Sessions;

/**
 * Heap held per 100,000 sessions (or ended sessions, or revocations) by each structure of a
 * replica, measured as the used-heap difference ({@link MemoryMXBean}) after full GCs
 * ({@code System.gc()} five times) before and after filling one structure, the structure
 * kept reachable. Each entry's strings are its own (as when parsed from a token or request):
 * sid (22 characters), jti (a UUID), sub ({@code viewer-N}), iss, path.
 * <ul>
 * <li>{@code MemorySessionStore}: 100,000 open HLS session records with their token and jti
 *     indexes ({@code replay.store: memory}; with Redis a replica holds no records);</li>
 * <li>{@code MemoryReplayStore} leases: 100,000 subjects' leases ({@code replay.mode: limit},
 *     {@code limitBy: sub}, memory store);</li>
 * <li>{@code HlsRoute}'s per-session maps: {@code live} (the live-sessions gauge) and
 *     {@code beats} (lease heartbeats), built as {@code GatewayMetrics.liveHls} and
 *     {@code HlsRoute} build them, one entry per open session;</li>
 * <li>{@code Sessions}' ended-sessions map: 100,000 sessions ended (evicted) through
 *     {@link Sessions#end}, on a store that keeps nothing (so only the map counts);</li>
 * <li>{@code RevocationIndex}: 100,000 jti revocations (ids as the admin API makes them).</li>
 * </ul>
 *
 * <p>Run: {@code java -Xmx1g -cp loadtest/target/streamgate-benchmarks.jar io.streamgate.loadtest.jmh.SessionsHeap [N] [rounds]}
 */
public final class SessionsHeap {
    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();
    private static final String ISS = "https://tickets.example";

    private SessionsHeap() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Clock clock = Clock.systemUTC();
        List<String> names = List.of("MemorySessionStore: open records + token/jti indexes",
                "MemorySessionStore: records alone (no token key, no jti: no index entries)",
                "MemoryReplayStore: limit leases (limitBy sub)",
                "HlsRoute live + beats maps",
                "Sessions ended-sessions map",
                "RevocationIndex (jti revocations)");
        List<Supplier<Object>> fills = List.of(
                () -> openSessions(clock, n, true),
                () -> openSessions(clock, n, false),
                () -> leases(clock, n),
                () -> hlsMaps(n),
                () -> endedSessions(clock, n),
                () -> revocations(clock, n));
        System.out.printf(Locale.ROOT, "%s, %s, max heap %d MiB, %d entries, %d rounds%n",
                System.getProperty("java.vm.name"), System.getProperty("java.version"),
                Runtime.getRuntime().maxMemory() >> 20, n, rounds);
        // warm: class loading and JIT of the fill code are not counted
        for (Supplier<Object> f : fills) {
            consume(f.get());
        }
        List<List<Long>> bytes = new ArrayList<>();
        for (int i = 0; i < fills.size(); i++) {
            bytes.add(new ArrayList<>());
        }
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i < fills.size(); i++) {
                long before = usedAfterGc();
                Object held = fills.get(i).get();
                long after = usedAfterGc();
                consume(held);
                bytes.get(i).add(after - before);
            }
        }
        System.out.println("| structure | entries | heap per entry (rounds) | MB per 100,000 (median) |");
        System.out.println("|---|---:|---|---:|");
        for (int i = 0; i < fills.size(); i++) {
            List<Long> b = new ArrayList<>(bytes.get(i));
            List<String> per = b.stream().map(x -> Long.toString(Math.round(x / (double) n))).toList();
            b.sort(Long::compare);
            long median = b.get(b.size() / 2);
            System.out.printf(Locale.ROOT, "| %s | %,d | %s B | %.1f |%n", names.get(i), n, String.join(" / ", per),
                    median / (double) n * 100_000 / 1e6);
        }
    }

    private static volatile Object sink;

    private static void consume(Object o) {
        sink = o;
        sink = null;
    }

    private static long usedAfterGc() throws InterruptedException {
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return MEMORY.getHeapMemoryUsage().getUsed();
    }

    private static String sid() {
        byte[] b = new byte[16];
        java.util.concurrent.ThreadLocalRandom.current().nextBytes(b);
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static String fresh(String s) {
        return new String(s.toCharArray()); // its own copy, as when parsed from a request
    }

    /** The gateway's token key: length-prefixed iss, then jti (ReplayGuard.key). */
    private static String key(String iss, String v) {
        return iss.length() + ":" + iss + v;
    }

    static Object openSessions(Clock clock, int n, boolean indexed) {
        MemorySessionStore store = new MemorySessionStore(clock, 1_000_000); // as AuthSetup.sessions builds it
        long now = clock.millis() / 1000;
        for (int i = 0; i < n; i++) {
            String iss = fresh(ISS);
            String jti = indexed ? UUID.randomUUID().toString() : null;
            SessionRecord r = SessionRecord.opened(sid(), "hls", "hls", fresh("/live/demo/"), iss, "viewer-" + i, jti,
                    now + 7200, now, now);
            store.open(r, indexed ? key(iss, jti) : null, TimeUnit.HOURS.toMillis(13));
        }
        return store;
    }

    static Object leases(Clock clock, int n) {
        MemoryReplayStore store = new MemoryReplayStore(clock, 1_000_000);
        long exp = clock.millis() + TimeUnit.HOURS.toMillis(2);
        for (int i = 0; i < n; i++) {
            store.acquireEvicting("s" + key(fresh(ISS), "viewer-" + i), sid(), 1, 30_000, exp);
        }
        return store;
    }

    static Object hlsMaps(int n) {
        Cache<String, Boolean> live = Caffeine.newBuilder().maximumSize(500_000)
                .expireAfterWrite(Duration.ofMinutes(10)).executor(Runnable::run).build();
        Cache<String, Boolean> beats = Caffeine.newBuilder().maximumSize(500_000)
                .expireAfterWrite(Duration.ofSeconds(10)).ticker(System::nanoTime).executor(Runnable::run).build();
        for (int i = 0; i < n; i++) {
            String sid = sid();
            live.put(sid, Boolean.TRUE);
            beats.put(fresh(sid), Boolean.TRUE); // a segment's credential: its own copy of the sid
        }
        return List.of(live, beats);
    }

    static Object endedSessions(Clock clock, int n) {
        Sessions sessions = new Sessions(new NoStore(), clock, StreamGateMetrics.noop(), Duration.ofMillis(250),
                Duration.ofSeconds(1), Duration.ofMinutes(11), null);
        for (int i = 0; i < n; i++) {
            sessions.end(sid(), SessionState.EVICTED);
        }
        sessions.close();
        return sessions;
    }

    static Object revocations(Clock clock, int n) {
        RevocationIndex index = new RevocationIndex();
        long now = clock.millis();
        for (int i = 0; i < n; i++) {
            index.add(new Revocation(sid(), Revocation.Kind.JTI, UUID.randomUUID().toString(), null,
                    now + TimeUnit.HOURS.toMillis(1), null, now));
        }
        return index;
    }

    /** A store that keeps nothing: only what {@link Sessions} itself holds is measured. */
    private static final class NoStore implements SessionStore {
        private static <T> CompletionStage<T> done(T v) {
            return CompletableFuture.completedFuture(v);
        }

        @Override
        public CompletionStage<Void> open(SessionRecord session, String tokenKey, long keepMillis) {
            return done(null);
        }

        @Override
        public CompletionStage<SessionRecord> get(String sid) {
            return done(null);
        }

        @Override
        public CompletionStage<SessionRecord> renew(String sid, long newCap, String jti, String tokenKey, long keepMillis) {
            return done(null);
        }

        @Override
        public CompletionStage<SessionState> end(String sid, SessionState state) {
            return done(null);
        }

        @Override
        public CompletionStage<Void> announce(String sid, SessionState state) {
            return done(null);
        }

        @Override
        public CompletionStage<List<String>> sessionsOf(String tokenKey, int limit) {
            return done(List.of());
        }

        @Override
        public CompletionStage<List<String>> sessionsWithJti(String jti, int limit) {
            return done(List.of());
        }

        @Override
        public CompletionStage<Void> addRevocation(Revocation r) {
            return done(null);
        }

        @Override
        public CompletionStage<Boolean> removeRevocation(String id) {
            return done(false);
        }

        @Override
        public CompletionStage<List<Revocation>> revocations() {
            return done(List.of());
        }

        @Override
        public CompletionStage<String> cursorBefore(long windowMillis) {
            return done("0");
        }

        @Override
        public CompletionStage<Changes> changesSince(String cursor, int max) {
            return done(new Changes(List.of(), cursor));
        }

        @Override
        public String name() {
            return "none";
        }
    }
}
