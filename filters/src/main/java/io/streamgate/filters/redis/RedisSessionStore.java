package io.streamgate.filters.redis;

import static io.streamgate.filters.redis.RedisReplayStore.eval;
import static io.streamgate.filters.redis.RedisReplayStore.guard;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.streamgate.filters.redis.RedisReplayStore.Script;
import io.streamgate.filters.session.Revocation;
import io.streamgate.filters.session.SessionChange;
import io.streamgate.filters.session.SessionRecord;
import io.streamgate.filters.session.SessionState;
import io.streamgate.filters.session.SessionStore;
import io.streamgate.filters.session.Sessions;

/**
 * Sessions, revocations and the change log in the replay store's Redis (same connection,
 * same key prefix). Every state change is one Lua script on one key, so it is atomic and
 * never crosses Cluster slots:
 * <ul>
 * <li>{@code s2:{sid}} — the session record, a hash (state, cap, chain as a JSON array, ...),
 *     kept {@code keepMillis} from when it opened; {@link #RENEW} moves its cap forward only
 *     and only while it is open, {@link #END} moves it out of {@code open} once;</li>
 * <li>{@code sidx:{t<token key>}}, {@code sidx:{j<jti>}} — the sessions a token opened or
 *     renewed and those whose chain holds a jti: sorted sets by time, at most
 *     {@link #MAX_PER_INDEX} each;</li>
 * <li>{@code {rev}} — revocations by id (JSON), {@code {rev}:until} — their ids by when they
 *     lapse (pruned a hundred at a time by each write), {@code {rev}:log} — the change log, a
 *     stream capped near {@code maxChanges} entries that replicas read with {@code XREAD} from
 *     where they stopped. One hash tag, so a script may touch all three on a Cluster.</li>
 * </ul>
 */
public final class RedisSessionStore implements SessionStore {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** KEYS[1] record; ARGV: keep ms, then field/value pairs. Never overwrites a record. */
    static final Script OPEN = Script.of("""
            if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
            redis.call('HSET', KEYS[1], unpack(ARGV, 2))
            redis.call('PEXPIRE', KEYS[1], ARGV[1])
            return 1
            """);

    /**
     * KEYS[1] an index; ARGV: sid, max entries, keep ms. Scored by Redis's own clock (replicas'
     * clocks do not matter); the oldest go past the maximum; the index only ever lives longer.
     */
    static final Script INDEX = Script.of("""
            local t = redis.call('TIME')
            redis.call('ZADD', KEYS[1], tonumber(t[1]) * 1000000 + tonumber(t[2]), ARGV[1])
            local n = redis.call('ZCARD', KEYS[1])
            local max = tonumber(ARGV[2])
            if n > max then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - max - 1) end
            if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
            return n
            """);

    /**
     * KEYS[1] record; ARGV: new cap, jti (or empty), max chain. While open: the cap moves
     * forward only, the jti joins the chain (the opening one stays first). Returns the record.
     */
    static final Script RENEW = Script.of("""
            if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
            if redis.call('HGET', KEYS[1], 'state') == 'open' then
              if tonumber(ARGV[1]) > tonumber(redis.call('HGET', KEYS[1], 'cap')) then
                redis.call('HSET', KEYS[1], 'cap', ARGV[1])
              end
              if ARGV[2] ~= '' then
                local chain = cjson.decode(redis.call('HGET', KEYS[1], 'chain') or '[]')
                local seen = false
                for _, j in ipairs(chain) do if j == ARGV[2] then seen = true end end
                if not seen then
                  table.insert(chain, ARGV[2])
                  while #chain > tonumber(ARGV[3]) do table.remove(chain, 2) end
                  redis.call('HSET', KEYS[1], 'chain', cjson.encode(chain))
                end
              end
            end
            return redis.call('HGETALL', KEYS[1])
            """);

