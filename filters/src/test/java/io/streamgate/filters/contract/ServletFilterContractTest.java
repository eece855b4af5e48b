package io.streamgate.filters.contract;

import java.net.URI;
import java.time.Duration;
import java.util.EnumSet;

import jakarta.servlet.DispatcherType;

import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import io.streamgate.filters.Authorizer;
import io.streamgate.filters.metrics.StreamGateMetrics;
import io.streamgate.filters.replay.MemoryReplayStore;
import io.streamgate.filters.replay.ReplayGuard;
import io.streamgate.filters.replay.ReplayMode;
import io.streamgate.filters.servlet.StreamGateFilter;
import io.streamgate.filters.testing.Fixture;

/**
 * The contract against the servlet adapter: {@link StreamGateFilter} in a real Servlet 6
 * container (Jetty ee10) in front of the {@link RecordingBackend} servlet.
 */
class ServletFilterContractTest extends AdapterContract {
    private Server server;
    private Authorizer authorizer;

    @Override
    protected URI start(Setup setup) throws Exception {
        StreamGateMetrics metrics = Fixture.metrics();
        authorizer = Authorizer.builder(Fixture.registry(setup.key()), Fixture.crypto()).clock(setup.clock())
                .metrics(metrics).policy(setup.verifyPolicy())
                .replay(new ReplayGuard(ReplayMode.ONCE, new MemoryReplayStore(setup.clock(), 10_000), false,
                        setup.verifyPolicy().leeway(), Duration.ofSeconds(2), metrics))
                .sessions(io.streamgate.filters.session.Sessions.inMemory(setup.clock(), metrics))
                .build();
        server = new Server(new QueuedThreadPool(16, 2));
        // Jetty's default URI compliance answers some non-canonical paths (an empty segment) with its
        // own 400 page before any filter runs; the contract is about the filter, so let them through.
        HttpConfiguration http = new HttpConfiguration();
        http.setUriCompliance(UriCompliance.LEGACY);
        ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        ServletContextHandler ctx = new ServletContextHandler();
        ctx.setContextPath("/");
        ctx.getServletHandler().setDecodeAmbiguousURIs(true);
        FilterHolder filter = new FilterHolder(
                StreamGateFilter.forRoute(authorizer, setup.routePolicy(), Setup.METHODS));
        filter.setAsyncSupported(true);
        ctx.addFilter(filter, "/*", EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC));
        ServletHolder backend = new ServletHolder(setup.backend());
        backend.setAsyncSupported(true);
        ctx.addServlet(backend, "/*");
        server.setHandler(ctx);
        server.start();
        return URI.create("http://127.0.0.1:" + connector.getLocalPort() + "/");
    }

    @Override
    protected void revoke(String field, String value) throws Exception {
        long now = clock.millis();
        io.streamgate.filters.session.Revocation.Kind kind = field.equals("jti")
                ? io.streamgate.filters.session.Revocation.Kind.JTI : io.streamgate.filters.session.Revocation.Kind.SUB;
        authorizer.sessions().revoke(new io.streamgate.filters.session.Revocation("r-" + value, kind, value, null,
                now + 3_600_000, null, now)).toCompletableFuture().get(5, java.util.concurrent.TimeUnit.SECONDS);
    }

    @org.junit.jupiter.api.Test
    void evictOldestIsRefusedWhenTheFilterIsBuilt() {
        StreamGateMetrics metrics = Fixture.metrics();
        Authorizer limited = Authorizer.builder(Fixture.registry(key), Fixture.crypto())
                .replay(new ReplayGuard(ReplayMode.LIMIT, new MemoryReplayStore(clock, 100), false, Duration.ZERO,
                        Duration.ofSeconds(1), metrics, 1, Duration.ofSeconds(30), Duration.ofSeconds(30),
                        new ReplayGuard.Options(false, "sub", true)))
                .build();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> StreamGateFilter.forRoute(limited,
                new Setup(key, clock, backend).routePolicy()))
                .isInstanceOf(io.streamgate.filters.core.ConfigException.class).hasMessageContaining("replay.onLimit");
    }

    @Override
    protected void stop() throws Exception {
        if (server != null) {
            server.stop();
        }
        if (authorizer != null) {
            authorizer.close();
        }
    }
}
