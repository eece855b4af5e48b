package io.streamgate.gateway.cli;

import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import io.streamgate.filters.Authorizer;
import io.streamgate.filters.metrics.StreamGateMetrics;
import io.streamgate.gateway.config.ConfigLoader;
import io.streamgate.gateway.config.GatewayConfig;
import io.streamgate.gateway.server.AuthSetup;

/** {@code check-config}: exit 0 when valid; otherwise exit 2 and one line per problem naming the key. */
@Command(name = "check-config", mixinStandardHelpOptions = true,
        description = "Validate a configuration file (keys included). Exit 0 when valid, else 2 with one line per problem.")
final class CheckConfigCommand implements Callable<Integer> {
    @Option(names = "--config", required = true)
    Path config;

    @Override
    public Integer call() {
        GatewayConfig c = ConfigLoader.withSystemEnv().load(config);
        try (Authorizer a = AuthSetup.build(c, StreamGateMetrics.noop(), Clock.systemUTC(), false)) {
            System.out.println("config OK: " + c.routes().size() + " routes, " + c.keys().size() + " key sources ("
                    + a.keys().size() + " static keys loaded)");
        }
        return Main.OK;
    }
}
