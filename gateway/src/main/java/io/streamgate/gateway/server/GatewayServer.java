package io.streamgate.gateway.server;

import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.handler.ContextHandler;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.eclipse.jetty.server.handler.GracefulHandler;
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
import io.streamgate.filters.ClientAddress;
import io.streamgate.filters.RoutePolicy;
import io.streamgate.filters.metrics.StreamGateMetrics;
import io.streamgate.filters.servlet.StreamGateFilter;
import io.streamgate.gateway.admin.AdminHandler;
import io.streamgate.gateway.config.GatewayConfig;
import io.streamgate.gateway.hls.HlsProxyServlet;
import io.streamgate.gateway.hls.HlsSessionFilter;
import io.streamgate.gateway.hls.SessionCredentials;
import io.streamgate.gateway.metrics.GatewayMetrics;
import io.streamgate.gateway.proxy.HttpProxyServlet;
import io.streamgate.gateway.websocket.RelayTracker;
import io.streamgate.gateway.websocket.WebSocketRouteServlet;

/**
 * Assembles and runs the gateway: the public listener (optional TLS) with one servlet per
 * route behind the {@link StreamGateFilter} — the very filter library users get — and the
 * admin listener. Routes map by path prefix on whole segments, the longest winning. Stopping
 * is graceful: new requests are refused, in-flight ones finish, WebSockets close with 1001.
 */