    /** KEYS[1] record; ARGV: the final state. Moves an open record there; returns the state before ('' when unknown). */
    static final Script END = Script.of("""
            local st = redis.call('HGET', KEYS[1], 'state')
            if not st then return '' end
            if st == 'open' then redis.call('HSET', KEYS[1], 'state', ARGV[1]) end
            return st
            """);

    /**
     * KEYS: revocations, until, log; ARGV: id, json, until ms, now ms, max revocations, max
     * changes. Prunes up to 100 lapsed entries, refuses (-1) when full, stores, logs.
     */
    static final Script ADD = Script.of("""
            local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[4], 'LIMIT', 0, 100)
            for _, id in ipairs(old) do
              redis.call('HDEL', KEYS[1], id)
              redis.call('ZREM', KEYS[2], id)
            end
            if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[5]) then
              return -1
            end
            redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
            redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
            redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[6], '*', 't', 'rev+', 'v', ARGV[2])
            return 1
            """);

    /** KEYS as {@link #ADD}; ARGV: id, max changes. Returns 1 when it existed. */
    static final Script LIFT = Script.of("""
            local n = redis.call('HDEL', KEYS[1], ARGV[1])
            redis.call('ZREM', KEYS[2], ARGV[1])
            if n == 1 then redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], '*', 't', 'rev-', 'id', ARGV[1]) end
            return n
            """);

    /** KEYS[1] the log (for routing); ARGV: window ms. A stream id just before the last window ms by Redis's own clock. */
    static final Script CURSOR = Script.of("""
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            return tostring(math.max(0, now - tonumber(ARGV[1]))) .. '-0'
            """);

    private final RedisClusterAsyncCommands<String, String> redis;
    private final String prefix;
    private final int maxRevocations;
    private final int maxChanges;

    /** Sessions and revocations on the replay store's connection, under its key prefix. */
    public static RedisSessionStore on(io.streamgate.filters.redis.RedisReplayStore replay) {
        return new RedisSessionStore(replay.commands(), replay.keyPrefix());
    }

    public RedisSessionStore(RedisClusterAsyncCommands<String, String> redis, String prefix) {
        this(redis, prefix, 1_000_000, 200_000);
    }

    public RedisSessionStore(RedisClusterAsyncCommands<String, String> redis, String prefix, int maxRevocations,
                             int maxChanges) {
        this.redis = redis;
        this.prefix = prefix;
        this.maxRevocations = maxRevocations;
        this.maxChanges = maxChanges;
    }

    private String sessionKey(String sid) {
        return prefix + "s2:{" + sid + "}";
    }

    private String indexKey(String kind, String key) {
        return prefix + "sidx:{" + kind + key + "}";
    }

    private String[] revocationKeys() {
        return new String[] {prefix + "{rev}", prefix + "{rev}:until", prefix + "{rev}:log"};
    }

    @Override
    public CompletionStage<Void> open(SessionRecord s, String tokenKey, long keepMillis) {
        long keep = Math.max(1, keepMillis);
        List<String> args = new ArrayList<>();
        args.add(Long.toString(keep));
        fields(s).forEach((k, v) -> {
            args.add(k);
            args.add(v);
        });
        CompletionStage<Long> written = eval(redis, OPEN, ScriptOutputType.INTEGER, new String[] {sessionKey(s.sid())},
                args.toArray(new String[0]));
        return written.thenCompose(x -> index(s.sid(), tokenKey, s.jti(), keep));
    }

    /** Indexes a session under its token key and jti (different slots on a Cluster: separate calls). */
    private CompletionStage<Void> index(String sid, String tokenKey, String jti, long keep) {
        List<CompletableFuture<Long>> calls = new ArrayList<>();
        if (tokenKey != null && !tokenKey.isEmpty()) {
            calls.add(indexed(indexKey("t", tokenKey), sid, keep));
        }
        if (jti != null && !jti.isEmpty()) {
            calls.add(indexed(indexKey("j", jti), sid, keep));
        }
        return CompletableFuture.allOf(calls.toArray(new CompletableFuture[0]));
    }

