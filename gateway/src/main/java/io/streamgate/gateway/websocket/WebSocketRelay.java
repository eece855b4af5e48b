package io.streamgate.gateway.websocket;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.CloseStatus;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.FrameHandler;
import org.eclipse.jetty.websocket.core.OpCode;
import org.eclipse.jetty.websocket.core.exception.MessageTooLargeException;

import io.micrometer.core.instrument.Counter;
import io.streamgate.gateway.logging.AccessLog;

/**
 * Relays one WebSocket session: the viewer's ({@link Downstream}, server side) and the
 * origin's ({@link Upstream}, client side), as two websocket-core {@link FrameHandler}s.
 * Frames — text, binary, continuations, pings and pongs — are forwarded as they come, and
 * each side demands its next frame only after the forwarded write has completed:
 * back-pressure end to end, so a slow viewer slows the origin's reads instead of growing the
 * gateway's memory. Close codes are mirrored (1005/1006/1015, which must not be sent, become
 * 1000/1011). With {@code onExpiry: close}, the session ends with 1008 when the token expires.
 *
 * <p>Why websocket-core and not Jetty's {@code Session} API: that API keeps each leg's upgrade
 * request and response for {@code Session.getUpgradeRequest()} — on the viewer's leg the
 * whole servlet request, its HTTP/1 connection, parser and headers (the token among them), on
 * the origin's leg the client request with the copied headers. That was about 15 of the
 * 26 KB a relayed session held; on the core API a session holds about 10 KB (see
 * {@code docs/benchmarks.md}). Text frames are forwarded as bytes, unchanged: the gateway
 * does not decode them, the far end validates UTF-8.
 */
public final class WebSocketRelay {
    /** RFC 6455 1008: policy violation — the token expired. */
    static final int TOKEN_EXPIRED = CloseStatus.POLICY_VIOLATION;

    final Downstream downstream = new Downstream();
    final Upstream upstream = new Upstream();
    private final AtomicInteger active;
    private final Counter bytesDown;
    private final Counter bytesUp;
    private final long closeAtMillis;
    private final ScheduledExecutorService scheduler;
    private final Duration idleTimeout;
    private final long maxMessageSize;
    private boolean finished; // guarded by this, with downstream.session's first assignment
    private final SessionLease lease;
    private final RelayTracker tracker;
    private final AtomicInteger closedLegs = new AtomicInteger();
    private volatile ScheduledFuture<?> expiry;
    private final java.time.Clock clock;
    private final ViewerSession session;
    /** The session's cap in epoch ms: when it closes with 1008 under {@code onExpiry: close}, unless renewed. */
    private volatile long capMillis;
    private final Ending ending;
    /** {@code onStoreError: allow}, read when the store cannot say whether the session was renewed. */
    private final java.util.function.BooleanSupplier storeErrorAllows;
    private long openedAtMillis; // guarded by this
    private String endCause; // guarded by this: why the session ended, the first cause only

    /** What an ended session's access line needs; null when access lines are off. */
    record Ending(AccessLog log, String sid, String route, String sub) {
    }

    /**
     * @param closeAtMillis when to close with 1008 (token expiry), or {@code Long.MAX_VALUE} for never
     * @param lease         the token's session lease under {@code replay.mode: limit}, else null
     * @param session       who the session is (for renewal and revocation), or null on an {@code auth: none} route
     */
    WebSocketRelay(AtomicInteger active, Counter bytesDown, Counter bytesUp, long closeAtMillis,
                   ScheduledExecutorService scheduler, Duration idleTimeout, long maxMessageSize,
                   SessionLease lease, RelayTracker tracker, java.time.Clock clock, ViewerSession session,
                   Ending ending, java.util.function.BooleanSupplier storeErrorAllows) {
        this.storeErrorAllows = storeErrorAllows;
        this.clock = clock;
        this.session = session;
        this.capMillis = closeAtMillis;
        this.ending = ending;
        this.active = active;
        this.bytesDown = bytesDown;
        this.bytesUp = bytesUp;
        this.closeAtMillis = closeAtMillis;
        this.scheduler = scheduler;
        this.idleTimeout = idleTimeout;
        this.maxMessageSize = maxMessageSize;
        this.lease = lease;
        this.tracker = tracker;
    }

    static int forwardable(int code) {
        return switch (code) {
            case CloseStatus.NO_CODE -> CloseStatus.NORMAL;
            case CloseStatus.NO_CLOSE, CloseStatus.FAILED_TLS_HANDSHAKE -> CloseStatus.SERVER_ERROR;
            default -> code;
        };
    }

    /**
     * The viewer's side opened: counted and tracked, unless the relay already finished (the
     * origin's side closed first). Under the same lock as {@link #finish()}, so the gauge and
     * the tracker are balanced whichever comes first.
     */
    private synchronized boolean opened(CoreSession s) {
        if (finished) {
            return false;
        }
        downstream.session = s;
        openedAtMillis = clock.millis();
        active.incrementAndGet();
        tracker.add(this);
        return true;
    }