public final class GatewayServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayServer.class);
    private static final String ROUTE_SERVLET_PREFIX = "route:";

    private final Server server;
    private final ServerConnector publicConnector;
    private final ServerConnector adminConnector;
    private final Authorizer authorizer;
    private final PrometheusMeterRegistry registry;
    private final ScheduledExecutorService scheduler;
    private final boolean tls;

    private GatewayServer(Server server, ServerConnector publicConnector, ServerConnector adminConnector,
                          Authorizer authorizer, PrometheusMeterRegistry registry, ScheduledExecutorService scheduler,
                          boolean tls) {
        this.server = server;
        this.publicConnector = publicConnector;
        this.adminConnector = adminConnector;
        this.authorizer = authorizer;
        this.registry = registry;
        this.scheduler = scheduler;
        this.tls = tls;
    }

    /** Builds and starts the gateway. */
    public static GatewayServer start(GatewayConfig config, Clock clock) throws Exception {
        return start(config, clock, ctx -> { });
    }

    /**
     * Builds and starts the gateway; {@code customizer} may add servlets to the public context
     * before it starts (the demo's player page).
     */
    public static GatewayServer start(GatewayConfig config, Clock clock,
                                      java.util.function.Consumer<ServletContextHandler> customizer) throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        StreamGateMetrics sgMetrics = new StreamGateMetrics(registry);
        GatewayMetrics gwMetrics = new GatewayMetrics(registry);

        Authorizer authorizer = AuthSetup.build(config, sgMetrics, clock);
        authorizer.keys().start().whenComplete((x, e) -> LOG.info("keys loaded: {} (ready: {})",
                authorizer.keys().size(), authorizer.keys().ready()));
        ClientAddress trust = authorizer.clientAddress();

        QueuedThreadPool pool = new QueuedThreadPool(256, 8);
        pool.setName("streamgate");
        Server server = new Server(pool);
        server.setStopTimeout(10_000);
        server.setStopAtShutdown(true);

        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        ServerConnector pub;
        boolean tls = config.listen().tls() != null;
        if (tls) {
            SslContextFactory.Server ssl = new SslContextFactory.Server();
            ssl.setKeyStorePath(config.listen().tls().keystore().toString());
            ssl.setKeyStoreType("PKCS12");
            ssl.setKeyStorePassword(config.listen().tls().password());
            HttpConfiguration https = new HttpConfiguration(http);
            https.addCustomizer(new SecureRequestCustomizer());
            pub = new ServerConnector(server, new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(https));
        } else {
            pub = new ServerConnector(server, new HttpConnectionFactory(http));
        }
        pub.setName("public");
        pub.setHost(config.listen().host());
        pub.setPort(config.listen().port());
        server.addConnector(pub);
        ServerConnector admin = null;
        if (config.admin().port() != 0) {
            admin = new ServerConnector(server, new HttpConnectionFactory(http));
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
        WebSocketCoreClient wsClient = new WebSocketCoreClient();
        wsClient.getHttpClient().setConnectTimeout(config.proxy().connectTimeout().toMillis());
        wsClient.getHttpClient().setIdleTimeout(config.proxy().idleTimeout().toMillis());
        server.addBean(wsClient);
        RelayTracker relays = new RelayTracker(); // closes relayed sessions with 1001 on a graceful stop
        server.addBean(relays);

        server.setErrorHandler(new JsonErrors.ForServer());
        ServletContextHandler ctx = new ServletContextHandler();
        ctx.setContextPath("/");
        ctx.setVirtualHosts(List.of("@public"));
        ctx.setErrorHandler(new JsonErrors.ForContext());
        WebSocketServerComponents.ensureWebSocketComponents(server, ctx);
        WebSocketMappings upgrades = WebSocketMappings.ensureMappings(ctx);
        Map<String, RoutePolicy> policies = new HashMap<>();
        Map<String, GatewayConfig.Route> hlsRoutes = new HashMap<>();
        java.util.Set<String> websocketRoutes = new java.util.HashSet<>();
        SessionCredentials credentials = sessionCredentials(config, clock);
        for (GatewayConfig.Route r : config.routes()) {
            List<io.streamgate.filters.token.TokenSource> strip = config.tokens().stripBeforeUpstream()
                    ? config.tokens().from() : List.of();
            HttpServlet servlet = switch (r.type()) {
                case WEBSOCKET -> new WebSocketRouteServlet(r, config.proxy(), strip, trust, gwMetrics, upgrades,
                        wsClient, relays, scheduler, authorizer.replay(), sgMetrics);
                case HLS -> new HlsProxyServlet(r, config.proxy(), strip, trust, gwMetrics, credentials,
                        config.hls().maxPlaylistBytes(), authorizer.replay(), sgMetrics);
                case HTTP -> new HttpProxyServlet(r, config.proxy(), strip, trust, gwMetrics);
            };
            ServletHolder holder = new ServletHolder(ROUTE_SERVLET_PREFIX + r.name(), servlet);
            holder.setAsyncSupported(true);
            holder.setInitParameter("timeout", "0"); // no total exchange limit: live streams are long
            holder.setInitParameter("idleTimeout", String.valueOf(config.proxy().idleTimeout().toMillis()));
            holder.setInitParameter("maxConnections", String.valueOf(config.proxy().maxConnectionsPerUpstream()));
            ctx.addServlet(holder, mapping(r.path()));
            if (r.authRequired()) {
                policies.put(holder.getName(), new RoutePolicy(r.name(), r.path(), r.rules()));
                if (r.type() == GatewayConfig.RouteType.HLS) {
                    hlsRoutes.put(holder.getName(), r);
                }
                if (r.type() == GatewayConfig.RouteType.WEBSOCKET) {
                    websocketRoutes.add(holder.getName());
                }
            }
            LOG.info("route {}: {} {} -> {}{}", r.name(), r.type().name().toLowerCase(java.util.Locale.ROOT),
                    r.path(), r.upstream(), r.authRequired() ? "" : " (auth: none)");
        }
        if (config.routes().stream().noneMatch(r -> mapping(r.path()).equals("/*"))) {
            ctx.addServlet(new ServletHolder("no-route", new NoRoute()), "/");
        }
        customizer.accept(ctx);
        Map<String, RoutePolicy> routeByServlet = Map.copyOf(policies);
        java.util.Set<String> wsServlets = java.util.Set.copyOf(websocketRoutes);
        // 1. HLS session credentials (an HMAC check) admit child playlists and segments;
        FilterHolder sessions = new FilterHolder(new HlsSessionFilter(Map.copyOf(hlsRoutes), credentials, authorizer,
                gwMetrics));
        sessions.setAsyncSupported(true);
        ctx.addFilter(sessions, "/*", EnumSet.of(DispatcherType.REQUEST));
        // 2. everything else needs a token: the library's filter, exactly as its users get it.
        // A plain GET on a websocket route is answered 426 by its servlet without authorising:
        // otherwise a link preview would consume a one-time token before the player's upgrade.
        FilterHolder filter = new FilterHolder(new StreamGateFilter(authorizer, req -> {
            String servlet = req.getHttpServletMapping().getServletName();
            if (req.getAttribute(HlsSessionFilter.SESSION_ATTRIBUTE) != null
                    || (wsServlets.contains(servlet) && !"websocket".equalsIgnoreCase(req.getHeader("Upgrade")))) {
                return null;
            }
            return routeByServlet.get(servlet);
        }));
        filter.setAsyncSupported(true);
        ctx.addFilter(filter, "/*", EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC));

        ContextHandlerCollection contexts = new ContextHandlerCollection();
        contexts.addHandler(new GracefulHandler(ctx));
        if (admin != null) {
            ContextHandler adminCtx = new ContextHandler(new AdminHandler(registry, authorizer), "/");
            adminCtx.setVirtualHosts(List.of("@admin"));
            contexts.addHandler(adminCtx);
        }
        server.setHandler(contexts);
        JettyConnectionMetrics.addToAllConnectors(server, registry);
        new JettyServerThreadPoolMetrics(pool, List.of()).bindTo(registry);
        server.start();
        GatewayServer gw = new GatewayServer(server, pub, admin, authorizer, registry, scheduler, tls);
        LOG.info("StreamGate listening on {}{}", gw.uri(), admin != null ? ", admin on http://"
                + config.admin().host() + ":" + admin.getLocalPort() : "");
        return gw;
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
            secret = config.hls().sessionSecret().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
        return new SessionCredentials(secret, config.hls().sessionTtl(), clock);
    }

    /** Servlet mapping for a route prefix: whole segments, e.g. {@code /live/} and {@code /live} → {@code /live/*}. */
    static String mapping(String path) {
        String p = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        return p + "/*";
    }

    /** Requests matching no route. */
    static final class NoRoute extends HttpServlet {
        private static final long serialVersionUID = 1L;

        @Override
        protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            io.streamgate.filters.servlet.Cors.apply(req, resp);
            resp.setStatus(404);
            resp.setContentType("application/json");
            resp.getWriter().write("{\"error\":\"not_found\",\"reason\":\"no_route\"}");
        }
    }

    public int port() {
        return publicConnector.getLocalPort();
    }

    public int adminPort() {
        return adminConnector == null ? 0 : adminConnector.getLocalPort();
    }

    /** The public base URI, e.g. {@code http://127.0.0.1:8080}. */
    public URI uri() {
        String host = publicConnector.getHost() == null || publicConnector.getHost().equals("0.0.0.0")
                ? "127.0.0.1" : publicConnector.getHost();
        return URI.create((tls ? "https" : "http") + "://" + host + ":" + port());
    }

    public Authorizer authorizer() {
        return authorizer;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
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
            scheduler.shutdownNow();
            scheduler.awaitTermination(1, TimeUnit.SECONDS);
            authorizer.close();
        }
    }

}
