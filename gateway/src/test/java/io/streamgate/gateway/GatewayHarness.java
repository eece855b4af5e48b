package io.streamgate.gateway;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

import io.streamgate.filters.testing.TestKeys;
import io.streamgate.gateway.config.ConfigLoader;
import io.streamgate.gateway.config.GatewayConfig;
import io.streamgate.gateway.runtime.GatewayServer;

/** Starts a gateway from YAML on ephemeral loopback ports for tests. */
public final class GatewayHarness {
    private GatewayHarness() {
    }

    /**
     * Writes {@code key}'s public PEM as {@code key.pem} beside the config and starts the
     * gateway; the YAML should contain {@code keys: [{kid: ..., file: key.pem}]} and use
     * {@code listen: {host: 127.0.0.1, port: 0}}.
     */
    public static GatewayServer start(Path dir, TestKeys key, String yaml, Clock clock) throws Exception {
        Files.writeString(dir.resolve("key.pem"), key.publicPem());
        GatewayConfig config = new ConfigLoader(System::getenv).parse(yaml, dir);
        return GatewayServer.start(config, clock);
    }

    /**
     * Writes {@code yaml} as {@code gateway.yaml} in {@code dir} and starts the gateway from that
     * file, as {@code run --config} does: {@code SIGHUP}-style reloads ({@code POST /reload},
     * {@link GatewayServer#reload}) read the file again. Key files are the caller's to write.
     */
    public static GatewayServer startFromFile(Path dir, String yaml, Clock clock) throws Exception {
        Path file = dir.resolve("gateway.yaml");
        Files.writeString(file, yaml);
        ConfigLoader loader = new ConfigLoader(System::getenv);
        return GatewayServer.start(loader.load(file), clock, null, () -> loader.load(file));
    }

    /**
     * The common head of a test config: loopback, ephemeral port, the admin listener on the
     * given port (0: one the system picks, read back with {@link GatewayServer#adminPort()}).
     */
    public static String head(TestKeys key, int adminPort) {
        return "listen: {host: 127.0.0.1, port: 0}\nwarmup: {verifications: 0}\n"
                + "admin: {host: 127.0.0.1, port: " + adminPort + "}\n"
                + "keys: [{kid: " + key.kid() + ", file: key.pem}]\n";
    }

}
