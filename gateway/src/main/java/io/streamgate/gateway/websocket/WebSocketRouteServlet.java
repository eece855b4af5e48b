package io.streamgate.gateway.websocket;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.CloseStatus;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.FrameHandler;
import org.eclipse.jetty.websocket.core.client.CoreClientUpgradeRequest;
import org.eclipse.jetty.websocket.core.client.WebSocketCoreClient;
import org.eclipse.jetty.websocket.core.server.ServerUpgradeRequest;
import org.eclipse.jetty.websocket.core.server.ServerUpgradeResponse;
import org.eclipse.jetty.websocket.core.server.WebSocketMappings;
import org.eclipse.jetty.websocket.core.server.WebSocketNegotiator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.streamgate.filters.ClientAddress;
import io.streamgate.filters.DenialReason;
import io.streamgate.filters.metrics.StreamGateMetrics;
import io.streamgate.filters.replay.ReplayGuard;
import io.streamgate.filters.replay.ReplayMode;
import io.streamgate.filters.Verdict;
import io.streamgate.filters.servlet.DenialResponse;
import io.streamgate.filters.token.TokenExtractor;
import io.streamgate.filters.verify.Claims;
import io.streamgate.gateway.config.GatewayConfig;
import io.streamgate.gateway.metrics.GatewayMetrics;
import io.streamgate.gateway.proxy.ProxiedRequest;

/**
 * A {@code websocket} route. Runs after the auth filter, so a request reaching it is
 * authorised (a denied upgrade got its HTTP status from the filter, never a 101). It then
 * connects to the origin first — offering the viewer's subprotocols with the token entry
 * removed — and only when the origin accepted answers the viewer's upgrade, selecting the
 * origin's subprotocol (else the first other entry), never the token. An origin that is down
 * or too slow gives a 502/504 JSON denial instead of a 101 followed by a close.
 *
 * <p>Both legs use websocket-core ({@link WebSocketMappings} to upgrade, {@link WebSocketCoreClient}
 * to connect), which keeps no upgrade request once the session is open (see {@link WebSocketRelay}).
 * The viewer's leg declines every extension: permessage-deflate, which browsers offer, would cost
 * a zlib context (about 116 KB of native memory) per session and CPU to recompress media that is
 * compressed already.
 */
