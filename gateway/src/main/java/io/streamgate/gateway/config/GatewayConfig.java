package io.streamgate.gateway.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.streamgate.filters.crypto.CryptoProvider;
import io.streamgate.filters.replay.ReplayMode;
import io.streamgate.filters.rules.RouteRules;
import io.streamgate.filters.token.TokenSource;
import io.streamgate.filters.verify.VerifyPolicy;

/**
 * The gateway's configuration, immutable and validated once at load by {@link ConfigLoader}.
 * Every duration is a {@link Duration}; relative file paths are already resolved against the
 * config file's folder.
 */
public record GatewayConfig(Listen listen, Admin admin, List<KeySource> keys, VerifyPolicy verify, Tokens tokens,
                            Replay replay, List<String> trustedProxies, CryptoProvider crypto, Hls hls, Proxy proxy,
                            List<Route> routes, Warmup warmup, Log log) {

    /** A configuration without a {@code log} section: its defaults ({@link Log#DEFAULT}). */
    public GatewayConfig(Listen listen, Admin admin, List<KeySource> keys, VerifyPolicy verify, Tokens tokens,
                         Replay replay, List<String> trustedProxies, CryptoProvider crypto, Hls hls, Proxy proxy,
                         List<Route> routes, Warmup warmup) {
        this(listen, admin, keys, verify, tokens, replay, trustedProxies, crypto, hls, proxy, routes, warmup,
                Log.DEFAULT);
    }

    /**
     * Logging: the level of StreamGate's own loggers, {@code text} or {@code json} (one JSON
     * object per line), and whether the {@code streamgate.access} logger writes one line per
     * request and per ended session. See {@code io.streamgate.gateway.logging.Logging}.
     */
    public record Log(LogLevel level, LogFormat format, boolean access) {
        public static final Log DEFAULT = new Log(LogLevel.INFO, LogFormat.TEXT, false);
    }

    public enum LogLevel { ERROR, WARN, INFO, DEBUG, TRACE }

    public enum LogFormat { TEXT, JSON }

    /**
     * The settings of {@code running} that a running gateway keeps until it restarts, each
     * named by its key, that differ in this config: the listeners ({@code listen},
     * {@code admin.enabled}, {@code admin.host}, {@code admin.port}), the replay store's connection
     * ({@code replay.store}, {@code replay.redis}, {@code replay.keyPrefix}), the upstream
     * client ({@code proxy}), the warm start ({@code warmup}, run once at start) and logging's
     * {@code log.level} and {@code log.format} (configured once at start; {@code log.access}
     * follows a reload).
     */
    public java.util.List<String> restartOnlyChanges(GatewayConfig running) {
        java.util.List<String> out = new java.util.ArrayList<>();
        if (!listen.equals(running.listen)) {
            out.add("listen");
        }
        if (admin.enabled() != running.admin.enabled()) {
            out.add("admin.enabled");
        }
        if (!admin.host().equals(running.admin.host())) {
            out.add("admin.host");
        }
        if (admin.port() != running.admin.port()) {
            out.add("admin.port");
        }
        if (replay.store() != running.replay.store()) {
            out.add("replay.store");
        }
        if (!java.util.Objects.equals(replay.redis(), running.replay.redis())) {
            out.add("replay.redis");
        }
        if (!java.util.Objects.equals(replay.keyPrefix(), running.replay.keyPrefix())) {
            out.add("replay.keyPrefix");
        }
        if (!proxy.equals(running.proxy)) {
            out.add("proxy");
        }
        if (!warmup.equals(running.warmup)) {
            out.add("warmup");
        }
        if (log.level() != running.log.level()) {
            out.add("log.level");
        }
        if (log.format() != running.log.format()) {
            out.add("log.format");
        }
        return out;
    }

    /**
     * What a reload applies: this config with {@link #restartOnlyChanges the settings a
     * running gateway keeps} taken from {@code running}. When the replay store's connection
     * changed, the whole {@code replay} section stays as it runs until the restart.
     */
    public GatewayConfig keepingRestartOnly(GatewayConfig running) {
        boolean storeChanged = replay.store() != running.replay.store()
                || !java.util.Objects.equals(replay.redis(), running.replay.redis())
                || !java.util.Objects.equals(replay.keyPrefix(), running.replay.keyPrefix());
        return new GatewayConfig(running.listen, new Admin(running.admin.host(), running.admin.port(), admin.token(),
                        running.admin.enabled(), running.admin.enabledWritten(), admin.hosts()),
                keys, verify, tokens, storeChanged ? running.replay : replay, trustedProxies, crypto, hls,
                running.proxy, routes, running.warmup,
                new Log(running.log.level(), running.log.format(), log.access())); // access lines follow a reload
    }

    /**
     * Warm start: before {@code /readyz} turns ready, the gateway verifies up to
     * {@code verifications} throwaway tokens (for at most {@code maxDuration}) so that the
     * first join storm after a restart meets a compiled verification path. 0 turns it off.
     */
    public record Warmup(int verifications, Duration maxDuration) {
        public static final Warmup OFF = new Warmup(0, Duration.ZERO);
    }

    /**
     * The public listener; optional TLS from a PKCS#12 keystore. {@code maxConnections} caps
     * open viewer connections (past it new ones wait in the accept queue), {@code idleTimeout}
     * closes a connection silent that long (WebSocket sessions use their route's),
     * {@code headerTimeout} one that has not sent a whole first request head that long after
     * opening (a client trickling its headers byte by byte). {@code minBodyRate} (bytes/s, 0:
     * off) is the slowest a request body may arrive while the gateway waits for it, on every
     * listener (slower: 408); {@code maxConnectionsPerClient} is the most connections one peer
     * address may hold on the public listener (trusted proxies exempt; past it a new
     * connection is closed at once).
     */
    public record Listen(String host, int port, Tls tls, int maxConnections, Duration idleTimeout,
                         Duration headerTimeout, int minBodyRate, int maxConnectionsPerClient) {
    }

    public record Tls(Path keystore, String password) {
        /** Never the password: records print their components. */
        @Override
        public String toString() {
            return "Tls[keystore=" + keystore + ", password=" + (password.isEmpty() ? "none" : "set") + "]";
        }
    }

    /**
     * The admin listener, on unless {@code enabled} is false; port 0 lets the operating system
     * pick a free port (read back with {@code GatewayServer.adminPort()}). {@code token} (empty:
     * none) is the bearer token every admin endpoint but {@code /metrics}, {@code /healthz} and
     * {@code /readyz} requires. {@code enabledWritten} tells whether the file said
     * {@code admin.enabled} (port 0 used to turn the listener off: {@link ConfigWarnings}).
     * {@code hosts}: further {@code Host} names (or addresses) the listener answers to besides
     * its own address and loopback ({@code admin.hosts}; lower case, no port, no brackets).
     */
    public record Admin(String host, int port, String token, boolean enabled, boolean enabledWritten,
                        List<String> hosts) {
        public Admin {
            hosts = List.copyOf(hosts);
        }

        /** Without {@code admin.hosts}. */
        public Admin(String host, int port, String token, boolean enabled, boolean enabledWritten) {
            this(host, port, token, enabled, enabledWritten, List.of());
        }

        /** Never the token itself: records print their components. */
        @Override
        public String toString() {
            return "Admin[enabled=" + enabled + ", host=" + host + ", port=" + port + ", token="
                    + (token.isEmpty() ? "none" : "set") + ", hosts=" + hosts + "]";
        }
    }

    /** One entry of {@code keys}: a file (PEM, JWK or JWKS) or a JWKS URL. {@code path} is e.g. {@code keys[0]}. */
    public record KeySource(String path, String kid, Path file, URI jwks, Duration refresh, Duration minRefetch,
                            Duration timeout) {
    }

    public record Tokens(List<TokenSource> from, boolean stripBeforeUpstream, int maxLength) {
    }

    /**
     * Replay protection; {@code redis} and {@code keyPrefix} apply to {@code store: redis}, which
     * also holds sessions and revocations; {@code options}: {@code jtiScope}, {@code limitBy},
     * {@code onLimit}.
     */
    public record Replay(ReplayMode mode, int maxSessions, Store store, URI redis, boolean allowOnStoreError,
                         Duration timeout, String keyPrefix, Duration lease,
                         io.streamgate.filters.replay.ReplayGuard.Options options) {
        public enum Store { MEMORY, REDIS }

        /** Never the Redis password: records print their components. */
        @Override
        public String toString() {
            return "Replay[mode=" + mode + ", maxSessions=" + maxSessions + ", store=" + store + ", redis="
                    + (redis == null ? null : io.streamgate.filters.core.Redaction.url(redis.toString()))
                    + ", allowOnStoreError=" + allowOnStoreError + ", timeout=" + timeout + ", keyPrefix=" + keyPrefix
                    + ", lease=" + lease + ", options=" + options + "]";
        }
    }

    /**
     * HLS session credentials: the HMAC secret replicas share (empty: random per process);
     * {@code shieldMaxAge} bounds how long the origin shield reuses a playlist (never longer
     * than the origin's {@code Cache-Control} allows).
     */
    public record Hls(String sessionSecret, Duration sessionTtl, int maxPlaylistBytes, Duration shieldMaxAge,
                      Duration sessionMaxAge) {
        /** Never the session secret: records print their components. */
        @Override
        public String toString() {
            return "Hls[sessionSecret=" + (sessionSecret.isEmpty() ? "random" : "set") + ", sessionTtl=" + sessionTtl
                    + ", maxPlaylistBytes=" + maxPlaylistBytes + ", shieldMaxAge=" + shieldMaxAge + ", sessionMaxAge="
                    + sessionMaxAge + "]";
        }
    }

    /**
     * Upstream connection settings shared by all routes. {@code maxQueuedPerUpstream} bounds the
     * authorised requests waiting for one of an upstream's connections; past it they are 502.
     */
    public record Proxy(Duration connectTimeout, Duration idleTimeout, int maxConnectionsPerUpstream,
                        int maxQueuedPerUpstream) {
    }

    public enum RouteType { WEBSOCKET, HLS, HTTP }

    public enum OnExpiry { KEEP, CLOSE }

    /**
     * One route: requests whose path starts with {@code path} (longest prefix wins) go to
     * {@code upstream} after authorisation, unless {@code authRequired} is false ({@code auth:
     * none}, only when written explicitly).
     */
    public record Route(String name, String path, RouteType type, URI upstream, boolean authRequired,
                        OnExpiry onExpiry, Map<String, String> claimHeaders, RouteRules rules,
                        Duration idleTimeout, int maxMessageSize, List<String> methods, boolean shield) {
        /** Methods a route takes when {@code methods} is not written: reading, never writing. */
        public static final List<String> DEFAULT_METHODS = List.of("GET", "HEAD");

        /** Without the upstream's secrets (a password in its userinfo, values in its query). */
        @Override
        public String toString() {
            return "Route[name=" + name + ", path=" + path + ", type=" + type + ", upstream="
                    + (upstream == null ? null : io.streamgate.filters.core.Redaction.url(upstream.toString())) + "]";
        }
    }
}
