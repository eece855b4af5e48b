package io.streamgate.filters.redis;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.streamgate.filters.replay.ReplayStore;

/**
 * Replay state shared by every replica, in Redis (standalone, Sentinel or Cluster, through
 * Lettuce): one shared asynchronous connection, keys under a prefix, every key with a TTL,
 * atomic operations only — {@code SET NX PX} to reserve a one-time key (value
 * {@code r:<owner>}), Lua scripts to commit it (value {@code c:<owner>}, TTL the token's
 * lifetime) and to delete it only while it is still the owner's reservation, and a Lua script
 * for session leases (a sorted set of session ids scored by lease expiry, read against
 * Redis's own clock so that replicas' clocks do not matter).
 *
 * <p>Scripts run by {@code EVALSHA} (loaded once with {@code SCRIPT LOAD} at connect; on
 * {@code NOSCRIPT} — a restarted server, {@code SCRIPT FLUSH}, a failover — the call is
 * retried as {@code EVAL}, which caches the script again). Every key of one token carries
 * the same hash tag, {@code {<token key>}}, so a script never crosses Cluster slots.
 *
 * <p>Failures are fast: commands issued while disconnected are rejected rather than queued,
 * each command has a timeout, and Lettuce reconnects by itself when Redis returns.
 *
 * <p>URIs: {@code redis://host:port}, {@code rediss://...}, {@code redis-sentinel://...} as
 * Lettuce reads them; {@code redis-cluster://host1:port,host2:port} for a cluster.
 */