    private CompletableFuture<Long> indexed(String key, String sid, long keep) {
        CompletionStage<Long> n = eval(redis, INDEX, ScriptOutputType.INTEGER, new String[] {key}, sid,
                Integer.toString(MAX_PER_INDEX), Long.toString(keep));
        return n.toCompletableFuture();
    }

    private static Map<String, String> fields(SessionRecord s) {
        Map<String, String> f = new HashMap<>();
        f.put("sid", s.sid());
        f.put("kind", s.kind());
        f.put("route", s.route());
        f.put("path", s.path());
        if (s.iss() != null) {
            f.put("iss", s.iss());
        }
        if (s.sub() != null) {
            f.put("sub", s.sub());
        }
        ArrayNode chain = JSON.createArrayNode();
        s.chain().forEach(chain::add);
        f.put("chain", chain.toString());
        f.put("cap", Long.toString(s.cap()));
        f.put("openedAt", Long.toString(s.openedAt()));
        f.put("state", s.state().code());
        f.put("iat", Long.toString(s.iat()));
        return f;
    }

    /** A record from its hash; null when empty or damaged (a foreign entry is skipped, never fatal). */
    static SessionRecord record(Map<String, String> f) {
        if (f == null || f.isEmpty() || f.get("sid") == null) {
            return null;
        }
        try {
            List<String> chain = new ArrayList<>();
            JsonNode c = JSON.readTree(f.getOrDefault("chain", "[]"));
            if (c.isArray()) {
                c.forEach(j -> chain.add(j.asText()));
            }
            SessionState state = SessionState.of(f.get("state"));
            if (state == null) {
                return null;
            }
            return new SessionRecord(f.get("sid"), f.get("kind"), f.get("route"), f.get("path"), f.get("iss"),
                    f.get("sub"), chain, Long.parseLong(f.get("cap")), Long.parseLong(f.get("openedAt")), state,
                    Long.parseLong(f.getOrDefault("iat", "-1")));
        } catch (Exception e) {
            return null;
        }
    }

    private static Map<String, String> pairs(List<Object> flat) {
        Map<String, String> m = new HashMap<>();
        if (flat != null) {
            for (int i = 0; i + 1 < flat.size(); i += 2) {
                m.put(String.valueOf(flat.get(i)), String.valueOf(flat.get(i + 1)));
            }
        }
        return m;
    }

    @Override
    public CompletionStage<SessionRecord> get(String sid) {
        return guard(() -> redis.hgetall(sessionKey(sid)).thenApply(RedisSessionStore::record));
    }

    @Override
    public CompletionStage<SessionRecord> renew(String sid, long newCap, String jti, String tokenKey,
                                                long keepMillis) {
        CompletionStage<List<Object>> r = eval(redis, RENEW, ScriptOutputType.MULTI, new String[] {sessionKey(sid)},
                Long.toString(newCap), jti == null ? "" : jti, Integer.toString(SessionRecord.MAX_CHAIN));
        return r.thenCompose(flat -> {
            SessionRecord rec = record(pairs(flat));
            if (rec == null || rec.state() != SessionState.OPEN) {
                return CompletableFuture.completedFuture(rec);
            }
            return index(sid, tokenKey, jti, Math.max(1, keepMillis)).thenApply(x -> rec);
        });
    }

    @Override
    public CompletionStage<SessionState> end(String sid, SessionState state) {
        CompletionStage<String> before = eval(redis, END, ScriptOutputType.VALUE, new String[] {sessionKey(sid)},
                state.code());
        return before.thenCompose(b -> {
            SessionState was = b == null || b.isEmpty() ? null : SessionState.of(b);
            if (was != null && was != SessionState.OPEN || state == SessionState.ENDED) {
                return CompletableFuture.completedFuture(was); // ENDED ended where it lived: nothing to tell
            }
            // the change log lives in another slot: its own call, after the record changed
            return announce(sid, state).thenApply(x -> was);
        });
    }

