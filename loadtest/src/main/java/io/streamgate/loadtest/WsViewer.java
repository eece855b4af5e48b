package io.streamgate.loadtest;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.eclipse.jetty.websocket.client.WebSocketClient;

/**
 * One WebSocket viewer of {@link WsViewersScenario}. Public because Jetty's WebSocket client
 * reaches listener methods through method handles.
 */
public final class WsViewer implements Session.Listener.AutoDemanding {
    private final LoadRun run;
    private final WebSocketClient client;
    private final Recorder r;
    private final URI uri;
    private final String token;
    private final List<String> subprotocols;
    private final LongAdder frames;
    private final LongAdder open;
    private volatile Session session;
    private volatile boolean closing;
    private volatile boolean errorCounted;
    private long t0;

    WsViewer(LoadRun run, WebSocketClient client, Recorder r, URI uri, String token, List<String> subprotocols) {
        this.run = run;
        this.client = client;
        this.r = r;
        this.uri = uri;
        this.token = token;
        this.subprotocols = subprotocols;
        this.frames = r.counter("frames");
        this.open = r.counter("open_sessions");
    }

    void connect() {
        if (!run.running() || !r.tryIssue()) {
            return;
        }
        URI target = run.placement.applyToUri(uri, token);
        ClientUpgradeRequest upgrade = new ClientUpgradeRequest(target);
        upgrade.setTimeout(run.timeout.toMillis(), TimeUnit.MILLISECONDS);
        run.placement.apply(upgrade, token, subprotocols);
        t0 = System.nanoTime();
        run.inFlight.incrementAndGet();
        try {
            client.connect(this, upgrade).whenComplete((s, failure) -> {
                run.inFlight.decrementAndGet();
                if (failure != null) {
                    long latency = LoadRun.micros(t0);
                    int status = WsViewersScenario.upgradeStatus(failure);
                    if (status > 0) {
                        r.recordStatus(status, latency);
                    } else {
                        r.recordFailure(LoadRun.classify(failure), latency);
                    }
                }
            });
        } catch (Exception e) {
            run.inFlight.decrementAndGet();
            r.recordFailure(LoadRun.classify(e), -1);
        }
    }

    @Override
    public void onWebSocketOpen(Session s) {
        session = s;
        open.increment();
        r.recordStatus(101, LoadRun.micros(t0));
        if (closing) {
            s.close(1000, "done", Callback.NOOP);
        }
    }

    @Override
    public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
        frames.increment();
        r.addBytes(payload.remaining());
        callback.succeed();
    }

    @Override
    public void onWebSocketText(String message) {
        frames.increment();
        r.addBytes(message.getBytes(StandardCharsets.UTF_8).length);
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        if (session != null && !closing && !errorCounted) {
            errorCounted = true;
            r.recordError("ws_" + LoadRun.classify(cause));
        }
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason, Callback callback) {
        callback.succeed();
        boolean wasOpen = session != null;
        if (wasOpen) {
            open.decrement();
            session = null;
        }
        if (wasOpen && !closing && !errorCounted) {
            errorCounted = true;
            r.recordError("closed_" + statusCode);
        }
    }

    /**
     * Until the close handshake has completed ({@link #onWebSocketClose}). Not
     * {@code Session.isOpen()}: that is false as soon as our own close is sent, so the report
     * was built before the server's close reply and counted those sessions as still open.
     */
    boolean isOpen() {
        return session != null;
    }

    void close() {
        closing = true;
        Session s = session;
        if (s != null && s.isOpen()) {
            s.close(1000, "done", Callback.NOOP);
        }
    }
}
