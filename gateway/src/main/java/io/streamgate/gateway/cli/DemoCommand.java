package io.streamgate.gateway.cli;

import java.time.Clock;
import java.util.concurrent.Callable;

import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import io.streamgate.gateway.config.GatewayConfig;
import io.streamgate.gateway.demo.Demo;
import io.streamgate.gateway.logging.Logging;

/** {@code demo [--port N]}: gateway + embedded origin + generated key; prints a token and commands. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run everything embedded: a live origin (HLS and WebSocket), a fresh ES256 key, the gateway.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--port", defaultValue = "8080", description = "Gateway port (default ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--admin-port", defaultValue = "9090", description = "Admin/metrics port (default ${DEFAULT-VALUE})")
    int adminPort;

    @Override
    public Integer call() throws Exception {
        Logging.configure(GatewayConfig.Log.DEFAULT);
        Demo demo = Demo.start(port, adminPort, Clock.systemUTC());
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
