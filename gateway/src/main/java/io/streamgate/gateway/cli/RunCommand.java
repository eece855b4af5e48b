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
        GatewayConfig c = ConfigLoader.withSystemEnv().load(config);
        GatewayServer server = GatewayServer.start(c, Clock.systemUTC());
        server.join();
        return Main.OK;
    }
}
