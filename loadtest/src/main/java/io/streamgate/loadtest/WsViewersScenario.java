package io.streamgate.loadtest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.eclipse.jetty.client.HttpResponseException;
import org.eclipse.jetty.websocket.api.exceptions.UpgradeException;
import org.eclipse.jetty.websocket.client.WebSocketClient;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ws-viewers}: N WebSocket viewers per target open a session (token in the query by
 * default, or {@code --token-in websocket-protocol} / a header), hold it for the duration and
 * count the frames and bytes they receive. The latency recorded is the handshake (connect to
 * open); a refused upgrade counts under its HTTP status, a session the server closes early
 * under {@code closed_<code>}. Throughput is frames per second.
 */
@Command(name = "ws-viewers", mixinStandardHelpOptions = true,
        description = "N WebSocket viewers per target holding sessions, counting frames and bytes.")
final class WsViewersScenario extends Scenario {
    @Option(names = "--viewers", paramLabel = "N", defaultValue = "10",
            description = "Sessions per target (default ${DEFAULT-VALUE}).")
    int viewers;

    @Option(names = "--ramp", paramLabel = "D", defaultValue = "1s",
            description = "Spread the connects over this long (default ${DEFAULT-VALUE}).")
    String ramp;

    @Option(names = "--subprotocol", paramLabel = "P", split = ",",
            description = "Sec-WebSocket-Protocol entries to offer, e.g. h5live.")
    List<String> subprotocols = new ArrayList<>();

    @Override
    Duration defaultDuration() {
        return Duration.ofSeconds(30);
    }

    @Override
    void drive(LoadRun run) throws Exception {
        positive("--viewers", viewers);
        Duration rampTime = CommonOptions.parseOrZero("--ramp", ramp);
        int k = run.targets.size();
        int total = Math.multiplyExact(viewers, k);
        run.parameters.put("viewersPerTarget", viewers);
        run.parameters.put("ramp", ramp);
        run.throughput("frames/s", r -> r.count("frames"));
        WebSocketClient client = run.webSockets();
        List<String> tokens = run.tokens.take(total);
        List<WsViewer> all = new ArrayList<>(total);
        for (int j = 0; j < total; j++) {
            Target t = run.targets.get(j % k);
            all.add(new WsViewer(run, client, run.recorders.get(j % k), t.wsUri(), tokens.get(j), subprotocols));
        }
        run.start();
        for (int j = 0; j < total; j++) {
            long delay = rampTime.toNanos() * j / total;
            run.timer.schedule(all.get(j)::connect, delay, TimeUnit.NANOSECONDS);
        }
        run.awaitDeadline();
        run.stop();
        for (WsViewer v : all) {
            v.close();
        }
        run.awaitIdle(run.timeout.plus(Duration.ofSeconds(1)));
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (all.stream().anyMatch(WsViewer::isOpen) && System.nanoTime() < end) {
            LockSupport.parkNanos(10_000_000L);
        }
    }

    /** The HTTP status of a refused upgrade, or 0. */
    static int upgradeStatus(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            int s = 0;
            if (t instanceof UpgradeException u) {
                s = u.getResponseStatusCode();
            } else if (t instanceof org.eclipse.jetty.websocket.core.exception.UpgradeException u) {
                s = u.getResponseStatusCode();
            } else if (t instanceof HttpResponseException h && h.getResponse() != null) {
                s = h.getResponse().getStatus();
            }
            if (s > 0) {
                return s;
            }
        }
        return 0;
    }
}
