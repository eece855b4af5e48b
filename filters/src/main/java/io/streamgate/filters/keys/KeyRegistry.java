package io.streamgate.filters.keys;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.streamgate.filters.core.ConfigException;
import io.streamgate.filters.core.Tickers;
import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.crypto.SignatureVerifier;
import io.streamgate.filters.metrics.StreamGateMetrics;

/**
 * All keys a token's {@code kid} can select: static keys (PEM, JWK, JWKS files or text) and
 * remote JWKS sources. Lookups read an immutable index (kid → algorithm → keys) swapped
 * atomically when a source changes, so the hot path takes no lock and allocates nothing.
 *
 * <p>Header fields that name other key sources — {@code jku}, {@code x5u}, an embedded
 * {@code jwk} or {@code x5c} — are never consulted: a key must come from configuration,
 * otherwise whoever writes the token chooses the key that verifies it.
 */
public final class KeyRegistry implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KeyRegistry.class);
    private static final VerificationKey[] NONE = new VerificationKey[0];
    private static final int ALGS = JwsAlgorithm.values().length;

    private final KeyParser parser;
    private final Clock clock;
    private final StreamGateMetrics metrics;
    /** Static sources in config order; replaced whole (copy on write) when a key file changes. */
    private volatile List<StaticSource> statics;
    private final List<RemoteJwks> remotes;
    /** When each key (by value) was first loaded; survives reloads that keep it; only current keys. */
    private final Map<VerificationKey, Instant> loadedAt = new ConcurrentHashMap<>();
    private final ExecutorService fetchExecutor;
    private final ExecutorService httpExecutor;
    private final ScheduledExecutorService scheduler;
    private volatile Index index;

    /** kid → keys by algorithm ordinal; plus, for tokens without kid, every key by algorithm. */
    private record Index(Map<String, VerificationKey[][]> byKid, VerificationKey[][] all,
                         Set<VerificationKey> members) {
    }

    /**
     * The keys of one static config entry (a file or text): its config path, where it came
     * from (a file path, or null), the kid it was configured with, the SHA-256 of the text it
     * was parsed from (a file watcher compares it with the file's content) and its keys.
     */
    private record StaticSource(String source, String location, String kid, byte[] sha256, List<VerificationKey> keys) {
    }

    /**
     * One loaded key, as {@code GET /keys} lists it.
     *
     * @param source     the config path of its entry, e.g. {@code keys[0]}
     * @param location   the key file's path or the JWKS URL (null for key text given directly)
     * @param loadedAt   when a key equal to it (kid, algorithms, key bytes) was first loaded
     * @param spkiSha256 {@link VerificationKey#spkiSha256()}
     */
    public record KeyInfo(String kid, Set<JwsAlgorithm> algorithms, String source, String location, Instant loadedAt,
                          String spkiSha256) {
    }

    private KeyRegistry(Builder b) {
        this.parser = b.parser;
        this.clock = b.clock;
        this.metrics = b.metrics;
        this.statics = List.copyOf(b.statics);
        if (b.previous != null) {
            loadedAt.putAll(b.previous.loadedAt);
        }
        ThreadFactory tf = daemon("streamgate-jwks");
        // Two pools on purpose: the parse thread blocks reading a response body, which the HTTP
        // client's own threads deliver; sharing one thread would deadlock.
        this.fetchExecutor = b.remotes.isEmpty() ? null : Executors.newFixedThreadPool(1, tf);
        this.httpExecutor = b.remotes.isEmpty() ? null : Executors.newFixedThreadPool(2, daemon("streamgate-jwks-http"));
        this.scheduler = b.remotes.isEmpty() ? null : Executors.newSingleThreadScheduledExecutor(tf);
        List<RemoteJwks> rs = new ArrayList<>();
        HttpClient http = b.remotes.isEmpty() ? null : HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(5)).executor(httpExecutor)
                .followRedirects(HttpClient.Redirect.NEVER).build();
        for (RemoteSpec s : b.remotes) {
            RemoteJwks r = new RemoteJwks(s.uri, s.source, s.refresh, s.minRefetch, s.timeout, http, fetchExecutor,
                    scheduler, b.parser, Tickers.of(b.clock), b.metrics, this::rebuild);
            if (b.previous != null) {
                // a reload: the same URL keeps serving its last good keys while it is refetched
                for (RemoteJwks old : b.previous.remotes) {
                    if (old.uri().equals(s.uri) && old.loaded()) {
                        r.seed(old.keys());
                        break;
                    }
                }
            }
            rs.add(r);
        }
        this.remotes = List.copyOf(rs);
        Set<String> sources = new java.util.HashSet<>();
        for (StaticSource src : statics) {
            sources.add(src.source());
            String name = src.source();
            metrics.keysLoaded(name, () -> staticCount(name));
            for (VerificationKey k : src.keys()) {
                LOG.info("key {} from {}{}: {}", k.kid(), k.source(),
                        src.location() == null ? "" : " (" + src.location() + ")", k.algorithms());
            }
        }
        remotes.forEach(r -> sources.add(r.source()));
        if (b.previous != null) {
            for (String gone : b.previous.sourceNames()) {
                if (!sources.contains(gone)) {
                    metrics.keysUnloaded(gone);
                }
            }
        }
        rebuild();
    }

    private int staticCount(String source) {
        for (StaticSource s : statics) {
            if (s.source().equals(source)) {
                return s.keys().size();
            }
        }
        return 0;
    }

    private Set<String> sourceNames() {
        Set<String> names = new java.util.HashSet<>();
        statics.forEach(s -> names.add(s.source()));
        remotes.forEach(r -> names.add(r.source()));
        return names;
    }

    /**
     * The SHA-256 of the text the static source {@code source} (e.g. {@code keys[0]}) was last
     * loaded from, or null when there is no such static source.
     */
    public byte[] staticSha256(String source) {
        for (StaticSource s : statics) {
            if (s.source().equals(source)) {
                return s.sha256().clone();
            }
        }
        return null;
    }

    /**
     * Replaces the keys of the static source {@code source} with those parsed from
     * {@code text} (a key file that changed). On any problem nothing changes and a
     * {@link ConfigException} names them; keys equal to the ones already loaded keep their
     * instances (and so the verified-token cache entries made with them).
     *
     * @return the keys now loaded from the source
     */
    public synchronized List<VerificationKey> reloadStatic(String source, String text) {
        List<StaticSource> cur = statics;
        for (int i = 0; i < cur.size(); i++) {
            StaticSource old = cur.get(i);
            if (!old.source().equals(source)) {
                continue;
            }
            List<String> problems = new ArrayList<>();
            List<VerificationKey> parsed = parseStatic(parser, text, old.kid(), source, problems);
            if (!problems.isEmpty()) {
                throw new ConfigException(problems);
            }
            List<VerificationKey> keys = RemoteJwks.keepEqual(parsed, old.keys());
            List<StaticSource> next = new ArrayList<>(cur);
            next.set(i, new StaticSource(source, old.location(), old.kid(), sha256(text), keys));
            statics = List.copyOf(next);
            rebuild();
            return keys;
        }
        throw new IllegalArgumentException("no static key source " + source);
    }

    /** Every key loaded now, static sources first (config order), then each JWKS URL's. */
    public List<KeyInfo> list() {
        List<KeyInfo> out = new ArrayList<>();
        for (StaticSource s : statics) {
            for (VerificationKey k : s.keys()) {
                out.add(info(k, s.location()));
            }
        }
        for (RemoteJwks r : remotes) {
            for (VerificationKey k : r.keys()) {
                out.add(info(k, r.shown())); // never a URL's secrets
            }
        }
        return out;
    }

    private KeyInfo info(VerificationKey k, String location) {
        return new KeyInfo(k.kid(), k.algorithms(), k.source(), location, loadedAt.get(k), k.spkiSha256());
    }

    static byte[] sha256(String text) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Parses one static entry's text; its problems, each naming {@code source}, go to {@code problems}. */
    private static List<VerificationKey> parseStatic(KeyParser parser, String text, String kid, String source,
                                                     List<String> problems) {
        if (text.strip().startsWith("-----") && (kid == null || kid.isBlank())) {
            problems.add(source + ".kid: required for a PEM key");
            return List.of();
        }
        KeyParser.Result r = parser.parse(text, kid, source);
        for (String p : r.problems()) {
            problems.add(source + ": " + p);
        }
        if (r.keys().isEmpty() && r.problems().isEmpty()) {
            problems.add(source + ": no key" + (kid != null ? " with kid \"" + kid + "\"" : ""));
        }
        return r.problems().isEmpty() ? r.keys() : List.of();
    }

    public static Builder builder(SignatureVerifier verifier) {
        return new Builder(verifier);
    }

    /** Starts the remote sources' first fetches; the future completes when all have answered. */
    public CompletableFuture<Void> start() {
        return CompletableFuture.allOf(remotes.stream().map(RemoteJwks::start).toArray(CompletableFuture[]::new));
    }

    /**
     * The keys that may verify a token with this {@code kid} and {@code alg}. A token without
     * kid gets a key only when exactly one configured key fits its algorithm: guessing among
     * several would let a token pick whichever key suits it. The returned array is shared:
     * never modify it.
     */
    public VerificationKey[] find(String kid, JwsAlgorithm alg) {
        Index ix = index;
        if (kid == null) {
            VerificationKey[] all = ix.all[alg.ordinal()];
            return all.length == 1 ? all : NONE;
        }
        VerificationKey[][] byAlg = ix.byKid.get(kid);
        return byAlg == null ? NONE : byAlg[alg.ordinal()];
    }

    /**
     * True while the key, or one equal to it (same kid, algorithms and key bytes), is
     * configured: a cached verification made with it stays valid across a refresh that
     * returned the same key.
     */
    public boolean contains(VerificationKey key) {
        return index.members.contains(key);
    }

    /**
     * Asks the remote sources to refetch because a token named an unknown kid. Returns a
     * future that completes when the fetches under way finish, or null when none may start
     * now (no remote source, or each fetched less than {@code minRefetch} ago).
     */
    public CompletableFuture<Void> refetchForUnknownKid() {
        CompletableFuture<?>[] started = null;
        int n = 0;
        for (RemoteJwks r : remotes) {
            CompletableFuture<Void> f = r.refetchEarly();
            if (f != null) {
                if (started == null) {
                    started = new CompletableFuture<?>[remotes.size()];
                }
                started[n++] = f;
            }
        }
        if (n == 0) {
            return null;
        }
        return n == 1 ? started[0].thenApply(x -> null) : CompletableFuture.allOf(java.util.Arrays.copyOf(started, n));
    }

    /**
     * Starts the periodic refresh of each remote source whose {@code refresh} has passed on the
     * ticker (the scheduler calls this too); completes when their latest fetches are done.
     */
    CompletableFuture<Void> refreshIfDue() {
        return CompletableFuture.allOf(remotes.stream().map(RemoteJwks::refreshIfDue)
                .toArray(CompletableFuture[]::new));
    }

    /** True when some remote source has never loaded or its latest fetch failed. */
    public boolean anySourceFailing() {
        for (RemoteJwks r : remotes) {
            if (!r.loaded() || r.failing()) {
                return true;
            }
        }
        return false;
    }

    /** Ready when there is at least one key and every remote source has loaded once. */
    public boolean ready() {
        for (RemoteJwks r : remotes) {
            if (!r.loaded()) {
                return false;
            }
        }
        return !index.members.isEmpty();
    }

    public int size() {
        return index.members.size();
    }

    private synchronized void rebuild() {
        List<VerificationKey> all = new ArrayList<>();
        for (StaticSource s : statics) {
            all.addAll(s.keys());
        }
        if (remotes != null) {
            for (RemoteJwks r : remotes) {
                all.addAll(r.keys());
            }
        }
        Map<String, List<List<VerificationKey>>> byKid = new HashMap<>();
        List<List<VerificationKey>> every = newLists();
        for (VerificationKey k : all) {
            List<List<VerificationKey>> forKid = k.kid() == null ? null : byKid.computeIfAbsent(k.kid(), x -> newLists());
            for (JwsAlgorithm a : k.algorithms()) {
                every.get(a.ordinal()).add(k);
                if (forKid != null) {
                    forKid.get(a.ordinal()).add(k);
                }
            }
        }
        Map<String, VerificationKey[][]> ix = new HashMap<>();
        byKid.forEach((kid, lists) -> ix.put(kid, toArrays(lists)));
        index = new Index(Map.copyOf(ix), toArrays(every), Set.copyOf(all));
        Instant now = clock.instant();
        for (VerificationKey k : all) {
            loadedAt.putIfAbsent(k, now);
        }
        loadedAt.keySet().retainAll(index.members());
    }

    private static List<List<VerificationKey>> newLists() {
        List<List<VerificationKey>> l = new ArrayList<>(ALGS);
        for (int i = 0; i < ALGS; i++) {
            l.add(new ArrayList<>(1));
        }
        return l;
    }

    private static VerificationKey[][] toArrays(List<List<VerificationKey>> lists) {
        VerificationKey[][] a = new VerificationKey[ALGS][];
        for (int i = 0; i < ALGS; i++) {
            a[i] = lists.get(i).isEmpty() ? NONE : lists.get(i).toArray(NONE);
        }
        return a;
    }

    @Override
    public void close() {
        remotes.forEach(RemoteJwks::close);
        if (scheduler != null) {
            scheduler.shutdownNow();
            fetchExecutor.shutdownNow();
            httpExecutor.shutdownNow();
        }
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private record RemoteSpec(URI uri, String source, Duration refresh, Duration minRefetch, Duration timeout) {
    }

    /** Collects key sources; each problem in a static source is a config error naming its key. */
    public static final class Builder {
        private final KeyParser parser;
        private final List<StaticSource> statics = new ArrayList<>();
        private KeyRegistry previous;
        private final List<RemoteSpec> remotes = new ArrayList<>();
        private final List<String> problems = new ArrayList<>();
        private Clock clock = Clock.systemUTC();
        private StreamGateMetrics metrics = StreamGateMetrics.noop();

        private Builder(SignatureVerifier verifier) {
            this.parser = new KeyParser(verifier);
        }

        /**
         * The wall clock; the refetch throttle and refresh scheduling use the monotonic ticker
         * derived from it ({@link Tickers#of}).
         */
        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        public Builder metrics(StreamGateMetrics metrics) {
            this.metrics = metrics;
            return this;
        }

        /**
         * Adds keys from PEM, JWK or JWKS text.
         *
         * @param kid    the kid for a PEM key (required) or a single JWK; selects a key of a JWKS
         * @param source the config key path (e.g. {@code keys[0]}), named in problems
         */
        public Builder addStatic(String text, String kid, String source) {
            return addStatic(text, kid, source, null);
        }

        /**
         * Adds keys from PEM, JWK or JWKS text read from {@code location} (a file path, shown by
         * {@link #list()} and in logs).
         */
        public Builder addStatic(String text, String kid, String source, String location) {
            int before = problems.size();
            List<VerificationKey> keys = parseStatic(parser, text, kid, source, problems);
            if (problems.size() == before) {
                statics.add(new StaticSource(source, location, kid, sha256(text), keys));
            }
            return this;
        }

        /**
         * The registry this one replaces (a configuration reload): a JWKS URL both configure
         * starts from the previous registry's last good keys instead of none, and keys both
         * hold keep their {@code loadedAt}. The previous registry is not changed or closed.
         */
        public Builder previous(KeyRegistry previous) {
            this.previous = previous;
            return this;
        }

        public Builder addStatic(VerificationKeySpec spec) {
            return addStatic(spec.text(), spec.kid(), spec.source());
        }

        /** Adds a JWKS URL fetched every {@code refresh}, early on unknown kids at most once per {@code minRefetch}. */
        public Builder addRemote(URI uri, String source, Duration refresh, Duration minRefetch, Duration timeout) {
            remotes.add(new RemoteSpec(uri, source, refresh, minRefetch, timeout));
            return this;
        }

        public KeyRegistry build() {
            if (!problems.isEmpty()) {
                throw new ConfigException(problems);
            }
            return new KeyRegistry(this);
        }
    }

    /** Static key text with its kid and config source, for {@link Builder#addStatic(VerificationKeySpec)}. */
    public record VerificationKeySpec(String text, String kid, String source) {
    }
}
