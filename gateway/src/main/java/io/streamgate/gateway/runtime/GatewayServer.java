package io.streamgate.gateway.runtime;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpCookieStore;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.core.client.WebSocketCoreClient;
import org.eclipse.jetty.websocket.core.server.WebSocketMappings;
import org.eclipse.jetty.websocket.core.server.WebSocketServerComponents;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.binder.jetty.JettyConnectionMetrics;
import io.micrometer.core.instrument.binder.jetty.JettyServerThreadPoolMetrics;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.streamgate.filters.Authorizer;
import io.streamgate.filters.metrics.StreamGateMetrics;
import io.streamgate.gateway.admin.AdminHandler;
import io.streamgate.gateway.admin.KeysJson;
import io.streamgate.gateway.config.GatewayConfig;
import io.streamgate.gateway.edge.Authorization;
import io.streamgate.gateway.edge.ClientShare;
import io.streamgate.gateway.edge.EdgeHandler;
import io.streamgate.gateway.edge.HeaderDeadline;
import io.streamgate.gateway.edge.JsonErrors;
import io.streamgate.gateway.edge.MinBodyRate;
import io.streamgate.gateway.edge.Routes;
import io.streamgate.gateway.metrics.GatewayMetrics;
import io.streamgate.gateway.proxy.UpstreamProxy;
import io.streamgate.gateway.session.Renewal;
import io.streamgate.gateway.websocket.RelayTracker;

/**
 * Assembles and runs the gateway on Jetty's core API, no servlets on the serving path:
 * <pre>
 * Server ─ MinBodyRate ─┬ public connector ─ GracefulHandler ─ EdgeHandler ─ route: HttpRoute | HlsRoute | WebSocketRoute
 *                       └ admin connector ── AdminHandler (/metrics /healthz /readyz; behind admin.token: /reload /keys)
 * </pre>
 * The public connector holds at most {@code listen.maxConnections}, one client address at most
 * {@code listen.maxConnectionsPerClient} of them ({@link ClientShare}), and a request body on
 * either listener must keep up with {@code listen.minBodyRate} ({@link MinBodyRate}).
 * Everything a configuration builds (routes, authorizer) is one {@link GatewayRuntime} in an
 * atomic reference that the edge reads once per request; {@link ConfigReloader} builds a new one
 * on {@code SIGHUP} or {@code POST /reload} and swaps it in, and replaces a changed key file's
 * keys. What lives as long as the process (pool, clients, replay store, meters) is shared.
 * The edge checks path, query, route, preflight and method ({@link EdgeHandler}); each route
 * authorises ({@link Authorization}) and forwards ({@link UpstreamProxy} on one shared
 * {@link HttpClient} that runs on the server's thread pool, or the WebSocket relay). Stopping
 * is graceful: new requests are refused, in-flight ones finish, WebSockets close with 1001.
 */
