package io.streamgate.gateway.runtime;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;

import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.core.client.WebSocketCoreClient;
import org.eclipse.jetty.websocket.core.server.WebSocketMappings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.streamgate.filters.Authorizer;
import io.streamgate.filters.core.Redaction;
import io.streamgate.filters.metrics.StreamGateMetrics;
import io.streamgate.filters.replay.ReplayStore;
import io.streamgate.filters.token.TokenSource;
import io.streamgate.gateway.config.GatewayConfig;
import io.streamgate.gateway.edge.AccessRecord;
import io.streamgate.gateway.edge.Authorization;
import io.streamgate.gateway.edge.RouteEntry;
import io.streamgate.gateway.hls.HlsRoute;
import io.streamgate.gateway.hls.PlaylistShield;
import io.streamgate.gateway.logging.AccessLog;
import io.streamgate.gateway.logging.Redactor;
import io.streamgate.gateway.metrics.GatewayMetrics;
import io.streamgate.gateway.proxy.HttpRoute;
import io.streamgate.gateway.proxy.UpstreamProxy;
import io.streamgate.gateway.proxy.UpstreamRequest;
import io.streamgate.gateway.session.Renewal;
import io.streamgate.gateway.session.SessionCredentials;
import io.streamgate.gateway.websocket.RelayTracker;
import io.streamgate.gateway.websocket.WebSocketRoute;

/**
 * Everything one configuration builds for the serving path: the route table (each route's
 * handler, rules and policy) and the {@link Authorizer} (keys, verify policy, token sources,
 * replay guard, trusted proxies). The gateway holds the current one in one atomic reference
 * that the edge reads once per request, so a request sees one configuration from start to
 * end; a reload builds a new runtime and swaps it in. Live sessions (relayed WebSockets, HLS
 * playback on credentials) keep the objects they started with.
 *
 * <p>What lives as long as the process is {@link Services}: the thread pool, the upstream
 * HTTP and WebSocket clients, the replay store, the meters. A runtime built over a previous one
 * also keeps, where their settings did not change, its HLS session credentials (sessions stay
 * valid), its origin shields (per unchanged route), its verified-token cache and its JWKS keys.
 */