public final class RedisReplayStore implements ReplayStore {
    /**
     * KEYS[1] the lease set; ARGV: session id, max sessions, lease ms, token expiry (epoch ms).
     * Drops lapsed leases, then grants (or renews) when the session holds one or there is room.
     */
    static final String LEASE_SCRIPT = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
            local held = redis.call('ZSCORE', KEYS[1], ARGV[1])
            if held or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
              local untilMs = math.min(now + tonumber(ARGV[3]), tonumber(ARGV[4]))
              if untilMs <= now then return 0 end
              redis.call('ZADD', KEYS[1], untilMs, ARGV[1])
              local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
              redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(last[2]) - now))
              return 1
            end
            return 0
            """;

    /**
     * KEYS[1] the lease set, KEYS[2] a hash of when each session first took its lease; ARGV as
     * {@link #LEASE_SCRIPT}. Like it, but a full set loses its oldest session to make room.
     * Returns '0' when refused (the token is past its end), '1:' when granted, '1:sid' when
     * granted by evicting sid.
     */
    static final String EVICT_SCRIPT = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
            for _, m in ipairs(redis.call('HKEYS', KEYS[2])) do
              if not redis.call('ZSCORE', KEYS[1], m) then redis.call('HDEL', KEYS[2], m) end
            end
            local untilMs = math.min(now + tonumber(ARGV[3]), tonumber(ARGV[4]))
            if untilMs <= now then return '0' end
            local held = redis.call('ZSCORE', KEYS[1], ARGV[1])
            local evicted = ''
            if not held and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
              local oldestAt
              for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
                local at = tonumber(redis.call('HGET', KEYS[2], m) or '0')
                if oldestAt == nil or at < oldestAt then oldestAt = at; evicted = m end
              end
              redis.call('ZREM', KEYS[1], evicted)
              redis.call('HDEL', KEYS[2], evicted)
            end
            redis.call('ZADD', KEYS[1], untilMs, ARGV[1])
            -- when it first took its lease, in microseconds: two sessions taking theirs within one
            -- millisecond still have an order (ms values stored by earlier versions read as older)
            if not held then redis.call('HSET', KEYS[2], ARGV[1], t[1] .. string.format('%06d', tonumber(t[2]))) end
            local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
            local ttl = math.max(1, tonumber(last[2]) - now)
            redis.call('PEXPIRE', KEYS[1], ttl)
            redis.call('PEXPIRE', KEYS[2], ttl)
            return '1:' .. evicted
            """;

    /** KEYS[1] the one-time key; ARGV: owner, TTL ms. Consumes it when ours (reserved or consumed) or free. */
    static final String COMMIT_SCRIPT = """
            local v = redis.call('GET', KEYS[1])
            if v == ('c:' .. ARGV[1]) then return 1 end
            if v and v ~= ('r:' .. ARGV[1]) then return 0 end
            redis.call('SET', KEYS[1], 'c:' .. ARGV[1], 'PX', ARGV[2])
            return 1
            """;

    /** KEYS[1] the one-time key; ARGV: owner. Deletes it only while it is the owner's reservation. */
    static final String RELEASE_SCRIPT = """
            if redis.call('GET', KEYS[1]) == ('r:' .. ARGV[1]) then
              redis.call('DEL', KEYS[1])
              return 1
            end
            return 0
            """;

    /** A Lua script and its SHA-1, as EVALSHA names it. */
    public record Script(String source, String sha) {
        public static Script of(String source) {
            try {
                byte[] d = java.security.MessageDigest.getInstance("SHA-1")
                        .digest(source.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                return new Script(source, java.util.HexFormat.of().formatHex(d));
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static final Script LEASE = Script.of(LEASE_SCRIPT);
    private static final Script COMMIT = Script.of(COMMIT_SCRIPT);
    private static final Script RELEASE = Script.of(RELEASE_SCRIPT);
    private static final Script EVICT = Script.of(EVICT_SCRIPT);

    private final AutoCloseable client;
    private final StatefulConnection<String, String> connection;
    private final RedisClusterAsyncCommands<String, String> redis;
    private final String prefix;
    private final java.time.Clock clock;

    private RedisReplayStore(AutoCloseable client, StatefulConnection<String, String> connection,
                             RedisClusterAsyncCommands<String, String> redis, String prefix, java.time.Clock clock) {
        this.clock = clock;
        this.client = client;
        this.connection = connection;
        this.redis = redis;
        this.prefix = prefix;
        for (Script script : List.of(LEASE, COMMIT, RELEASE, EVICT)) {
            // Best effort: a script missing later (restart, flush) is handled by the EVAL fallback.
            guard(() -> redis.scriptLoad(script.source()));
        }
    }

    /**
     * Connects (the first connection is made now, so a wrong address fails at startup; later
     * outages are survived and recovered from).
     *
     * @param commandTimeout per-command limit, e.g. 50 ms: Redis latency must not stall requests
     */
    public static RedisReplayStore connect(URI uri, String keyPrefix, Duration commandTimeout) {
        return connect(uri, keyPrefix, commandTimeout, java.time.Clock.systemUTC());
    }

    /**
     * @param clock the gateway's clock: a token's end ({@code expiresAtMillis}) is read against
     *              it when a key's time to live is set
     */
    public static RedisReplayStore connect(URI uri, String keyPrefix, Duration commandTimeout, java.time.Clock clock) {
        TimeoutOptions timeouts = TimeoutOptions.builder().fixedTimeout(commandTimeout).build();
        SocketOptions socket = SocketOptions.builder().connectTimeout(Duration.ofSeconds(2)).build();
        if (isCluster(uri.toString())) {
            List<RedisURI> seeds = clusterSeeds(uri.toString());
            RedisClusterClient c = RedisClusterClient.create(seeds);
            c.setOptions(ClusterClientOptions.builder().timeoutOptions(timeouts).socketOptions(socket)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .requestQueueSize(65_536).build());
            StatefulRedisClusterConnection<String, String> conn = c.connect();
            return new RedisReplayStore(c::shutdown, conn, conn.async(), keyPrefix, clock);
        }
        RedisClient c = RedisClient.create(RedisURI.create(uri.toString()));
        c.setOptions(ClientOptions.builder().timeoutOptions(timeouts).socketOptions(socket)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .requestQueueSize(65_536).build());
        StatefulRedisConnection<String, String> conn = c.connect();
        return new RedisReplayStore(c::shutdown, conn, conn.async(), keyPrefix, clock);
    }

    private static boolean isCluster(String uri) {
        String lower = uri.toLowerCase(java.util.Locale.ROOT);
        return lower.startsWith("redis-cluster://") || lower.startsWith("rediss-cluster://");
    }

    /** {@code redis-cluster://h1:p1,h2:p2} (or {@code rediss-cluster://}, TLS): the seed nodes. */
    private static List<RedisURI> clusterSeeds(String uri) {
        boolean tls = uri.toLowerCase(java.util.Locale.ROOT).startsWith("rediss-");
        String rest = uri.substring(uri.indexOf("://") + 3);
        int end = rest.indexOf('/');
        String hosts = end < 0 ? rest : rest.substring(0, end);
        String tail = end < 0 ? "" : rest.substring(end);
        String auth = "";
        int at = hosts.lastIndexOf('@');
        if (at >= 0) {
            auth = hosts.substring(0, at + 1);
            hosts = hosts.substring(at + 1);
        }
        List<RedisURI> seeds = new ArrayList<>();
        for (String hostPort : hosts.split(",")) {
            if (hostPort.isBlank()) {
                throw new IllegalArgumentException("empty host in the seed list");
            }
            seeds.add(RedisURI.create((tls ? "rediss://" : "redis://") + auth + hostPort.trim() + tail));
        }
        return seeds;
    }

    /**
     * Checks a {@code replay.redis} value the way the store will read it, with Lettuce's own
     * parser: {@code redis://}, {@code rediss://}, {@code redis-socket://},
     * {@code redis-sentinel://h1:26379,h2:26379/0#master} (and {@code rediss-sentinel}), and
     * {@code redis-cluster://h1:7000,h2:7001} (and {@code rediss-cluster}) with one or more
     * seed nodes. Connects to nothing.
     *
     * @return null when the value is usable, else what is wrong with it
     */
    public static String problem(String uri) {
        if (uri == null || uri.isBlank()) {
            return "required";
        }
        try {
            String portProblem = ports(uri);
            if (portProblem != null) {
                return portProblem;
            }
            if (isCluster(uri)) {
                clusterSeeds(uri);
                return null;
            }
            RedisURI r = RedisURI.create(uri);
            if (uri.toLowerCase(java.util.Locale.ROOT).contains("sentinel") && r.getSentinelMasterId() == null) {
                return "a sentinel URI names its master after '#', e.g. redis-sentinel://h1:26379,h2:26379#mymaster";
            }
            return null;
        } catch (RuntimeException e) {
            return "not a Redis URI (" + e.getMessage() + "); forms: redis://host:6379, rediss://host:6380, "
                    + "redis-sentinel://h1:26379,h2:26379#master, redis-cluster://h1:7000,h2:7001";
        }
    }

    /** Every {@code host:port} of the authority must have a numeric port (Lettuce would read past it). */
    private static String ports(String uri) {
        int scheme = uri.indexOf("://");
        if (scheme < 0 || uri.regionMatches(true, 0, "redis-socket", 0, 12)) {
            return null;
        }
        String rest = uri.substring(scheme + 3);
        int end = rest.length();
        for (char c : new char[] {'/', '#', '?'}) {
            int i = rest.indexOf(c);
            if (i >= 0 && i < end) {
                end = i;
            }
        }
        String hosts = rest.substring(rest.lastIndexOf('@', end - 1) + 1, end);
        for (String hp : hosts.split(",")) {
            int colon = hp.lastIndexOf(':');
            if (colon >= 0 && !hp.endsWith("]")) {
                String port = hp.substring(colon + 1);
                if (!port.matches("\\d{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
                    return "not a port: \"" + port + "\"";
                }
            }
        }
        return null;
    }

    /** The one-time key of a token key; hash-tagged like {@link #leaseKey} (same slot in a Cluster). */
    String onceKey(String key) {
        return prefix + "once:{" + key + "}";
    }

    /** The session-lease key of a token key. */
    String leaseKey(String key) {
        return prefix + "lease:{" + key + "}";
    }

    @Override
    public CompletionStage<Boolean> reserve(String key, String owner, long reserveMillis, long expiresAtMillis) {
        // A token past its end cannot pass again: a 1 ms reservation holds nothing for long.
        long ttl = Math.max(1, Math.min(reserveMillis, expiresAtMillis - clock.millis()));
        return guard(() -> redis.set(onceKey(key), "r:" + owner, SetArgs.Builder.nx().px(ttl))
                .thenApply("OK"::equals));
    }

    @Override
    public CompletionStage<Boolean> isTaken(String key) {
        return guard(() -> redis.exists(onceKey(key)).thenApply(n -> n != null && n > 0));
    }

    @Override
    public CompletionStage<Boolean> commit(String key, String owner, long expiresAtMillis) {
        long ttl = Math.max(1, expiresAtMillis - clock.millis());
        return run(COMMIT, onceKey(key), owner, Long.toString(ttl)).thenApply(r -> r != null && r == 1L);
    }

    @Override
    public CompletionStage<Boolean> releaseIfOwner(String key, String owner) {
        return run(RELEASE, onceKey(key), owner).thenApply(r -> r != null && r == 1L);
    }

    @Override
    public CompletionStage<Boolean> acquire(String key, String sessionId, int maxSessions, long leaseMillis,
                                            long expiresAtMillis) {
        return run(LEASE, leaseKey(key), sessionId, Integer.toString(maxSessions), Long.toString(leaseMillis),
                Long.toString(expiresAtMillis)).thenApply(r -> r != null && r == 1L);
    }

    @Override
    public CompletionStage<String> acquireEvicting(String key, String sessionId, int maxSessions, long leaseMillis,
                                                   long expiresAtMillis) {
        String[] keys = {leaseKey(key), leaseKey(key) + ":o"};
        return RedisReplayStore.<String>eval(redis, EVICT, ScriptOutputType.VALUE, keys, sessionId,
                        Integer.toString(maxSessions), Long.toString(leaseMillis), Long.toString(expiresAtMillis))
                .thenApply(r -> r == null || !r.startsWith("1:") ? null : r.substring(2));
    }

    @Override
    public CompletionStage<Boolean> renew(String key, String sessionId, int maxSessions, long leaseMillis,
                                          long expiresAtMillis) {
        return acquire(key, sessionId, maxSessions, leaseMillis, expiresAtMillis);
    }

    @Override
    public CompletionStage<Void> releaseLease(String key, String sessionId) {
        return guard(() -> redis.zrem(leaseKey(key), sessionId)
                .thenCombine(redis.hdel(leaseKey(key) + ":o", sessionId), (a, b) -> (Void) null));
    }

    /** EVALSHA, and EVAL (which caches the script again) when the server does not know it. */
    private CompletionStage<Long> run(Script script, String key, String... args) {
        return eval(redis, script, ScriptOutputType.INTEGER, new String[] {key}, args);
    }

    /**
     * Runs a script by EVALSHA, and by EVAL (which caches it again) when the server does not
     * know it (a restart, {@code SCRIPT FLUSH}, a failover). Shared by every store on this
     * connection.
     */
    public static <T> CompletionStage<T> eval(RedisClusterAsyncCommands<String, String> redis, Script script,
                                              ScriptOutputType type, String[] keys, String... args) {
        return guard(() -> redis.<T>evalsha(script.sha(), type, keys, args))
                .exceptionallyCompose(e -> {
                    Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                            ? e.getCause() : e;
                    if (cause instanceof RedisNoScriptException) {
                        return guard(() -> redis.<T>eval(script.source(), type, keys, args));
                    }
                    return CompletableFuture.failedFuture(cause);
                });
    }

    @Override
    public CompletionStage<Void> ping() {
        return guard(() -> redis.ping().thenApply(x -> (Void) null));
    }

    /**
     * Lettuce throws synchronously in a few states (closed, queue full): always answer with a
     * stage. Shared by every store on this connection (sessions and revocations too).
     */
    public static <T> CompletionStage<T> guard(java.util.function.Supplier<CompletionStage<T>> op) {
        try {
            return op.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public String name() {
        return "redis";
    }

    /** The shared connection's commands: the session store keeps sessions and revocations on it. */
    public RedisClusterAsyncCommands<String, String> commands() {
        return redis;
    }

    /** The key prefix every key of this store starts with. */
    public String keyPrefix() {
        return prefix;
    }

    @Override
    public void close() {
        try {
            connection.close();
            client.close();
        } catch (Exception e) {
            // shutting down anyway
        }
    }
}
