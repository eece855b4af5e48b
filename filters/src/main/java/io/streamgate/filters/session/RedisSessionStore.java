package io.streamgate.filters.session;

import static io.streamgate.filters.replay.RedisReplayStore.guard;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

/**
 * Sessions and revocations in the replay store's Redis (same connection, same key prefix):
 * <ul>
 * <li>{@code sess:{sid}} — the session record (JSON), expiring with its cap;</li>
 * <li>{@code stok:{token key}} — a set of the sids a token opened or renewed, same expiry;</li>
 * <li>{@code {rev}} — a hash of revocations by id (JSON), and {@code {rev}:v} — a counter
 *     bumped by every change, which replicas poll; one hash tag, so a script may touch
 *     both on a Cluster. Lapsed revocations are skipped by readers and deleted by the next
 *     write.</li>
 * </ul>
 */
public final class RedisSessionStore implements SessionStore {
    /** KEYS: hash, version; ARGV: id, json (empty to delete), now ms. Returns 1 when the hash changed. */
    private static final String CHANGE = """
            local changed
            if ARGV[2] == '' then
              changed = redis.call('HDEL', KEYS[1], ARGV[1])
            else
              redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
              changed = 1
            end
            local all = redis.call('HGETALL', KEYS[1])
            for i = 1, #all, 2 do
              local ok, r = pcall(cjson.decode, all[i + 1])
              if ok and tonumber(r['untilMs']) and tonumber(r['untilMs']) <= tonumber(ARGV[3]) then
                redis.call('HDEL', KEYS[1], all[i])
              end
            end
            redis.call('INCR', KEYS[2])
            return changed
            """;

    private final RedisClusterAsyncCommands<String, String> redis;
    private final String prefix;
    private final java.time.Clock clock;

    public RedisSessionStore(RedisClusterAsyncCommands<String, String> redis, String prefix, java.time.Clock clock) {
        this.redis = redis;
        this.prefix = prefix;
        this.clock = clock;
    }

    private String sessionKey(String sid) {
        return prefix + "sess:{" + sid + "}";
    }

    private String tokenKey(String key) {
        return prefix + "stok:{" + key + "}";
    }

    private String revocationsKey() {
        return prefix + "{rev}";
    }

    private String versionKey() {
        return prefix + "{rev}:v";
    }

    @Override
    public CompletionStage<Void> put(SessionRecord session, String tokenKey, long ttlMillis) {
        long ttl = Math.max(1, ttlMillis);
        String tk = tokenKey(tokenKey);
        CompletionStage<String> a = guard(() -> redis.set(sessionKey(session.sid()), session.encode(),
                SetArgs.Builder.px(ttl)));
        // Different hash slots on a Cluster: two commands, not a script. The index only ever
        // grows the set's life (a later session of the same token keeps it longer).
        CompletionStage<Boolean> b = guard(() -> redis.sadd(tk, session.sid())
                .thenCompose(n -> redis.pttl(tk))
                .thenCompose(left -> left == null || left < ttl ? redis.pexpire(tk, ttl) : CompletableFuture.completedFuture(true)));
        return a.thenCombine(b, (x, y) -> null);
    }

    @Override
    public CompletionStage<SessionRecord> get(String sid) {
        return guard(() -> redis.get(sessionKey(sid)).thenApply(SessionRecord::decode));
    }

    @Override
    public CompletionStage<List<String>> sessionsOf(String tokenKey, int limit) {
        return guard(() -> redis.srandmember(tokenKey(tokenKey), limit).thenApply(l -> (List<String>) new ArrayList<>(l)));
    }

    @Override
    public CompletionStage<Void> addRevocation(Revocation r) {
        return change(r.id(), r.encode()).thenApply(x -> null);
    }

    @Override
    public CompletionStage<Boolean> removeRevocation(String id) {
        return change(id, "").thenApply(n -> n != null && n == 1L);
    }

    private CompletionStage<Long> change(String id, String json) {
        String[] keys = {revocationsKey(), versionKey()};
        return guard(() -> redis.<Long>eval(CHANGE, ScriptOutputType.INTEGER, keys, id, json,
                Long.toString(clock.millis())));
    }

    @Override
    public CompletionStage<List<Revocation>> revocations() {
        long now = clock.millis();
        return guard(() -> redis.hgetall(revocationsKey()).thenApply((Map<String, String> all) -> {
            List<Revocation> out = new ArrayList<>(all.size());
            for (String v : all.values()) {
                Revocation r = Revocation.decode(v);
                if (r != null && r.untilMillis() > now) {
                    out.add(r);
                }
            }
            return out;
        }));
    }

    @Override
    public CompletionStage<Long> revocationVersion() {
        return guard(() -> redis.get(versionKey()).thenApply(v -> v == null ? 0L : Long.parseLong(v)));
    }

    @Override
    public String name() {
        return "redis";
    }
}