public final class WebSocketRouteServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(WebSocketRouteServlet.class);

    private final transient GatewayConfig.Route route;
    private final transient GatewayConfig.Proxy settings;
    private final transient java.util.List<io.streamgate.filters.token.TokenSource> strip;
    private final transient ClientAddress trust;
    private final transient GatewayMetrics metrics;
    private final transient WebSocketMappings upgrades;
    private final transient WebSocketCoreClient client;
    private final transient RelayTracker tracker;
    private final transient ScheduledExecutorService scheduler;
    private final transient ReplayGuard replay;
    private final transient StreamGateMetrics decisions;

    public WebSocketRouteServlet(GatewayConfig.Route route, GatewayConfig.Proxy settings, java.util.List<io.streamgate.filters.token.TokenSource> strip,
                                 ClientAddress trust, GatewayMetrics metrics, WebSocketMappings upgrades,
                                 WebSocketCoreClient client, RelayTracker tracker,
                                 ScheduledExecutorService scheduler, ReplayGuard replay, StreamGateMetrics decisions) {
        this.route = route;
        this.settings = settings;
        this.strip = strip;
        this.trust = trust;
        this.metrics = metrics;
        this.upgrades = upgrades;
        this.client = client;
        this.tracker = tracker;
        this.scheduler = scheduler;
        this.replay = replay;
        this.decisions = decisions;
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!"websocket".equalsIgnoreCase(req.getHeader("Upgrade"))) {
            resp.setStatus(426);
            resp.setHeader("Upgrade", "websocket");
            resp.setContentType("text/plain");
            resp.getWriter().write("this route accepts WebSocket upgrades only\n");
            return;
        }
        // replay.mode limit: this connection is a session and needs one of the token's leases.
        Verdict verdict = ProxiedRequest.verdict(req);
        SessionLease lease = null;
        if (verdict != null && replay.mode() == ReplayMode.LIMIT) {
            lease = new SessionLease(replay, verdict.token().claims(), scheduler);
            DenialReason refused = lease.acquire();
            if (refused != null) {
                decisions.route(route.name()).denied(refused);
                DenialResponse.write(req, resp, refused);
                return;
            }
        }
        SessionLease held = lease;
        ServletContextRequest scr = ServletContextRequest.getServletContextRequest(req);
        DenialReason[] failure = new DenialReason[1];
        WebSocketRelay[] relayRef = new WebSocketRelay[1];
        WebSocketNegotiator negotiator = new WebSocketNegotiator.AbstractNegotiator() {
            @Override
            public FrameHandler negotiate(ServerUpgradeRequest upReq, ServerUpgradeResponse upResp, Callback cb) {
                WebSocketRelay relay = newRelay(req, held);
                relayRef[0] = relay;
                DenialReason f = connectUpstream(req, upResp, relay);
                if (f != null) {
                    failure[0] = f;
                    upResp.setStatus(f.status());
                    cb.succeeded();
                    return null;
                }
                upResp.setExtensions(List.of());
                return relay.downstream;
            }
        };
        boolean handled;
        try (Blocker.Callback blocker = Blocker.callback()) {
            handled = upgrades.upgrade(negotiator, scr, scr.getServletContextResponse(), blocker, null);
            if (handled) {
                blocker.block();
            }
        } catch (IOException | RuntimeException | Error e) {
            abandon(relayRef[0], held); // e.g. the viewer hung up while the origin's handshake was under way
            throw e;
        }
        if (failure[0] != null && !resp.isCommitted()) {
            DenialResponse.write(req, resp, failure[0]);
        } else if (!handled && !resp.isCommitted()) {
            resp.sendError(400);
        }
        if (resp.getStatus() != 101) {
            abandon(relayRef[0], held); // the session never started
        }
    }

    /** Ends a session that never started: the origin's leg dropped, the lease released. */
    private static void abandon(WebSocketRelay relay, SessionLease held) {
        if (relay != null && relay.downstream.session == null) {
            relay.abandon(); // finishes the relay, which releases its lease
        } else if (relay == null && held != null) {
            held.release();
        }
    }

    private WebSocketRelay newRelay(HttpServletRequest req, SessionLease lease) {
        Verdict v = ProxiedRequest.verdict(req);
        long closeAt = Long.MAX_VALUE;
        if (route.onExpiry() == GatewayConfig.OnExpiry.CLOSE && v != null && v.token().claims().exp() != Claims.ABSENT) {
            closeAt = v.token().claims().exp() * 1000;
        }
        metrics.websocketOpened(route.name());
        return new WebSocketRelay(metrics.websocketSessions(route.name()),
                metrics.relayedBytes(route.name(), "downstream"), metrics.relayedBytes(route.name(), "upstream"),
                closeAt, scheduler, route.idleTimeout(), route.maxMessageSize(), lease, tracker);
    }

    /** Connects to the origin (bounded by the connect timeout); null on success, else the denial. */
    private DenialReason connectUpstream(HttpServletRequest req, ServerUpgradeResponse upResp, WebSocketRelay relay) {
        List<String> offered = TokenExtractor.stripProtocols(Collections.list(req.getHeaders("Sec-WebSocket-Protocol")));
        URI target = URI.create(ProxiedRequest.target(route.upstream().toString(), route.path(), req, strip));
        CoreClientUpgradeRequest request = CoreClientUpgradeRequest.from(client, target, relay.upstream);
        if (!offered.isEmpty()) {
            request.setSubProtocols(offered);
        }
        for (String name : Collections.list(req.getHeaderNames())) {
            String lower = name.toLowerCase(java.util.Locale.ROOT);
            if (lower.startsWith("sec-websocket-") || lower.equals("host") || lower.equals("content-length")
                    || ProxiedRequest.dropHeader(name, req, route.claimHeaders(), strip)) {
                continue;
            }
            List<String> values = new ArrayList<>();
            for (String value : Collections.list(req.getHeaders(name))) {
                if (lower.equals("cookie")) {
                    value = ProxiedRequest.cookie(value, req, strip);
                }
                if (value != null) {
                    values.add(value);
                }
            }
            if (!values.isEmpty()) {
                request.headers(h -> h.put(name, values));
            }
        }
        String forwardedFor = ProxiedRequest.forwardedFor(req, trust);
        String host = req.getHeader("Host");
        request.headers(h -> {
            h.put("X-Forwarded-For", forwardedFor);
            h.put("X-Forwarded-Proto", req.isSecure() ? "https" : "http");
            if (host != null) {
                h.put("X-Forwarded-Host", host);
            }
            ProxiedRequest.claimHeaders(ProxiedRequest.verdict(req), route.claimHeaders(), h::put);
        });
        // The origin must answer the handshake within the connect timeout: this holds a servlet
        // thread (never a selector thread), so it is kept short and bounded.
        long timeout = settings.connectTimeout().toMillis();
        request.timeout(timeout, TimeUnit.MILLISECONDS);
        long start = System.nanoTime();
        java.util.concurrent.atomic.AtomicBoolean gaveUp = new java.util.concurrent.atomic.AtomicBoolean();
        CoreSession up;
        java.util.concurrent.CompletableFuture<CoreSession> connecting;
        try {
            connecting = client.connect(request);
        } catch (IOException | RuntimeException e) {
            metrics.upstream(route.name(), 0, System.nanoTime() - start);
            return DenialReason.UPSTREAM_UNAVAILABLE;
        }
        // A session that opens after we gave up is closed at once, never left dangling.
        connecting.whenComplete((late, e) -> {
            if (late != null && gaveUp.get()) {
                late.close(CloseStatus.NORMAL, "gateway gave up", Callback.NOOP);
            }
        });
        try {
            up = connecting.get(timeout, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            gaveUp.set(true);
            connecting.cancel(true);
            metrics.upstream(route.name(), 0, System.nanoTime() - start);
            return DenialReason.UPSTREAM_TIMEOUT;
        } catch (InterruptedException e) {
            gaveUp.set(true);
            Thread.currentThread().interrupt();
            return DenialReason.UPSTREAM_UNAVAILABLE;
        } catch (ExecutionException | RuntimeException e) {
            gaveUp.set(true);
            metrics.upstream(route.name(), 0, System.nanoTime() - start);
            Throwable c = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            LOG.debug("route {}: upstream WebSocket connect failed: {}", route.name(), c.toString());
            return c instanceof TimeoutException || c instanceof java.net.SocketTimeoutException
                    ? DenialReason.UPSTREAM_TIMEOUT : DenialReason.UPSTREAM_UNAVAILABLE;
        }
        metrics.upstream(route.name(), 101, System.nanoTime() - start);
        String chosen = up.getNegotiatedSubProtocol();
        if (chosen == null && !offered.isEmpty()) {
            chosen = offered.get(0);
        }
        if (chosen != null) {
            upResp.setAcceptedSubProtocol(chosen);
        }
        return null;
    }
}
