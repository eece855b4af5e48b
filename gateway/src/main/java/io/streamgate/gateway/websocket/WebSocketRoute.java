package io.streamgate.gateway.websocket;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
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

import io.streamgate.filters.Verdict;
import io.streamgate.filters.core.DenialReason;
import io.streamgate.filters.replay.Admission;
import io.streamgate.filters.replay.ReplayGuard;
import io.streamgate.filters.session.SessionRecord;
import io.streamgate.filters.session.Sessions;
import io.streamgate.filters.token.TokenExtractor;
import io.streamgate.filters.verify.Claims;
import io.streamgate.gateway.config.GatewayConfig;
import io.streamgate.gateway.edge.Answers;
import io.streamgate.gateway.edge.Authorization;
import io.streamgate.gateway.edge.Exchange;
import io.streamgate.gateway.edge.RouteHandler;
import io.streamgate.gateway.logging.AccessLog;
import io.streamgate.gateway.metrics.GatewayMetrics;
import io.streamgate.gateway.proxy.UpstreamRequest;

/**
 * A {@code websocket} route, on the core API end to end: authorise before the upgrade (a
 * denial is an HTTP status, never a 101), then connect to the origin asynchronously —
 * offering the viewer's subprotocols without the token entry, no thread waits for the
 * origin's handshake — and only when the origin answered {@code 101} upgrade the viewer,
 * selecting the origin's subprotocol (else the first other entry), never the token. An
 * origin that is down or silent is a {@code 502}/{@code 504} JSON denial, never a 101
 * followed by a close. The admission is committed once the origin's 101 and the viewer's are
 * both out, released otherwise.
 *
 * <p>The viewer's leg declines every extension: permessage-deflate, which browsers offer,
 * would cost a zlib context (about 116 KB of native memory) per session and CPU to
 * recompress media that is compressed already.
 */
public final class WebSocketRoute implements RouteHandler {
    private static final Logger LOG = LoggerFactory.getLogger(WebSocketRoute.class);
    private static final byte[] UPGRADE_ONLY = "this route accepts WebSocket upgrades only\n".getBytes(StandardCharsets.UTF_8);

    private final GatewayConfig.Route route;
    private final long connectTimeoutMillis;
    private final UpstreamRequest upstream;
    private final GatewayMetrics metrics;
    private final WebSocketMappings upgrades;
    private final WebSocketCoreClient client;
    private final RelayTracker tracker;
    private final ScheduledExecutorService scheduler;
    private final ReplayGuard replay;
    private final Authorization authorization;
    private final Executor executor;
    private final java.time.Clock clock;
    private final AccessLog accessLog;

    /**
     * @param authorization null on an {@code auth: none} route
     * @param accessLog     where an ended session's line goes
     */
    public WebSocketRoute(GatewayConfig.Route route, long connectTimeoutMillis, UpstreamRequest upstream,
                          GatewayMetrics metrics, WebSocketMappings upgrades, WebSocketCoreClient client,
                          RelayTracker tracker, ScheduledExecutorService scheduler, ReplayGuard replay,
                          Authorization authorization, Executor executor, java.time.Clock clock, AccessLog accessLog) {
        this.accessLog = accessLog;
        this.route = route;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.upstream = upstream;
        this.metrics = metrics;
        this.upgrades = upgrades;
        this.client = client;
        this.tracker = tracker;
        this.scheduler = scheduler;
        this.replay = replay;
        this.authorization = authorization;
        this.executor = executor;
        this.clock = clock;
    }

    @Override
    public void handle(Exchange ex, Request request, Response response, Callback callback) {
        if (!"websocket".equalsIgnoreCase(request.getHeaders().get(HttpHeader.UPGRADE))) {
            // A plain GET (a link preview) is answered without authorising: it must not
            // consume a one-time token before the player's upgrade.
            response.setStatus(426);
            response.getHeaders().put(HttpHeader.UPGRADE, "websocket");
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
            response.write(true, ByteBuffer.wrap(UPGRADE_ONLY), callback);
            return;
        }
        if (!upgrades.getHandshaker().isWebSocketUpgradeRequest(request)) {
            Answers.deny(request, response, callback, DenialReason.MALFORMED_REQUEST, ex.requestId());
            return;
        }
        if (authorization == null) {
            connect(ex, request, response, callback);
        } else {
            authorization.authorize(ex, request, response, callback, this::connect);
        }
    }

