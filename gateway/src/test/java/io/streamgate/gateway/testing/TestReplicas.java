package io.streamgate.gateway.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

import org.eclipse.jetty.websocket.client.WebSocketClient;

import io.streamgate.filters.testing.RedisServerProcess;
import io.streamgate.filters.testing.TestKeys;
import io.streamgate.gateway.config.ConfigLoader;
import io.streamgate.origin.DemoOrigin;
import io.streamgate.gateway.runtime.GatewayServer;

/**
 * What the scale-out tests share: a real redis-server, the demo's live origin, a WebSocket
 * client for viewers, {@code key.pem} in the test's folder, and the gateway replicas started
 * from YAML, all stopped by {@link #close()} in reverse order. Without redis-server the test is
 * skipped (by {@link RedisServerProcess#start()}).
 */
public final class TestReplicas implements AutoCloseable {
    private final Path dir;
    private final List<GatewayServer> gateways = new ArrayList<>();
    private RedisServerProcess redis;
    private DemoOrigin origin;
    private WebSocketClient ws;

    private TestReplicas(Path dir) {
        this.dir = dir;
    }

    /** Starts Redis, the origin and the client; writes {@code key}'s public PEM as {@code dir/key.pem}. */
    public static TestReplicas start(Path dir, TestKeys key) throws Exception {
        TestReplicas r = new TestReplicas(dir);
        try {
            r.redis = RedisServerProcess.start();
            r.origin = DemoOrigin.start("127.0.0.1", 0, Clock.systemUTC());
            Files.writeString(dir.resolve("key.pem"), key.publicPem());
            r.ws = new WebSocketClient();
            r.ws.start();
            return r;
        } catch (Throwable t) {
            r.close();
            throw t;
        }
    }

    /** A replica from {@code yaml} (relative paths against the test's folder), stopped with the rest. */
    public GatewayServer replica(String yaml, Clock clock) throws Exception {
        GatewayServer g = GatewayServer.start(new ConfigLoader(System::getenv).parse(yaml, dir), clock);
        gateways.add(g);
        return g;
    }

    /** Stops one replica now (the others go on). */
    public void stop(GatewayServer g) throws Exception {
        gateways.remove(g);
        g.close();
    }

    public RedisServerProcess redis() {
        return redis;
    }

    public DemoOrigin origin() {
        return origin;
    }

    public WebSocketClient ws() {
        return ws;
    }

    @Override
    public void close() throws Exception {
        Exception first = null;
        List<AutoCloseable> all = new ArrayList<>();
        if (ws != null) {
            all.add(ws::stop);
        }
        all.addAll(gateways);
        all.add(origin);
        all.add(redis);
        for (AutoCloseable c : all) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        gateways.clear();
        if (first != null) {
            throw first;
        }
    }
}
