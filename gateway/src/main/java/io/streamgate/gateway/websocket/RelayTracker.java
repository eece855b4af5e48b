package io.streamgate.gateway.websocket;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import org.eclipse.jetty.util.component.Graceful;

/**
 * The relayed sessions a gateway holds, so that a graceful stop can close each with 1001
 * (websocket-core sessions are not tracked by Jetty's container). Registered as a bean of the
 * server: {@code Server.stop()} calls {@link #shutdown()}, whose future completes once every
 * session has finished or the server's stop timeout runs out.
 */
public final class RelayTracker implements Graceful {
    private final Set<WebSocketRelay> relays = ConcurrentHashMap.newKeySet();
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private volatile boolean shutdown;

    void add(WebSocketRelay relay) {
        relays.add(relay);
        if (shutdown) {
            relay.shutdown(); // opened while stopping
        }
    }

    void remove(WebSocketRelay relay) {
        relays.remove(relay);
        if (shutdown && relays.isEmpty()) {
            drained.complete(null);
        }
    }

    /**
     * Ends every relayed session a new revocation index matches: 1008 with {@code revoked}, or
     * {@code session_limit} for an eviction; returns how many.
     */
    public int apply(io.streamgate.filters.session.RevocationIndex index, long nowMillis,
                     io.streamgate.filters.metrics.StreamGateMetrics metrics) {
        int ended = 0;
        for (WebSocketRelay relay : relays) {
            ViewerSession s = relay.session();
            io.streamgate.filters.session.Revocation r = s == null ? null : s.revokedBy(index, nowMillis);
            if (r != null) {
                relay.revoke(r.isEviction() ? io.streamgate.filters.session.Revocation.SESSION_LIMIT : "revoked");
                metrics.revocationApplied("websocket", r.isEviction());
                ended++;
            }
        }
        return ended;
    }

    @Override
    public CompletableFuture<Void> shutdown() {
        shutdown = true;
        relays.forEach(WebSocketRelay::shutdown);
        if (relays.isEmpty()) {
            drained.complete(null);
        }
        return drained;
    }

    @Override
    public boolean isShutdown() {
        return shutdown;
    }
}
