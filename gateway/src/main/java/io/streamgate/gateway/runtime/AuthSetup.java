package io.streamgate.gateway.runtime;

import java.time.Clock;

import io.streamgate.filters.Authorizer;
import io.streamgate.filters.core.ClientAddress;
import io.streamgate.filters.core.ConfigException;
import io.streamgate.filters.core.Redaction;
import io.streamgate.filters.crypto.SignatureVerifier;
import io.streamgate.filters.keys.KeyRegistry;
import io.streamgate.filters.metrics.StreamGateMetrics;
import io.streamgate.filters.redis.RedisReplayStore;
import io.streamgate.filters.replay.MemoryReplayStore;
import io.streamgate.filters.replay.ReplayGuard;
import io.streamgate.filters.replay.ReplayStore;
import io.streamgate.filters.session.MemorySessionStore;
import io.streamgate.filters.session.Sessions;
import io.streamgate.gateway.config.ConfigFiles;
import io.streamgate.gateway.config.GatewayConfig;

/**
 * Builds the verification core from the gateway config: crypto provider choice, key
 * registry, replay store and guard, and the {@link Authorizer}. The gateway, the CLI's
 * {@code verify} and tests all go through here, so they decide identically.
 */
public final class AuthSetup {
    private AuthSetup() {
    }

    /** Builds the authorizer; remote key sources are not started (call {@code keys().start()}). */
    public static Authorizer build(GatewayConfig config, StreamGateMetrics metrics, Clock clock) {
        return build(config, metrics, clock, true);
    }

    /**
     * @param connectStores false to validate without connecting anywhere ({@code check-config}):
     *                      a Redis store is then replaced by a memory one
     */
    public static Authorizer build(GatewayConfig config, StreamGateMetrics metrics, Clock clock, boolean connectStores) {
        return build(config, metrics, clock, connectStores, Runnable::run);
    }

    /**
     * @param executor where a decision continues after an asynchronous step (a JWKS refetch, a
     *                 remote store call): the server's pool, never a client or timer thread
     */
    public static Authorizer build(GatewayConfig config, StreamGateMetrics metrics, Clock clock, boolean connectStores,
                                   java.util.concurrent.Executor executor) {
        ReplayStore store = connectStores ? replayStore(config, clock) : new MemoryReplayStore(clock, 1);
        return build(config, metrics, clock, executor, store, sessions(config, store, metrics, clock), null);
    }

    /**
     * Builds the authorizer on an existing replay store (the gateway's, which lives as long as
     * the process); with {@code previous} (the authorizer a reload replaces) a JWKS URL both
     * configure keeps serving its last good keys, and an unchanged verify policy keeps the
     * verified-token cache. Every key file is read again. {@code previous} is not changed.
     * {@code sessions} (on the same store) lives as long as the store: a reload keeps them.
     */
    public static Authorizer build(GatewayConfig config, StreamGateMetrics metrics, Clock clock,
                                   java.util.concurrent.Executor executor, ReplayStore store, Sessions sessions,
                                   Authorizer previous) {
        SignatureVerifier crypto = SignatureVerifier.select(config.crypto());
        KeyRegistry.Builder kb = KeyRegistry.builder(crypto).clock(clock).metrics(metrics);
        if (previous != null) {
            kb.previous(previous.keys());
        }
        for (GatewayConfig.KeySource k : config.keys()) {
            if (k.file() != null) {
                // bounded: a key file pointing at /dev/zero is a problem naming keys[i].file, not an OutOfMemoryError
                kb.addStatic(ConfigFiles.readKey(k.file(), k.path() + ".file"), k.kid(), k.path(), k.file().toString());
            } else {
                kb.addRemote(k.jwks(), k.path(), k.refresh(), k.minRefetch(), k.timeout());
            }
        }
        KeyRegistry keys = kb.build();
        ReplayGuard replay = new ReplayGuard(config.replay().mode(), store, config.replay().allowOnStoreError(),
                config.verify().leeway(), config.replay().timeout(), metrics, config.replay().maxSessions(),
                config.replay().lease(), reservation(config.proxy()), config.replay().options());
        replay.clock(clock);
        if (sessions != null) {
            // an evicted session ends for good, on every replica (session state, not a revocation)
            replay.onEviction(sessions::evict);
            sessions.maxAge(config.hls().sessionMaxAge());
        }
        Authorizer.Builder ab = Authorizer.builder(keys, crypto).sessions(sessions);
        if (previous != null) {
            ab.replacing(previous);
        }
        return ab
                .policy(config.verify())
                .tokenSources(config.tokens().from())
                .replay(replay)
                .clientAddress(ClientAddress.trusting(config.trustedProxies(), "clientIp.trustedProxies"))
                .clock(clock)
                .metrics(metrics)
                .executor(executor)
                .build();
    }

    /**
     * How long a one-time reservation holds before the origin has answered: longer than any
     * exchange can wait for response headers (connect, queue, silence), so a token cannot be
     * reserved a second time while its first request is still under way.
     */
    static java.time.Duration reservation(GatewayConfig.Proxy proxy) {
        java.time.Duration exchange = proxy.connectTimeout().plus(proxy.idleTimeout()).multipliedBy(2);
        return exchange.compareTo(java.time.Duration.ofSeconds(30)) > 0 ? exchange : java.time.Duration.ofSeconds(30);
    }

    /** How often a replica reads the change log: a revocation or eviction is in force everywhere within it. */
    static final java.time.Duration POLL = java.time.Duration.ofMillis(250);

    /** Sessions and revocations on a replay store: in its Redis, or in this process. */
    public static Sessions sessions(GatewayConfig config, ReplayStore store, StreamGateMetrics metrics, Clock clock) {
        java.time.Duration floor = java.time.Duration.ofMillis(500);
        java.time.Duration timeout = config.replay().timeout().compareTo(floor) > 0 ? config.replay().timeout() : floor;
        // an ended session is remembered here for longer than any credential issued before its end lives
        java.time.Duration endedWindow = config.hls().sessionTtl().plusMinutes(1);
        Sessions s = new Sessions(store instanceof RedisReplayStore r ? io.streamgate.filters.redis.RedisSessionStore.on(r)
                : new MemorySessionStore(clock, 1_000_000), clock, metrics, POLL, timeout, endedWindow, null);
        s.maxAge(config.hls().sessionMaxAge());
        return s;
    }

    static ReplayStore replayStore(GatewayConfig config, Clock clock) {
        // Redis holds sessions and revocations too, so it is used whatever the replay mode.
        if (config.replay().store() == GatewayConfig.Replay.Store.REDIS) {
            try {
                return RedisReplayStore.connect(config.replay().redis(), config.replay().keyPrefix(),
                        config.replay().timeout(), clock);
            } catch (RuntimeException e) {
                // never the password: this line reaches the log, the terminal and POST /reload's answer
                String url = config.replay().redis().toString();
                throw new ConfigException("replay.redis", "cannot connect to " + Redaction.url(url) + ": "
                        + Redaction.scrub(String.valueOf(e.getMessage()), url));
            }
        }
        return new MemoryReplayStore(clock, 2_000_000);
    }
}
