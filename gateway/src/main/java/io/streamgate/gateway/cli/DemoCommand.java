package io.streamgate.gateway.cli;

import java.time.Clock;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import io.streamgate.gateway.demo.Demo;

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
        Demo demo = Demo.start(port, adminPort, Clock.systemUTC());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                demo.close();
            } catch (Exception ignored) {
                // exiting anyway
            }
        }));
        demo.printWelcome(System.out);
        demo.gateway().join();
        return Main.OK;
    }
}
