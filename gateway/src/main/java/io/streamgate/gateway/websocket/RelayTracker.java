package io.streamgate.gateway.websocket;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import org.eclipse.jetty.util.component.Graceful;

import io.streamgate.filters.metrics.StreamGateMetrics;
import io.streamgate.filters.session.Revocation;
import io.streamgate.filters.session.RevocationIndex;
import io.streamgate.filters.session.SessionListener;
import io.streamgate.filters.session.SessionState;

/**
 * The relayed sessions a gateway holds, so that a graceful stop can close each with 1001
 * (websocket-core sessions are not tracked by Jetty's container), and so that a revocation or
 * an ended session, at this replica or another, closes the matching sessions with 1008. It is
 * a bean of the server: {@code Server.stop()} calls {@link #shutdown()}, whose future
 * completes once every session has finished or the server's stop timeout runs out.
 */
public final class RelayTracker implements Graceful, SessionListener {
    private final Set<WebSocketRelay> relays = ConcurrentHashMap.newKeySet();
    private final Map<String, WebSocketRelay> bySid = new ConcurrentHashMap<>();
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private final java.time.Clock clock;
    private final StreamGateMetrics metrics;
    private volatile boolean shutdown;

    public RelayTracker() {
        this(java.time.Clock.systemUTC(), StreamGateMetrics.noop());
    }

    public RelayTracker(java.time.Clock clock, StreamGateMetrics metrics) {
        this.clock = clock;
        this.metrics = metrics;
    }

    void add(WebSocketRelay relay) {
        relays.add(relay);
        ViewerSession s = relay.session();
        if (s != null && s.sid() != null) {
            bySid.put(s.sid(), relay);
        }
        if (shutdown) {
            relay.shutdown(); // opened while stopping
        }
    }

    void remove(WebSocketRelay relay) {
        relays.remove(relay);
        ViewerSession s = relay.session();
        if (s != null && s.sid() != null) {
            bySid.remove(s.sid(), relay);
        }
        if (shutdown && relays.isEmpty()) {
            drained.complete(null);
        }
    }

    /** Ends every relayed session the new revocation matches (1008 {@code revoked}). */
    @Override
    public void revocationAdded(Revocation r) {
        long now = clock.millis();
        if (r.kind() == Revocation.Kind.SID) {
            WebSocketRelay relay = bySid.get(r.value());
            ViewerSession s = relay == null ? null : relay.session();
            if (s != null && RevocationIndex.matches(r, s.iss(), s.sub(), s.jti(), s.sid(), s.iat(), now)) {
                end(relay, "revoked", true);
            }
            return;
        }
        for (WebSocketRelay relay : relays) {
            ViewerSession s = relay.session();
            if (s != null && RevocationIndex.matches(r, s.iss(), s.sub(), s.jti(), s.sid(), s.iat(), now)) {
                end(relay, "revoked", true);
            }
        }
    }

    /** Ends the relayed session that ended elsewhere: 1008 {@code revoked} or {@code session_limit}. */
    @Override
    public void sessionEnded(String sid, SessionState state) {
        WebSocketRelay relay = bySid.get(sid);
        if (relay != null && state != SessionState.ENDED) {
            end(relay, state.denial().code(), false);
        }
    }

    private void end(WebSocketRelay relay, String reason, boolean record) {
        ViewerSession s = relay.session();
        if (record && s != null && s.renewals() != null && s.sid() != null) {
            s.renewals().end(s.sid(), SessionState.REVOKED); // for good: a lifted revocation revives nothing
        }
        relay.revoke(reason);
        metrics.revocationApplied("websocket", !"revoked".equals(reason));
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
