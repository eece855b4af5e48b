package io.streamgate.demo;

import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import io.streamgate.gateway.cli.Main;
import io.streamgate.origin.DemoOrigin;

/**
 * {@code origin [--host H] [--port N]}: the demo's synthetic live origin alone, for a gateway
 * run elsewhere (the docker-compose stack). It serves {@code /live/<name>/master.m3u8} (HLS),
 * {@code /h5live/stream} (WebSocket) and {@code /public/status}, without any authorisation:
 * keep it behind the gateway.
 */
@Command(name = "origin", mixinStandardHelpOptions = true,
        description = "Run the demo's synthetic live origin alone (no authorisation; keep it behind the gateway): "
                + "HLS at /live/<name>/master.m3u8, a WebSocket stream at /h5live/stream, /public/status.")
public final class OriginCommand implements Callable<Integer> {
    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--port", defaultValue = "8180", description = "Port (default ${DEFAULT-VALUE}; 0: any free port)")
    int port;

    /** Completed once the origin listens; closing it ends the command (tests use both). */
    public final CompletableFuture<DemoOrigin> started = new CompletableFuture<>();

    @Override
    public Integer call() throws Exception {
        DemoOrigin origin;
        try {
            origin = DemoOrigin.start(host, port, Clock.systemUTC());
        } catch (Exception e) {
            started.completeExceptionally(e);
            throw e;
        }
        Thread hook = new Thread(() -> {
            try {
                origin.close();
            } catch (Exception ignored) {
                // exiting anyway
            }
        }, "origin-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            System.out.println("origin listening on http://" + host + ":" + origin.port()
                    + "  (HLS /live/<name>/master.m3u8, WebSocket /h5live/stream, /public/status)");
            started.complete(origin);
            origin.join();
        } finally {
            origin.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is exiting: the hook runs or has run
            }
        }
        return Main.OK;
    }
}