    @Override
    public CompletionStage<Void> announce(String sid, SessionState state) {
        Map<String, String> body = Map.of("t", "end", "sid", sid, "s", state.code());
        return guard(() -> redis.xadd(revocationKeys()[2],
                io.lettuce.core.XAddArgs.Builder.maxlen(maxChanges).approximateTrimming(), body))
                .thenApply(id -> (Void) null);
    }

    @Override
    public CompletionStage<List<String>> sessionsOf(String tokenKey, int limit) {
        return newest(indexKey("t", tokenKey), limit);
    }

    @Override
    public CompletionStage<List<String>> sessionsWithJti(String jti, int limit) {
        return newest(indexKey("j", jti), limit);
    }

    private CompletionStage<List<String>> newest(String key, int limit) {
        return guard(() -> redis.zrevrange(key, 0, Math.max(0, limit - 1)).thenApply(l -> (List<String>) new ArrayList<>(l)));
    }

    @Override
    public CompletionStage<Void> addRevocation(Revocation r) {
        CompletionStage<Long> n = eval(redis, ADD, ScriptOutputType.INTEGER, revocationKeys(), r.id(), r.encode(),
                Long.toString(r.untilMillis()), Long.toString(r.createdMillis()), Integer.toString(maxRevocations),
                Integer.toString(maxChanges));
        return n.thenCompose(x -> x != null && x == -1L
                ? CompletableFuture.failedFuture(new FullException("revocation store full"))
                : CompletableFuture.completedFuture(null));
    }

    @Override
    public CompletionStage<Boolean> removeRevocation(String id) {
        CompletionStage<Long> n = eval(redis, LIFT, ScriptOutputType.INTEGER, revocationKeys(), id,
                Integer.toString(maxChanges));
        return n.thenApply(x -> x != null && x == 1L);
    }

    @Override
    public CompletionStage<List<Revocation>> revocations() {
        return guard(() -> redis.hgetall(revocationKeys()[0]).thenApply((Map<String, String> all) -> {
            List<Revocation> out = new ArrayList<>(all.size());
            for (String v : all.values()) {
                Revocation r = Revocation.decode(v);
                if (r != null) {
                    out.add(r); // lapsed ones are dropped by the reader's index
                }
            }
            return out;
        }));
    }

    @Override
    public CompletionStage<String> cursorBefore(long windowMillis) {
        // keyed by the log, so that a Cluster runs it on the node that holds the log (by its clock)
        return eval(redis, CURSOR, ScriptOutputType.VALUE, new String[] {revocationKeys()[2]},
                Long.toString(Math.max(0, windowMillis)));
    }

    @Override
    public CompletionStage<Changes> changesSince(String cursor, int max) {
        String from = cursor == null || cursor.isEmpty() ? "0-0" : cursor;
        return guard(() -> redis.xread(XReadArgs.Builder.count(max),
                XReadArgs.StreamOffset.from(revocationKeys()[2], from)).thenApply(messages -> {
                    List<SessionChange> out = new ArrayList<>(messages.size());
                    String last = from;
                    for (StreamMessage<String, String> m : messages) {
                        last = m.getId();
                        SessionChange c = change(m.getBody());
                        if (c != null) {
                            out.add(c);
                        }
                    }
                    return new Changes(out, last);
                }));
    }

    /** A change from its stream entry; null for a damaged or unknown one (skipped). */
    private static SessionChange change(Map<String, String> body) {
        String t = body.get("t");
        if ("rev+".equals(t)) {
            Revocation r = Revocation.decode(body.get("v"));
            return r == null ? null : SessionChange.added(r);
        }
        if ("rev-".equals(t) && body.get("id") != null) {
            return SessionChange.lifted(body.get("id"));
        }
        if ("end".equals(t) && body.get("sid") != null) {
            SessionState s = SessionState.of(body.get("s"));
            return s == null ? null : SessionChange.ended(body.get("sid"), s);
        }
        return null;
    }

    @Override
    public String name() {
        return "redis";
    }
}
