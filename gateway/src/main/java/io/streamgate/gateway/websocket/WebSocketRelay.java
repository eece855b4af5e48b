package io.streamgate.gateway.websocket;

import java.nio.ByteBuffer;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.StatusCode;

import io.micrometer.core.instrument.Counter;

/**
 * Relays one WebSocket session: the viewer's ({@link Downstream}, server side) and the
 * origin's ({@link Upstream}, client side). Text and binary frames, fragments included, are
 * forwarded as they come, and each side demands its next frame only after the forwarded
 * write has completed — back-pressure end to end, so a slow viewer slows the origin's
 * reads instead of growing the gateway's memory. Close codes are mirrored (1005/1006/1015,
 * which must not be sent, become 1000/1011). With {@code onExpiry: close}, the session ends
 * with 1008 when the token expires.
 */
public final class WebSocketRelay {
    /** RFC 6455 1008: policy violation — the token expired. */
    static final int TOKEN_EXPIRED = StatusCode.POLICY_VIOLATION;

    final Downstream downstream = new Downstream();
    final Upstream upstream = new Upstream();
    private final AtomicInteger active;
    private final Counter bytesDown;
    private final Counter bytesUp;
    private final long closeAtMillis;
    private final ScheduledExecutorService scheduler;
    private final java.time.Duration idleTimeout;
    private final long maxFrameSize;
    private final AtomicBoolean finished = new AtomicBoolean();
    private final SessionLease lease;
    private volatile ScheduledFuture<?> expiry;

    /**
     * @param closeAtMillis when to close with 1008 (token expiry), or {@code Long.MAX_VALUE} for never
     */
    WebSocketRelay(AtomicInteger active, Counter bytesDown, Counter bytesUp, long closeAtMillis,
                   ScheduledExecutorService scheduler, java.time.Duration idleTimeout, long maxFrameSize,
                   SessionLease lease) {
        this.lease = lease;
        this.active = active;
        this.bytesDown = bytesDown;
        this.bytesUp = bytesUp;
        this.closeAtMillis = closeAtMillis;
        this.scheduler = scheduler;
        this.idleTimeout = idleTimeout;
        this.maxFrameSize = maxFrameSize;
    }

    static int forwardable(int code) {
        return switch (code) {
            case StatusCode.NO_CODE -> StatusCode.NORMAL;
            case StatusCode.NO_CLOSE, StatusCode.FAILED_TLS_HANDSHAKE -> StatusCode.SERVER_ERROR;
            default -> code;
        };
    }

    private void finish() {
        if (finished.compareAndSet(false, true)) {
            if (downstream.session != null) {
                active.decrementAndGet(); // counted once the viewer's side opened, and only then
            }
            ScheduledFuture<?> f = expiry;
            if (f != null) {
                f.cancel(false);
            }
            if (lease != null) {
                lease.release();
            }
        }
    }

    /** Closes the upstream session when the viewer's side never opened (a failed upgrade). */
    void abandon() {
        Session up = upstream.session;
        if (up != null && up.isOpen()) {
            up.close(StatusCode.NORMAL, "client gone", Callback.NOOP);
        }
    }

    private static void configure(Session s, java.time.Duration idle, long maxFrame) {
        s.setIdleTimeout(idle);
        s.setMaxFrameSize(maxFrame);
        s.setMaxBinaryMessageSize(maxFrame);
        s.setMaxTextMessageSize(maxFrame);
    }

    /** One side of the relay: forwards what it reads to the other side's session. */
    public abstract class Side implements Session.Listener {
        volatile Session session;

        abstract Session other();

        abstract Counter bytes();

        @Override
        public void onWebSocketPartialBinary(ByteBuffer payload, boolean last, Callback callback) {
            int n = payload.remaining();
            other().sendPartialBinary(payload, last, Callback.from(() -> {
                bytes().increment(n);
                callback.succeed(); // the payload buffer is recycled only now
                session.demand();
            }, x -> {
                callback.fail(x);
                failed();
            }));
        }

        @Override
        public void onWebSocketPartialText(String payload, boolean last) {
            int n = payload.length();
            other().sendPartialText(payload, last, Callback.from(() -> {
                bytes().increment(n);
                session.demand();
            }, x -> failed()));
        }

        @Override
        public void onWebSocketPing(ByteBuffer payload) {
            other().sendPing(payload, Callback.from(session::demand, x -> failed()));
        }

        @Override
        public void onWebSocketPong(ByteBuffer payload) {
            other().sendPong(payload, Callback.from(session::demand, x -> failed()));
        }

        @Override
        public void onWebSocketClose(int statusCode, String reason, Callback callback) {
            Session o = other();
            if (o != null && o.isOpen()) {
                o.close(forwardable(statusCode), reason, Callback.NOOP);
            }
            finish();
            callback.succeed();
        }

        @Override
        public void onWebSocketError(Throwable cause) {
            failed();
        }

        void failed() {
            for (Session s : new Session[] {downstream.session, upstream.session}) {
                if (s != null && s.isOpen()) {
                    s.close(StatusCode.SERVER_ERROR, "relay failed", Callback.NOOP);
                }
            }
            finish();
        }
    }

    /** The viewer's side (server session). */
    public final class Downstream extends Side {
        @Override
        Session other() {
            return upstream.session;
        }

        @Override
        Counter bytes() {
            return bytesUp;
        }

        @Override
        public void onWebSocketOpen(Session s) {
            if (finished.get()) {
                // The origin side already failed or closed before the viewer's side opened.
                s.close(StatusCode.SERVER_ERROR, "upstream closed", Callback.NOOP);
                return;
            }
            session = s;
            configure(s, idleTimeout, maxFrameSize);
            active.incrementAndGet();
            if (closeAtMillis != Long.MAX_VALUE) {
                long delay = Math.max(0, closeAtMillis - System.currentTimeMillis());
                expiry = scheduler.schedule(() -> s.close(TOKEN_EXPIRED, "token expired", Callback.NOOP),
                        delay, TimeUnit.MILLISECONDS);
            }
            if (lease != null) {
                lease.keepAlive(() -> s.close(TOKEN_EXPIRED, "session limit", Callback.NOOP));
            }
            // Both sides are open now: start reading each.
            s.demand();
            upstream.session.demand();
        }
    }

    /** The origin's side (client session); it reads nothing until the viewer's side opens. */
    public final class Upstream extends Side {
        @Override
        Session other() {
            return downstream.session;
        }

        @Override
        Counter bytes() {
            return bytesDown;
        }

        @Override
        public void onWebSocketOpen(Session s) {
            session = s;
            configure(s, idleTimeout, maxFrameSize);
        }
    }
}