public final class GatewayServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayServer.class);
    /** The longest a decision may stay pending before the request is answered anyway (a bug backstop). */
    private static final Duration DECISION_BACKSTOP = Duration.ofSeconds(30);
    /** How often key files are compared with what was loaded, besides the watch service's events. */
    static final Duration KEY_FILE_POLL = Duration.ofSeconds(2);

    private final Server server;
    private final ServerConnector publicConnector;
    private final ServerConnector adminConnector;
    /** The configuration in force and what it built; replaced whole by a reload. */
    private final AtomicReference<GatewayRuntime> runtime;
    private final ConfigReloader reloader;
    private final GatewayRuntime.Services services;
    private final PrometheusMeterRegistry registry;
    private final ScheduledExecutorService scheduler;
    private final boolean tls;

    private GatewayServer(Server server, ServerConnector publicConnector, ServerConnector adminConnector,
                          AtomicReference<GatewayRuntime> runtime, ConfigReloader reloader,
                          GatewayRuntime.Services services, PrometheusMeterRegistry registry,
                          ScheduledExecutorService scheduler, boolean tls) {
        this.server = server;
        this.publicConnector = publicConnector;
        this.adminConnector = adminConnector;
        this.runtime = runtime;
        this.reloader = reloader;
        this.services = services;
        this.registry = registry;
        this.scheduler = scheduler;
        this.tls = tls;
    }

    /** Builds and starts the gateway. */
    public static GatewayServer start(GatewayConfig config, Clock clock) throws Exception {
        return start(config, clock, null);
    }

    /**
     * Builds and starts the gateway; {@code fallback}, when given, serves requests that match
     * no route before they are answered 404 (the demo's player page).
     */
    public static GatewayServer start(GatewayConfig config, Clock clock, Handler fallback) throws Exception {
        return start(config, clock, fallback, null);
    }

    /**
     * Builds and starts the gateway; {@code configSource}, when given, reads the configuration
     * anew for a reload ({@code SIGHUP}, {@code POST /reload}): the config file. Without it a
     * reload re-reads the key files of the configuration it started with.
     */
    public static GatewayServer start(GatewayConfig config, Clock clock, Handler fallback,
                                      java.util.function.Supplier<GatewayConfig> configSource) throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        StreamGateMetrics sgMetrics = new StreamGateMetrics(registry);
        GatewayMetrics gwMetrics = new GatewayMetrics(registry);

        QueuedThreadPool pool = new QueuedThreadPool(256, 8);
        pool.setName("streamgate");
        Server server = new Server(pool);
        server.setStopTimeout(10_000);
        server.setStopAtShutdown(true);

        ServerConnector pub = publicConnector(server, config);
        server.addConnector(pub);
        ServerConnector admin = null;
        if (config.admin().enabled()) { // port 0: the operating system picks one (adminPort() reads it back)
            admin = new ServerConnector(server, new HttpConnectionFactory(httpConfiguration()));
            admin.setName("admin");
            admin.setHost(config.admin().host());
            admin.setPort(config.admin().port());
            server.addConnector(admin);
        }

        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "streamgate-scheduler");
            t.setDaemon(true);
            return t;
        });
        HttpClient httpClient = upstreamClient(config.proxy(), pool);
        server.addBean(httpClient);
        WebSocketCoreClient wsClient = new WebSocketCoreClient();
        wsClient.getHttpClient().setConnectTimeout(config.proxy().connectTimeout().toMillis());
        wsClient.getHttpClient().setIdleTimeout(config.proxy().idleTimeout().toMillis());
        server.addBean(wsClient);
        // closes relayed sessions with 1001 on a graceful stop, 1008 when revoked or evicted
        RelayTracker relays = new RelayTracker(clock, sgMetrics);
        server.addBean(relays);
        WebSocketMappings upgrades = new WebSocketMappings(WebSocketServerComponents.ensureWebSocketComponents(server));

        // What lives as long as the process; everything a config builds is in the runtime, swapped on reload.
        io.streamgate.filters.replay.ReplayStore store = AuthSetup.replayStore(config, clock);
        io.streamgate.filters.session.Sessions sessions = AuthSetup.sessions(config, store, sgMetrics, clock);
        // revocations (and evictions) end live WebSocket sessions on every replica
        sessions.listen(relays);
        sessions.start();
        GatewayRuntime.Services services = new GatewayRuntime.Services(pool, sgMetrics, gwMetrics, httpClient,
                wsClient, relays, upgrades, scheduler, clock, store, sessions, DECISION_BACKSTOP);
        AtomicReference<GatewayRuntime> runtime;
        try {
            runtime = new AtomicReference<>(GatewayRuntime.build(config, services, null));
        } catch (RuntimeException e) {
            sessions.close(); // a key file that does not parse: nothing of ours outlives the failed start
            services.store().close();
            scheduler.shutdownNow();
            throw e;
        }
        Authorizer authorizer = runtime.get().authorizer();
        authorizer.keys().start().whenComplete((x, e) -> LOG.info("keys loaded: {} (ready: {})",
                authorizer.keys().size(), authorizer.keys().ready()));
        ConfigReloader reloader = new ConfigReloader(runtime, services, configSource, KEY_FILE_POLL);

        EdgeHandler edge = new EdgeHandler(runtime::get, fallback,
                Map.of(Renewal.PATH, new Renewal(runtime::get, sessions, pool, clock)));
        java.util.concurrent.CompletableFuture<Void> warm = new java.util.concurrent.CompletableFuture<>();
        AdminHandler admins = admin == null ? null : new AdminHandler(registry, () -> runtime.get().authorizer(),
                warm::isDone, () -> runtime.get().config().admin());
        if (admins != null) {
            // each a one-liner behind admin.token: admins.secured(path, handler)
            admins.secured("/reload", AdminHandler.json("POST", () -> reloader.reload("POST /reload")
                    .thenApply(r -> new AdminHandler.JsonReply(r.status(), r.toJson()))));
            admins.secured("/keys", AdminHandler.json("GET", () -> java.util.concurrent.CompletableFuture.completedFuture(
                    new AdminHandler.JsonReply(200, KeysJson.of(runtime.get().authorizer().keys().list())))));
            io.streamgate.gateway.admin.Revocations revocations = new io.streamgate.gateway.admin.Revocations(sessions,
                    () -> runtime.get().authorizer().replay(), pool, clock);
            admins.secured(io.streamgate.gateway.admin.Revocations.PATH, revocations::handle);
        }
        // handlers called directly (not through a wrapper's setHandler) still belong to the server
        for (Handler h : new Handler[] {fallback, admins}) {
            if (h != null) {
                h.setServer(server);
            }
        }
        // every listener: a body slower than listen.minBodyRate is cut (408), so it cannot hold a connection
        server.setHandler(new MinBodyRate(new Listeners(new GracefulHandler(edge), admins, admin),
                config.listen().minBodyRate(), clock, server.getScheduler(), pool, gwMetrics::connectionCutForSlowBody));
        // one address holds at most its share of the public listener; trusted proxies carry many viewers
        pub.addBean(new ClientShare(config.listen().maxConnectionsPerClient(),
                peer -> isTrustedProxy(runtime.get(), peer), gwMetrics::connectionRefusedOverClientShare));
        server.setErrorHandler(new JsonErrors.ForServer());
        JettyConnectionMetrics.addToAllConnectors(server, registry);
        new JettyServerThreadPoolMetrics(pool, List.of()).bindTo(registry);
        try {
            server.start();
        } catch (Exception e) {
            reloader.close(); // e.g. a port in use: no thread of ours outlives the failed start
            runtime.get().retire();
            sessions.close();
            services.store().close();
            scheduler.shutdownNow();
            throw e;
        }
        GatewayServer gw = new GatewayServer(server, pub, admin, runtime, reloader, services, registry, scheduler,
                config.listen().tls() != null);
        // /readyz waits for the warm start; its HTTP leg talks to our own listener (plain HTTP
        // only, and only when no route serves its path, so that nothing reaches an origin)
        boolean httpLeg = config.listen().tls() == null && Routes.match(config.routes(), Warmup.WARMUP_PATH) == null;
        Warmup.start(config, clock, httpClient, httpLeg ? gw.uri() : null, edge.warmupKey())
                .whenComplete((x, e) -> warm.complete(null));
        LOG.info("StreamGate listening on {}{}", gw.uri(), admin != null ? ", admin on " + gw.adminUri() : "");
        return gw;
    }

    /** Whether the peer is one of {@code clientIp.trustedProxies} in force (no parsing when none is trusted). */
    private static boolean isTrustedProxy(GatewayRuntime rt, java.net.InetAddress peer) {
        io.streamgate.filters.core.ClientAddress trusted = rt.authorizer().clientAddress();
        return trusted.trustsAny() && trusted.isTrusted(peer.getHostAddress());
    }

    private static HttpConfiguration httpConfiguration() {
        HttpConfiguration http = new HttpConfiguration();
        // Jetty's own URI checks would answer ambiguous paths (%2e%2e, //, %2F) with its error
        // page before the edge sees them: the edge decides instead (PathSafety.canonical), with
        // the contract's 400 malformed_path. Nothing is routed on Jetty's decoded path.
        http.setUriCompliance(org.eclipse.jetty.http.UriCompliance.UNSAFE);
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        return http;
    }

    private static ServerConnector publicConnector(Server server, GatewayConfig config) {
        HttpConfiguration http = httpConfiguration();
        ServerConnector pub;
        if (config.listen().tls() != null) {
            SslContextFactory.Server ssl = new SslContextFactory.Server();
            ssl.setKeyStorePath(config.listen().tls().keystore().toString());
            ssl.setKeyStoreType("PKCS12");
            ssl.setKeyStorePassword(config.listen().tls().password());
            http.addCustomizer(new SecureRequestCustomizer());
            pub = new ServerConnector(server, new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(http));
        } else {
            pub = new ServerConnector(server, new HttpConnectionFactory(http));
        }
        pub.setName("public");
        pub.setHost(config.listen().host());
        pub.setPort(config.listen().port());
        pub.setIdleTimeout(config.listen().idleTimeout().toMillis());
        // A connection cap: slow or idle clients cannot hold every file descriptor (a viewer
        // past the cap waits in the accept backlog instead of failing the process).
        server.addBean(new org.eclipse.jetty.server.NetworkConnectionLimit(config.listen().maxConnections(), pub));
        pub.addEventListener(new HeaderDeadline(server.getScheduler(), config.listen().headerTimeout().toMillis()));
        return pub;
    }

    /**
     * The upstream client: on the server's thread pool (no hand-off between pools), no
     * cookies, no content decoding, no redirects, no protocol handlers (a 401 or 100 from the
     * origin is the viewer's business), a 64 KiB response buffer for segments.
     */
    private static HttpClient upstreamClient(GatewayConfig.Proxy settings, QueuedThreadPool pool) {
        ClientConnector connector = new ClientConnector();
        connector.setExecutor(pool);
        connector.setSelectors(1);
        HttpClient client = new HttpClient(new HttpClientTransportOverHTTP(connector));
        client.setExecutor(pool);
        client.setConnectTimeout(settings.connectTimeout().toMillis());
        client.setIdleTimeout(settings.idleTimeout().toMillis());
        client.setMaxConnectionsPerDestination(settings.maxConnectionsPerUpstream());
        // Jetty's default (1,024) overflows in a join storm: while every thread verifies new
        // tokens, responses of admitted viewers wait, so do their connections, and the queue fills.
        client.setMaxRequestsQueuedPerDestination(settings.maxQueuedPerUpstream());
        client.setFollowRedirects(false);
        client.setUserAgentField(null);
        client.setHttpCookieStore(new HttpCookieStore.Empty());
        client.setResponseBufferSize(64 * 1024);
        client.getContentDecoderFactories().clear();
        client.getProtocolHandlers().clear();
        return client;
    }

    /** Sends each request to its listener's handler: the public tree or the admin endpoints. */
    private static final class Listeners extends Handler.Wrapper {
        private final Handler admin;
        private final Connector adminConnector;

        Listeners(Handler publicHandler, Handler admin, Connector adminConnector) {
            super(publicHandler);
            this.admin = admin;
            this.adminConnector = adminConnector;
            if (admin != null) {
                addBean(admin);
            }
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            if (admin != null && request.getConnectionMetaData().getConnector() == adminConnector) {
                return admin.handle(request, response, callback);
            }
            return super.handle(request, response, callback);
        }
    }

    public int port() {
        return publicConnector.getLocalPort();
    }

    /** The admin listener's bound port (the one the OS picked for {@code admin.port: 0}), or -1 when it is off. */
    public int adminPort() {
        return adminConnector == null ? -1 : adminConnector.getLocalPort();
    }

    /** The public base URI, e.g. {@code http://127.0.0.1:8080}. */
    public URI uri() {
        return URI.create((tls ? "https" : "http") + "://" + reachable(publicConnector.getHost()) + ":" + port());
    }

    /** The admin listener's base URI on its bound port, e.g. {@code http://127.0.0.1:9090}; null when it is off. */
    public URI adminUri() {
        return adminConnector == null ? null
                : URI.create("http://" + reachable(adminConnector.getHost()) + ":" + adminPort());
    }

    /** A host to reach a listener bound to {@code host} on this machine (the wildcard: loopback). */
    private static String reachable(String host) {
        if (host == null || host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
            return "127.0.0.1";
        }
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    /** The authorizer in force (a reload replaces it). */
    public Authorizer authorizer() {
        return runtime.get().authorizer();
    }

    /** The configuration in force (after reloads: the file's, with restart-only settings as they run). */
    public GatewayConfig config() {
        return runtime.get().config();
    }

    /** Reloads the configuration, as {@code SIGHUP} and {@code POST /reload} do. */
    public java.util.concurrent.CompletableFuture<ReloadResult> reload(String trigger) {
        return reloader.reload(trigger);
    }

    /** Makes {@code SIGHUP} reload the configuration (the {@code run} command does); false where it cannot. */
    public boolean reloadOnSighup() {
        return reloader.reloadOnSighup();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /**
     * Whether Jetty's own JVM shutdown hook stops this server (on by default). A command that
     * stops the gateway in its own hook turns it off: two hooks stopping one server at once
     * race (one destroys components the other is still stopping).
     */
    public void stopAtShutdown(boolean on) {
        server.setStopAtShutdown(on);
    }

    public void join() throws InterruptedException {
        server.join();
    }

    /** Graceful stop: refuse new requests, finish in-flight ones, close WebSockets with 1001. */
    @Override
    public void close() throws Exception {
        try {
            server.stop();
        } finally {
            reloader.close();
            scheduler.shutdownNow();
            scheduler.awaitTermination(1, TimeUnit.SECONDS);
            runtime.get().retire();
            services.sessions().close(); // its poller first: nothing reads a closed connection
            services.store().close();
        }
    }
}
