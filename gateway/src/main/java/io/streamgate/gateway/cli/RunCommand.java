package io.streamgate.gateway.cli;

import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

import org.slf4j.LoggerFactory;

import io.streamgate.gateway.config.ConfigLoader;
import io.streamgate.gateway.config.ConfigWarnings;
import io.streamgate.gateway.config.GatewayConfig;
import io.streamgate.gateway.logging.Logging;
import io.streamgate.gateway.runtime.GatewayServer;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code run --config FILE}: the production mode. */
@Command(name = "run", mixinStandardHelpOptions = true, description = "Run the gateway with a configuration file.")
final class RunCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, paramLabel = "FILE",
            description = "The gateway's YAML configuration (reference: conf/gateway.yaml)")
    Path config;

    /** Completed once the gateway listens; closing it ends the command (tests use both). */
    final CompletableFuture<GatewayServer> started = new CompletableFuture<>();

    @Override
    public Integer call() throws Exception {
        GatewayServer server;
        try {
            ConfigLoader loader = ConfigLoader.withSystemEnv();
            GatewayConfig c = loader.load(config);
            Logging.configure(c.log());
            for (String w : ConfigWarnings.of(c)) {
                LoggerFactory.getLogger(RunCommand.class).warn("config: {}", w);
            }
            // SIGHUP and POST /reload read the file again
            server = GatewayServer.start(c, Clock.systemUTC(), null, () -> loader.load(config));
            server.reloadOnSighup();
        } catch (Exception e) {
            started.completeExceptionally(e);
            throw e;
        }
        // one shutdown hook, in order: the graceful stop, then the last log lines flushed
        server.stopAtShutdown(false);
        GatewayServer running = server;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                running.close();
            } catch (Exception e) {
                LoggerFactory.getLogger(RunCommand.class).warn("stopping: {}", e.toString());
            } finally {
                Logging.stop();
            }
        }, "streamgate-shutdown"));
        started.complete(server);
        server.join();
        return Main.OK;
    }
}