    private synchronized boolean isFinished() {
        return finished;
    }

    /** Records why the session ends, unless a cause was recorded already. */
    private synchronized void endCause(String cause) {
        if (endCause == null) {
            endCause = cause;
        }
    }

    private void finish() {
        boolean wasOpen;
        String cause;
        long openedAt;
        synchronized (this) {
            if (finished) {
                return;
            }
            finished = true;
            wasOpen = downstream.session != null;
            cause = endCause;
            openedAt = openedAtMillis;
        }
        if (wasOpen && ending != null) {
            ending.log().sessionEnded(ending.sid(), ending.route(), ending.sub(), openedAt,
                    clock.millis() - openedAt, upstream.bytes, downstream.bytes, cause == null ? "closed" : cause);
        }
        if (wasOpen) {
            active.decrementAndGet(); // counted once the viewer's side opened, and only then
            if (session != null && session.renewals() != null && session.sid() != null) {
                // a closed connection cannot play on: a later renewal must not count it as renewed
                // (a revoked or evicted one keeps that state: a final state never changes)
                session.renewals().end(session.sid(), io.streamgate.filters.session.SessionState.ENDED);
            }
        }
        ScheduledFuture<?> f = expiry;
        if (f != null) {
            f.cancel(false);
        }
        if (lease != null) {
            lease.release();
        }
    }

    /**
     * The viewer's side never opened (a failed or abandoned upgrade): drop the origin's
     * session at once — nothing would read its close reply — and finish.
     */
    void abandon() {
        CoreSession up = upstream.session;
        if (up != null) {
            up.abort();
        }
        finish();
    }

    /** The viewer session this relay carries, or null on an {@code auth: none} route. */
    ViewerSession session() {
        return session;
    }

    /** The session's current cap (epoch ms), moved by renewals. */
    long capMillis() {
        return capMillis;
    }

    /** A revocation or an eviction: both legs close with 1008 and the reason. */
    void revoke(String reason) {
        closeBoth(CloseStatus.POLICY_VIOLATION, reason);
    }

    /** Graceful stop: both legs close with 1001. */
    void shutdown() {
        closeBoth(CloseStatus.SHUTDOWN, "gateway shutting down");
    }

    /**
     * Closes both legs, the origin's first: a leg that sent a close (other than 1000) stops
     * reading, and the origin must get its close frame before the viewer's leg goes.
     */
    private void closeBoth(int code, String reason) {
        endCause(reason + " (" + code + ")");
        for (CoreSession s : new CoreSession[] {upstream.session, downstream.session}) {
            if (s != null && s.isOutputOpen()) {
                s.close(code, reason, Callback.NOOP);
            }
        }
    }

    /**
     * At the cap, asks whether a renewal (at this or another replica) moved it: then waits for
     * the new cap; a session that ended or was not renewed closes with 1008. When the store
     * cannot answer, {@code onStoreError} decides: {@code allow} keeps the session and asks again
     * a second later, {@code deny} closes it.
     */
    private void scheduleExpiry() {
        scheduleExpiry(Math.max(0, capMillis - clock.millis()));
    }

    private void scheduleExpiry(long delay) {
        expiry = scheduler.schedule(() -> {
            if (session == null || session.renewals() == null) {
                closeBoth(TOKEN_EXPIRED, "token expired");
                return;
            }
            session.renewals().current(session.sid()).whenComplete((rec, e) -> {
                if (isFinished()) {
                    return;
                }
                if (e != null) {
                    if (storeErrorAllows.getAsBoolean()) {
                        scheduleExpiry(1000);
                    } else {
                        closeBoth(TOKEN_EXPIRED, "token expired");
                    }
                } else if (rec != null && rec.state() != io.streamgate.filters.session.SessionState.OPEN) {
                    revoke(rec.state().denial().code());
                } else if (rec != null && rec.cap() * 1000 > capMillis) {
                    // extended only when a renewal moved the cap past the one just reached
                    capMillis = rec.cap() * 1000;
                    scheduleExpiry();
                } else {
                    closeBoth(TOKEN_EXPIRED, "token expired");
                }
            });
        }, delay, TimeUnit.MILLISECONDS);
        if (isFinished()) {
            expiry.cancel(false);
        }
    }

    private void configure(CoreSession s) {
        s.setIdleTimeout(idleTimeout);
        s.setMaxFrameSize(maxMessageSize);
        s.setMaxBinaryMessageSize(maxMessageSize);
        s.setMaxTextMessageSize(maxMessageSize);
        s.setAutoFragment(false); // frames pass as they came
    }

    /** One side of the relay: forwards what it reads to the other side's session. */
    abstract class Side implements FrameHandler {
        volatile CoreSession session;
        private long messageBytes; // of the message being forwarded; frames of one side arrive in order
        private final AtomicBoolean closeSeen = new AtomicBoolean(); // onFrame(CLOSE) and onClosed race
        /** Payload bytes this side read and forwarded (one writer: the next frame is demanded after the write). */
        volatile long bytes;

        abstract String who();

        abstract Side other();

