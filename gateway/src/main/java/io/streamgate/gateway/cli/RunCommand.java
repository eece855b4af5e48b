package io.streamgate.gateway.cli;

import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import io.streamgate.gateway.config.ConfigLoader;
import io.streamgate.gateway.config.GatewayConfig;
import io.streamgate.gateway.server.GatewayServer;

/** {@code run --config FILE}: the production mode. */
@Command(name = "run", mixinStandardHelpOptions = true, description = "Run the gateway with a configuration file.")
final class RunCommand implements Callable<Integer> {
    @Option(names = "--config", required = true)
    Path config;

    @Override
    public Integer call() throws Exception {
        ConfigLoader loader = ConfigLoader.withSystemEnv();
        GatewayConfig c = loader.load(config);
        // SIGHUP and POST /reload read the file again
        GatewayServer server = GatewayServer.start(c, Clock.systemUTC(), null, () -> loader.load(config));
        server.reloadOnSighup();
        server.join();
        return Main.OK;
    }
}
