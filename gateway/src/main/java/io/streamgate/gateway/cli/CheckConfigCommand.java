package io.streamgate.gateway.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import io.streamgate.filters.Authorizer;
import io.streamgate.filters.core.ConfigException;
import io.streamgate.filters.crypto.CryptoProvider;
import io.streamgate.filters.crypto.SignatureVerifier;
import io.streamgate.filters.keys.KeyRegistry;
import io.streamgate.filters.metrics.StreamGateMetrics;
import io.streamgate.gateway.config.ConfigFiles;
import io.streamgate.gateway.config.ConfigLoader;
import io.streamgate.gateway.config.ConfigWarnings;
import io.streamgate.gateway.config.GatewayConfig;
import io.streamgate.gateway.runtime.AuthSetup;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code check-config}: exit 0 when valid; otherwise exit 2 and one line per problem naming the
 * key. Structural problems and key-file contents are reported in one pass; warnings (valid but
 * probably not meant) print as {@code warning: KEY: ...} and leave the exit code 0.
 */
@Command(name = "check-config", mixinStandardHelpOptions = true,
        description = "Validate a configuration file (keys included). Exit 0 when valid, else 2 with one line per problem.")
final class CheckConfigCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, paramLabel = "FILE",
            description = "The gateway's YAML configuration to check (nothing is connected to)")
    Path config;

    @Override
    public Integer call() {
        ConfigLoader.Checked checked = ConfigLoader.withSystemEnv().check(config);
        List<String> problems = new ArrayList<>(checked.problems());
        CryptoProvider crypto = checked.config() == null ? CryptoProvider.AUTO : checked.config().crypto();
        problems.addAll(keyProblems(checked.keys(), crypto));
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        GatewayConfig c = checked.config();
        try (Authorizer a = AuthSetup.build(c, StreamGateMetrics.noop(), Clock.systemUTC(), false)) {
            for (String w : ConfigWarnings.of(c)) {
                System.err.println("warning: " + w);
            }
            System.out.println("config OK: " + c.routes().size() + " routes, " + c.keys().size() + " key sources ("
                    + a.keys().size() + " static keys loaded)");
        }
        return Main.OK;
    }

    /** The contents of every readable key file (an unreadable one is already a structural problem). */
    static List<String> keyProblems(List<GatewayConfig.KeySource> keys, CryptoProvider crypto) {
        KeyRegistry.Builder b = KeyRegistry.builder(SignatureVerifier.select(crypto));
        boolean any = false;
        for (GatewayConfig.KeySource k : keys) {
            if (k.file() == null || !Files.isReadable(k.file())) {
                continue;
            }
            try {
                // bounded, as the gateway reads it: a key file pointing at /dev/zero is a problem, not an OutOfMemoryError
                b.addStatic(ConfigFiles.readKey(k.file(), k.path() + ".file"), k.kid(), k.path());
                any = true;
            } catch (ConfigException e) {
                return e.problems();
            }
        }
        if (!any) {
            return List.of();
        }
        try (KeyRegistry r = b.build()) {
            return List.of();
        } catch (ConfigException e) {
            return e.problems();
        }
    }
}