        abstract Counter bytes();

        @Override
        public void onFrame(Frame frame, Callback callback) {
            byte op = frame.getOpCode();
            switch (op) {
                case OpCode.CLOSE -> {
                    CloseStatus cs = CloseStatus.getCloseStatus(frame);
                    mirrorClose(cs == null ? CloseStatus.NO_CODE : cs.getCode(), cs == null ? null : cs.getReason());
                    callback.succeeded(); // websocket-core answers the close itself
                }
                case OpCode.PING, OpCode.PONG -> forward(new Frame(op, true, frame.getPayload()), 0, callback);
                case OpCode.TEXT, OpCode.BINARY, OpCode.CONTINUATION -> {
                    int n = frame.getPayloadLength();
                    messageBytes = op == OpCode.CONTINUATION ? messageBytes + n : n;
                    // the core parser limits frames; a message of many frames is limited here (1009)
                    if (maxMessageSize > 0 && messageBytes > maxMessageSize) {
                        callback.failed(new MessageTooLargeException("message larger than " + maxMessageSize));
                        return;
                    }
                    forward(new Frame(op, frame.isFin(), frame.getPayload()), n, callback);
                }
                default -> callback.failed(new IllegalStateException("unexpected opcode " + op));
            }
        }

        private void forward(Frame out, int n, Callback callback) {
            CoreSession o = other().session;
            if (!o.isOutputOpen()) {
                // The other leg is closing: drop the frame. Failing the callback would make
                // websocket-core drop this leg's connection (1006) before its close goes out.
                callback.succeeded();
                session.demand();
                return;
            }
            if (n > 0) {
                // counted as handed on, not when the write completes: the receiver may read the
                // frame and end the session before that callback runs, and the session's access
                // line (written when it ends) would then miss its last frame
                bytes().increment(n);
                bytes += n;
            }
            o.sendFrame(out, Callback.from(() -> {
                callback.succeeded(); // the payload buffer is recycled only now
                session.demand();
            }, x -> {
                callback.succeeded(); // this leg is fine: it is closed (1011) by failed(), not dropped
                failed();
            }), false);
        }

        private void mirrorClose(int code, String reason) {
            if (!closeSeen.compareAndSet(false, true)) {
                return;
            }
            endCause(who() + " closed (" + code + ")");
            CoreSession o = other().session;
            if (o != null && o.isOutputOpen()) {
                o.close(forwardable(code), reason, Callback.NOOP);
            }
            finish();
        }

        /** websocket-core calls {@link #onClosed} next, with the real code (1009, 1001, 1002...): mirrored there. */
        @Override
        public void onError(Throwable cause, Callback callback) {
            callback.succeeded();
        }

        @Override
        public void onClosed(CloseStatus closeStatus, Callback callback) {
            mirrorClose(closeStatus.getCode(), closeStatus.getReason());
            // A tracked relay (both legs opened) leaves the tracker only when both connections
            // are closed: a graceful stop must not stop the client while the origin's close
            // frame is still being written (the origin got 1006 instead of 1001).
            if (closedLegs.incrementAndGet() == 2) {
                tracker.remove(WebSocketRelay.this);
            }
            callback.succeeded();
        }

        void failed() {
            closeBoth(CloseStatus.SERVER_ERROR, "relay failed");
            finish();
        }
    }

    /** The viewer's side (server session). */
    final class Downstream extends Side {
        @Override
        Side other() {
            return upstream;
        }

        @Override
        String who() {
            return "viewer";
        }

        @Override
        Counter bytes() {
            return bytesUp;
        }

        @Override
        public void onOpen(CoreSession s, Callback callback) {
            if (!opened(s)) {
                // The origin side already failed or closed before the viewer's side opened.
                callback.succeeded();
                s.close(CloseStatus.SERVER_ERROR, "upstream closed", Callback.NOOP);
                return;
            }
            configure(s);
            if (closeAtMillis != Long.MAX_VALUE) {
                scheduleExpiry();
            }
            if (lease != null) {
                lease.keepAlive(() -> {
                    // the lease went to another session: this one ends for good, on every replica
                    ViewerSession viewer = WebSocketRelay.this.session;
                    if (viewer != null && viewer.renewals() != null && viewer.sid() != null) {
                        viewer.renewals().evict(viewer.sid());
                    }
                    closeBoth(TOKEN_EXPIRED, "session_limit");
                });
            }
            callback.succeeded();
            // Both sides are open now: start reading each.
            s.demand();
            upstream.session.demand();
        }
    }

    /** The origin's side (client session); it reads nothing until the viewer's side opens. */
    final class Upstream extends Side {
        @Override
        Side other() {
            return downstream;
        }

        @Override
        String who() {
            return "origin";
        }

        @Override
        Counter bytes() {
            return bytesDown;
        }

        @Override
        public void onOpen(CoreSession s, Callback callback) {
            session = s;
            configure(s);
            callback.succeeded();
            if (isFinished()) {
                s.abort(); // opened after the gateway gave up on it (a late handshake): never left dangling
            }
        }
    }
}