    private void connect(Exchange ex, Request request, Response response, Callback callback) {
        Verdict verdict = ex.verdict();
        Admission admission = verdict == null ? Admission.NONE : verdict.admission();
        WebSocketRelay[] holder = new WebSocketRelay[1];
        SessionLease lease = verdict != null && admission.leaseId() != null
                ? new SessionLease(replay, () -> holder[0] == null || holder[0].capMillis() == Long.MAX_VALUE
                        ? Claims.ABSENT : holder[0].capMillis() / 1000, admission, scheduler) : null;
        List<String> offered = TokenExtractor.stripProtocols(
                request.getHeaders().getValuesList(HttpHeader.SEC_WEBSOCKET_SUBPROTOCOL));
        URI target;
        try {
            target = URI.create(upstream.target(ex.path(), request.getHttpURI().getQuery()));
        } catch (IllegalArgumentException e) {
            admission.release();
            Answers.deny(request, response, callback, DenialReason.MALFORMED_REQUEST, ex.requestId());
            return;
        }
        WebSocketRelay relay = newRelay(ex, request, verdict, lease);
        holder[0] = relay;
        CoreClientUpgradeRequest up = CoreClientUpgradeRequest.from(client, target, relay.upstream);
        if (!offered.isEmpty()) {
            up.setSubProtocols(offered);
        }
        up.headers(h -> {
            upstream.copyHeaders(request, h, true);
            if (verdict != null) {
                upstream.claimHeaders(verdict.token().claims(), h);
            }
        });
        up.timeout(connectTimeoutMillis, TimeUnit.MILLISECONDS);
        long start = System.nanoTime();
        CompletableFuture<CoreSession> connecting;
        try {
            connecting = client.connect(up);
        } catch (Exception e) {
            connecting = CompletableFuture.failedFuture(e);
        }
        // The viewer's request stays suspended meanwhile; no thread waits for the origin.
        connecting.orTimeout(connectTimeoutMillis + 1000, TimeUnit.MILLISECONDS).whenComplete((session, failure) ->
                executor.execute(() -> upstreamAnswered(ex, request, response, callback, relay, admission, offered,
                        session, failure, start)));
    }

    private void upstreamAnswered(Exchange ex, Request request, Response response, Callback callback,
                                  WebSocketRelay relay, Admission admission, List<String> offered,
                                  CoreSession session, Throwable failure, long start) {
        if (failure != null) {
            metrics.upstream(route.name(), 0, System.nanoTime() - start);
            Throwable c = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            LOG.debug("route {}: upstream WebSocket connect failed: {}", route.name(), c.getClass().getSimpleName());
            relay.abandon(); // releases the lease, if any
            admission.release();
            DenialReason reason = io.streamgate.gateway.proxy.UpstreamFailures.of(c);
            Answers.deny(request, response, callback, reason, ex.requestId());
            return;
        }
        metrics.upstream(route.name(), 101, System.nanoTime() - start);
        String negotiated = session.getNegotiatedSubProtocol();
        String chosen = negotiated != null ? negotiated : offered.isEmpty() ? null : offered.get(0);
        WebSocketNegotiator negotiator = new WebSocketNegotiator.AbstractNegotiator() {
            @Override
            public FrameHandler negotiate(ServerUpgradeRequest upReq, ServerUpgradeResponse upResp, Callback cb) {
                if (chosen != null) {
                    upResp.setAcceptedSubProtocol(chosen);
                }
                upResp.setExtensions(List.of());
                return relay.downstream;
            }
        };
        // The viewer may have hung up while the origin handshook: then the 101 cannot be
        // written, the viewer's leg never opens, and the origin's session must go too.
        Callback upgrade = new Callback() {
            @Override
            public void succeeded() {
                // Both sides accepted: the origin's 101 and the viewer's. A viewer gone meanwhile
                // does not burn its one-time token.
                admission.commit();
                opened(ex, request, relay);
                callback.succeeded();
            }

            @Override
            public void failed(Throwable x) {
                relay.abandon();
                admission.release();
                callback.failed(x);
            }

            @Override
            public InvocationType getInvocationType() {
                return InvocationType.NON_BLOCKING;
            }
        };
        boolean upgraded;
        try {
            upgraded = upgrades.upgrade(negotiator, request, response, upgrade, null);
        } catch (Throwable t) {
            // e.g. the viewer hung up while the origin's handshake was under way
            LOG.debug("route {}: viewer upgrade failed: {}", route.name(), t.getClass().getSimpleName());
            relay.abandon();
            admission.release();
            if (!response.isCommitted()) {
                Answers.deny(request, response, callback, DenialReason.MALFORMED_REQUEST, ex.requestId());
            } else {
                callback.failed(t);
            }
            return;
        }
        if (!upgraded) {
            relay.abandon();
            admission.release();
            session.close(CloseStatus.NORMAL, "viewer upgrade failed", Callback.NOOP);
            Answers.deny(request, response, callback, DenialReason.MALFORMED_REQUEST, ex.requestId());
        }
    }