public final class GatewayRuntime implements Renewal.Context {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayRuntime.class);

    /** The long-lived parts every runtime shares; built once at start, never by a reload. */
    record Services(QueuedThreadPool pool, StreamGateMetrics sgMetrics, GatewayMetrics gwMetrics,
                    HttpClient httpClient, WebSocketCoreClient wsClient, RelayTracker relays,
                    WebSocketMappings upgrades, ScheduledExecutorService scheduler, Clock clock, ReplayStore store,
                    io.streamgate.filters.session.Sessions sessions, java.time.Duration decisionBackstop) {
    }

    private final GatewayConfig config;
    private final Authorizer authorizer;
    private final RouteEntry[] routes; // longest prefix first
    private final SessionCredentials credentials;
    private final Map<String, PlaylistShield> shields;
    private final AccessRecord.Settings access;

    private GatewayRuntime(GatewayConfig config, Authorizer authorizer, List<RouteEntry> routes,
                           SessionCredentials credentials, Map<String, PlaylistShield> shields,
                           AccessRecord.Settings access) {
        this.config = config;
        this.access = access;
        this.authorizer = authorizer;
        this.routes = routes.stream().sorted(Comparator.comparingInt((RouteEntry r) -> r.prefix().length()).reversed())
                .toArray(RouteEntry[]::new);
        this.credentials = credentials;
        this.shields = shields;
    }

    /**
     * Builds the runtime of {@code config}; with {@code previous} (a reload) it reuses what
     * the previous one built where the settings are the same. Key files are read here: a
     * problem is a {@link io.streamgate.filters.core.ConfigException} naming its key, and then
     * nothing was built.
     */
    static GatewayRuntime build(GatewayConfig config, Services s, GatewayRuntime previous) {
        Authorizer authorizer = AuthSetup.build(config, s.sgMetrics(), s.clock(), s.pool(), s.store(), s.sessions(),
                previous == null ? null : previous.authorizer);
        try {
            return build(config, s, previous, authorizer);
        } catch (RuntimeException e) {
            authorizer.keys().close(); // nothing of a runtime that was not built keeps running
            throw e;
        }
    }

    private static GatewayRuntime build(GatewayConfig config, Services s, GatewayRuntime previous,
                                        Authorizer authorizer) {
        GatewayMetrics gwMetrics = s.gwMetrics();
        Authorization authorization = new Authorization(authorizer, s.pool(), s.decisionBackstop());
        SessionCredentials credentials = previous != null && sameSessions(previous.config.hls(), config.hls())
                ? previous.credentials : sessionCredentials(config, s.clock());
        List<TokenSource> strip = config.tokens().stripBeforeUpstream() ? config.tokens().from() : List.of();
        AccessLog accessLog = new AccessLog(config.log().access());
        Redactor.credentialParameters(config.tokens().from()); // their values are masked in every line, any spelling
        List<RouteEntry> routes = new ArrayList<>();
        Map<String, PlaylistShield> shields = new HashMap<>();
        for (GatewayConfig.Route r : config.routes()) {
            RouteEntry entry = new RouteEntry(r);
            gwMetrics.route(r.name()); // the route's meters: one holder, each meter registered on first use
            Authorization auth = r.authRequired() ? authorization : null;
            UpstreamRequest upstream = new UpstreamRequest(r.upstream().toString(), entry.prefix(), strip,
                    r.type() == GatewayConfig.RouteType.HLS ? List.of(SessionCredentials.PARAM) : List.of(),
                    r.claimHeaders(), authorizer.clientAddress(), () -> gwMetrics.claimHeaderOmitted(r.name()));
            long idle = config.proxy().idleTimeout().toMillis();
            PlaylistShield shield = null;
            if (r.type() == GatewayConfig.RouteType.HLS) {
                shield = previous != null && previous.keepsShield(r, config) ? previous.shields.get(r.name())
                        : shield(r, config);
                if (shield != null) {
                    shields.put(r.name(), shield);
                }
            }
            entry.handler(switch (r.type()) {
                case WEBSOCKET -> new WebSocketRoute(r, config.proxy().connectTimeout().toMillis(), upstream,
                        gwMetrics, s.upgrades(), s.wsClient(), s.relays(), s.scheduler(), authorizer.replay(), auth,
                        s.pool(), s.clock(), accessLog);
                case HLS -> new HlsRoute(r, s.httpClient(), upstream, gwMetrics, auth, credentials,
                        config.hls().maxPlaylistBytes(), authorizer.replay(), s.sgMetrics(), idle, shield);
                case HTTP -> new HttpRoute(auth, new UpstreamProxy(r.name(), s.httpClient(), upstream, gwMetrics, idle));
            });
            routes.add(entry);
            LOG.info("route {}: {} {} {} -> {}{}", r.name(), r.type().name().toLowerCase(Locale.ROOT), r.methods(),
                    r.path(), Redaction.url(r.upstream().toString()), r.authRequired() ? "" : " (auth: none)");
        }
        return new GatewayRuntime(config, authorizer, routes, credentials, shields,
                new AccessRecord.Settings(accessLog, credentialParams(config), authorizer.clientAddress(),
                        s.sgMetrics()));
    }

    /** The query parameters an access line leaves out: every configured token parameter and {@code sg_session}. */
    private static List<String> credentialParams(GatewayConfig config) {
        List<String> out = new ArrayList<>();
        for (TokenSource t : config.tokens().from()) {
            if (t.kind() == TokenSource.Kind.QUERY) {
                out.add(t.name());
            }
        }
        out.add(SessionCredentials.PARAM);
        return List.copyOf(out);
    }

    @Override
    public AccessRecord.Settings access() {
        return access;
    }

    public GatewayConfig config() {
        return config;
    }

    @Override
    public Authorizer authorizer() {
        return authorizer;
    }

    @Override
    public SessionCredentials credentials() {
        return credentials;
    }

    @Override
    public RouteEntry route(String name) {
        for (RouteEntry r : routes) {
            if (r.name().equals(name)) {
                return r;
            }
        }
        return null;
    }

    @Override
    public RouteEntry match(String path) {
        for (RouteEntry r : routes) {
            if (r.matches(path)) {
                return r;
            }
        }
        return null;
    }

    /**
     * Stops what only this runtime used once a newer one serves: the key registry's JWKS
     * refresh. The replay store and everything else in {@link Services} stay open; requests
     * still under way on this runtime finish with it.
     */
    void retire() {
        authorizer.keys().close();
    }

    /** Same origin shield when the route and the shield's bound did not change. */
    private boolean keepsShield(GatewayConfig.Route r, GatewayConfig next) {
        return shields.containsKey(r.name()) && next.hls().shieldMaxAge().equals(config.hls().shieldMaxAge())
                && config.routes().stream().anyMatch(r::equals);
    }

    private static boolean sameSessions(GatewayConfig.Hls a, GatewayConfig.Hls b) {
        return a.sessionSecret().equals(b.sessionSecret()) && a.sessionTtl().equals(b.sessionTtl())
                && a.sessionMaxAge().equals(b.sessionMaxAge());
    }

    /**
     * The route's origin shield, or null: off when configured off, and when the route sends
     * claim headers (the origin may then answer each viewer differently).
     */
    private static PlaylistShield shield(GatewayConfig.Route r, GatewayConfig config) {
        if (!r.shield()) {
            return null;
        }
        if (!r.claimHeaders().isEmpty()) {
            LOG.info("route {}: origin shield off (claimHeaders are per viewer)", r.name());
            return null;
        }
        return new PlaylistShield(config.hls().shieldMaxAge(), 10_000, com.github.benmanes.caffeine.cache.Ticker.systemTicker());
    }

    private static SessionCredentials sessionCredentials(GatewayConfig config, Clock clock) {
        byte[] secret;
        if (config.hls().sessionSecret().isEmpty()) {
            secret = SessionCredentials.randomSecret();
            if (config.routes().stream().anyMatch(r -> r.type() == GatewayConfig.RouteType.HLS)) {
                LOG.warn("hls.sessionSecret is not set: using a random per-process secret. Replicas behind one "
                        + "load balancer need a shared secret, or a session opened at one fails at another.");
            }
        } else {
            secret = config.hls().sessionSecret().getBytes(StandardCharsets.UTF_8);
        }
        return new SessionCredentials(secret, config.hls().sessionTtl(), config.hls().sessionMaxAge(), clock);
    }
}
