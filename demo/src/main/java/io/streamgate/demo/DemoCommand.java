package io.streamgate.demo;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;

import org.slf4j.LoggerFactory;

import io.streamgate.filters.core.ConfigException;
import io.streamgate.gateway.cli.Main;
import io.streamgate.gateway.config.Durations;
import io.streamgate.gateway.config.GatewayConfig;
import io.streamgate.gateway.logging.Logging;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code demo [--port N] [--admin-port N] [--token-ttl 60s]}: gateway + embedded origin + generated key; prints a token and commands. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run everything embedded: a live origin (HLS and WebSocket), a fresh ES256 key, the gateway.")
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--port", defaultValue = "8080", description = "Gateway port (default ${DEFAULT-VALUE}; 0: a free port, printed)")
    int port;

    @Option(names = "--admin-port", defaultValue = "9090", description = "Admin/metrics port (default ${DEFAULT-VALUE}; 0: a free port, printed)")
    int adminPort;

    @Option(names = "--token-ttl", defaultValue = "60s", paramLabel = "DURATION",
            description = "Lifetime of each token the player page gets and renews, at least 10s "
                    + "(default ${DEFAULT-VALUE}; the printed token lives 24h)")
    String tokenTtl;

    @Override
    public Integer call() throws Exception {
        Logging.configure(GatewayConfig.Log.DEFAULT);
        Duration ttl = Durations.parse(tokenTtl);
        if (ttl == null || ttl.compareTo(Duration.ofSeconds(10)) < 0) {
            throw new ConfigException("--token-ttl", "not a duration of at least 10s: \"" + tokenTtl + "\"");
        }
        Demo demo = Demo.start(port, adminPort, Clock.systemUTC(), ttl);
        // One shutdown hook stops everything, in order: the gateway (gracefully), the origin,
        // the key files, then logging. Jetty's own hook must not stop the gateway meanwhile:
        // two threads stopping one server raced, and the loser destroyed handlers the other
        // was still stopping ("Unable to destroy ... IllegalStateException: STARTED").
        demo.gateway().stopAtShutdown(false);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                demo.close();
            } catch (Exception e) {
                LoggerFactory.getLogger(DemoCommand.class).warn("stopping the demo: {}", e.toString());
            } finally {
                Logging.stop();
            }
        }, "streamgate-demo-shutdown"));
        demo.printWelcome(System.out);
        demo.gateway().join();
        return Main.OK;
    }
}