    /**
     * The id of a relayed session in its access line ({@code sid}), in one place: the
     * session's id (its lease id under {@code replay.mode: limit}, else a new session id when
     * session records are on), or else the upgrade request's id, which the upgrade's own
     * access line carries as {@code requestId}.
     */
    static String sessionId(Exchange ex, ViewerSession session) {
        return session != null && session.sid() != null ? session.sid() : ex.requestId();
    }

    private WebSocketRelay newRelay(Exchange ex, Request request, Verdict v, SessionLease lease) {
        long closeAt = Long.MAX_VALUE;
        if (route.onExpiry() == GatewayConfig.OnExpiry.CLOSE && v != null && v.token().claims().exp() != Claims.ABSENT) {
            closeAt = v.token().claims().exp() * 1000;
        }
        ViewerSession session = null;
        if (v != null) {
            Claims c = v.token().claims();
            Sessions sessions = authorization.authorizer().sessions();
            String sid = v.admission().leaseId() != null ? v.admission().leaseId()
                    : sessions != null ? sessions.newSid() : null;
            session = new ViewerSession(sid, c.iss(), c.sub(), c.jti(), c.iat() == Claims.ABSENT ? -1 : c.iat(), sessions);
            ex.belongsTo(sid, c.sub()); // sid on the upgrade's access line
            if (sessions != null && closeAt != Long.MAX_VALUE) {
                closeAt = Math.min(closeAt, sessions.cap(c.exp(), clock.millis() / 1000) * 1000);
            }
        }
        metrics.websocketOpened(route.name());
        return new WebSocketRelay(metrics.websocketSessions(route.name()),
                metrics.relayedBytes(route.name(), "downstream"), metrics.relayedBytes(route.name(), "upstream"),
                closeAt, scheduler, route.idleTimeout(), route.maxMessageSize(), lease, tracker, clock, session,
                accessLog.enabled() ? new WebSocketRelay.Ending(accessLog, sessionId(ex, session), route.name(),
                        v == null ? null : v.token().claims().sub()) : null,
                replay::allowsOnStoreError);
    }

    /** Both 101s went out: the session is recorded in the shared store, so a renewal at any replica finds it by its token. */
    private void opened(Exchange ex, Request request, WebSocketRelay relay) {
        ViewerSession s = relay.session();
        if (s == null || s.renewals() == null || s.sid() == null) {
            return;
        }
        Claims c = ex.verdict().token().claims();
        String query = upstream.stripQuery(request.getHttpURI().getQuery());
        String path = query == null || query.isEmpty() ? ex.path() : ex.path() + "?" + query;
        long now = clock.millis() / 1000;
        s.renewals().opened(SessionRecord.opened(s.sid(), "websocket", route.name(), path, c.iss(), c.sub(), c.jti(),
                s.renewals().cap(c.exp() == Claims.ABSENT ? -1 : c.exp(), now), now,
                c.iat() == Claims.ABSENT ? -1 : c.iat()), replay.tokenKey(c));
    }
}
