package io.streamgate.gateway.edge;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.QuietException;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * {@code listen.minBodyRate}: a request body must keep arriving at a minimum rate while the
 * gateway waits for it, or the request is cut with {@code 408} and its connection closed. The
 * idle timeout alone does not stop a client that sends its body a byte at a time: every byte
 * resets it, and a few hundred such clients hold as many connections (and a renewal or a
 * denial that drains the body) for as long as they like.
 *
 * <p>Jetty's own {@code HttpConfiguration.setMinRequestDataRate} does nothing on the core API
 * this gateway runs on (in 12.1 only the servlet layers' content producers check it, and only
 * when the application reads), so the check lives here, around every listener's handlers.
 *
 * <p>What counts is the time the gateway <em>waits for the client</em>: from a handler's
 * {@code demand} until data arrives. Time spent elsewhere — authorising, connecting upstream,
 * an origin that reads a proxied body slowly (back-pressure: the proxy stops demanding) — is
 * never charged to the client. The account is a bucket of {@link #WINDOW_MILLIS} of credit:
 * waiting spends it, each byte received buys back {@code 1/rate} seconds, and it never holds
 * more than the window. So a body that starts within the window (TCP slow start, a
 * {@code 100-continue} round trip) and then keeps up with the rate, averaged over the window,
 * passes; a pause longer than the window, or a trickle below the rate, is cut once the credit
 * is spent. A fast upload never comes near the floor.
 *
 * <p>On a cut the handler's pending read is woken with a failure (it sees a failed body), its
 * further writes fail, and whatever it answers is replaced: the request ends in Jetty's error
 * path as {@code 408 {"error":"request_timeout","reason":"body_too_slow"}} (through {@link
 * JsonErrors}), the unread rest of the body makes Jetty close the connection, and a response
 * already under way is aborted. Requests without a body (GET, WebSocket upgrades) are not
 * wrapped. One small object per request with a body, one scheduled check at a time while it
 * waits (at most every {@link #TICK_MILLIS}); nothing blocks, nothing is logged.
 */
public final class MinBodyRate extends Handler.Wrapper {
    /** How long a body may fall behind (a pause, a slow start), and the most credit a burst stores. */
    public static final long WINDOW_MILLIS = 10_000;
    /** The longest a waiting body goes unchecked. */
    static final long TICK_MILLIS = 1_000;
    private static final long MIN_TICK_MILLIS = 20;

    private final long bytesPerSecond;
    private final Clock clock;
    private final Scheduler scheduler;
    private final Executor executor;
    private final Runnable onCut;

    /**
     * @param bytesPerSecond the floor; 0 turns the check off
     * @param clock the time a wait is measured in (tests move it)
     * @param scheduler runs the check while a body is awaited
     * @param executor where a handler's wait is woken after a cut
     * @param onCut counts a cut (a metric)
     */
    public MinBodyRate(Handler handler, long bytesPerSecond, Clock clock, Scheduler scheduler, Executor executor,
                       Runnable onCut) {
        super(handler);
        this.bytesPerSecond = bytesPerSecond;
        this.clock = clock;
        this.scheduler = scheduler;
        this.executor = executor;
        this.onCut = onCut;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (bytesPerSecond <= 0 || !hasBody(request)) {
            return super.handle(request, response, callback);
        }
        Guard guard = new Guard(request, response, callback);
        return super.handle(guard, guard.response, guard);
    }

    /**
     * The request attribute naming a cut request's id: Jetty's error path answers the 408 with a
     * reset response, and {@link JsonErrors} puts this id back as its {@code X-Request-Id}, the
     * same as the access line's. Set only on a cut (nothing per request otherwise).
     */
    static final String CUT_REQUEST_ID = "io.streamgate.cutRequestId";
    /** The reason of a cut, in its answer and on its access line. */
    static final String REASON = "body_too_slow";

    /** True when {@code request} (or a request it wraps) was cut for its slow body. */
    static boolean wasCut(Request request) {
        Guard g = Request.as(request, Guard.class);
        return g != null && g.cut() != null;
    }

    /** Whether a body may follow the head: a length, chunked, or (HTTP/2 and later) unknown. */
    static boolean hasBody(Request request) {
        long length = request.getLength();
        if (length >= 0) {
            return length > 0;
        }
        if (HttpMethod.CONNECT.is(request.getMethod())) {
            return false; // a tunnel (WebSocket over HTTP/2) carries frames, not a body
        }
        HttpVersion version = request.getConnectionMetaData().getHttpVersion();
        return version.getVersion() >= HttpVersion.HTTP_2.getVersion()
                || request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
    }

    /**
     * The answer to a cut: Jetty's error path turns its code into the status, and {@link
     * JsonErrors} its type into the reason. Quiet: Jetty logs it at debug, not as a warning
     * with a stack. One per cut (Jetty may add suppressed exceptions to it).
     */
    public static final class BodyTooSlow extends HttpException.RuntimeException implements QuietException {
        private static final long serialVersionUID = 1L;

        BodyTooSlow() {
            super(408, "request body slower than listen.minBodyRate");
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this; // a verdict on the client, not a bug: no stack to fill
        }
    }

    /** When to look again at a waiting body with {@code creditLeft} ms of credit. */
    private static long nextTick(double creditLeft) {
        return Math.max(MIN_TICK_MILLIS, Math.min(TICK_MILLIS, (long) Math.ceil(creditLeft)));
    }

    /** One request with a body: the request and callback its handlers get, and the account. */
    private final class Guard extends Request.Wrapper implements Callback {
        private final Callback callback;
        private final GuardedResponse response;
        private final Runnable onData = this::onData;
        private final Runnable tick = this::tick;
        /** Milliseconds of waiting still allowed. */
        private double credit = WINDOW_MILLIS;
        /** When the current wait began (clock millis), or -1 when the handler is not waiting. */
        private long waitingSince = -1;
        /** The handler's demand, run when data arrives (or when the request is cut). */
        private Runnable pending;
        private boolean tickScheduled;
        private boolean done;
        private BodyTooSlow cut;

        Guard(Request request, Response response, Callback callback) {
            super(request);
            this.callback = callback;
            this.response = new GuardedResponse(this, response);
        }

        synchronized BodyTooSlow cut() {
            return cut;
        }

        @Override
        public Content.Chunk read() {
            BodyTooSlow failure = cut();
            if (failure != null) {
                return Content.Chunk.from(failure, true);
            }
            Content.Chunk chunk = super.read();
            if (chunk == null || Content.Chunk.isFailure(chunk)) {
                return chunk;
            }
            synchronized (this) {
                if (chunk.isLast()) {
                    done = true; // the whole body is in: nothing more to check
                }
                credit = Math.min(WINDOW_MILLIS, credit + chunk.remaining() * 1000.0 / bytesPerSecond);
                if (done || credit >= 0) {
                    return chunk;
                }
                failure = cut = new BodyTooSlow();
            }
            chunk.release();
            onCut.run();
            return Content.Chunk.from(failure, true);
        }

        @Override
        public void demand(Runnable demandCallback) {
            boolean cutAlready;
            boolean schedule = false;
            long delay = 0;
            synchronized (this) {
                cutAlready = cut != null;
                if (!cutAlready) {
                    pending = demandCallback;
                    long now = clock.millis();
                    if (waitingSince < 0) {
                        waitingSince = now;
                    }
                    if (!tickScheduled && !done) {
                        tickScheduled = schedule = true;
                        delay = nextTick(credit);
                    }
                }
            }
            if (cutAlready) {
                executor.execute(demandCallback); // it reads the failure
                return;
            }
            if (schedule) {
                scheduler.schedule(tick, delay, TimeUnit.MILLISECONDS);
            }
            super.demand(onData);
        }

        /** Data (or a failure) arrived: the wait ends, its time is spent. */
        private void onData() {
            Runnable r;
            synchronized (this) {
                if (cut != null) {
                    return; // the handler was woken by the cut
                }
                if (waitingSince >= 0) {
                    credit -= Math.max(0, clock.millis() - waitingSince);
                    waitingSince = -1;
                }
                r = pending;
                pending = null;
            }
            if (r != null) {
                r.run();
            }
        }

        /** While the handler waits: cut once the credit is spent, else look again. */
        private void tick() {
            Runnable wake;
            BodyTooSlow failure;
            long delay;
            synchronized (this) {
                tickScheduled = false;
                if (cut != null || done || waitingSince < 0) {
                    return; // not waiting now: the next demand schedules the next look
                }
                double left = credit - Math.max(0, clock.millis() - waitingSince);
                if (left >= 0) {
                    tickScheduled = true;
                    delay = nextTick(left);
                    wake = null;
                    failure = null;
                } else {
                    failure = cut = new BodyTooSlow();
                    wake = pending;
                    pending = null;
                    delay = -1;
                }
            }
            if (failure == null) {
                scheduler.schedule(tick, delay, TimeUnit.MILLISECONDS);
                return;
            }
            onCut.run();
            if (wake != null) {
                executor.execute(wake); // the handler reads the failure and answers; its answer is replaced
            }
        }

        @Override
        public void succeeded() {
            complete(null);
        }

        @Override
        public void failed(Throwable x) {
            complete(x);
        }

        private void complete(Throwable x) {
            BodyTooSlow failure;
            synchronized (this) {
                done = true;
                pending = null;
                failure = cut;
            }
            if (failure != null) {
                String id = response.getHeaders().get(AccessRecord.REQUEST_ID);
                if (id != null) {
                    getWrapped().setAttribute(CUT_REQUEST_ID, id); // the 408 names the request as its access line
                }
                callback.failed(failure); // 408 through the error handler, or an abort when committed
            } else if (x == null) {
                callback.succeeded();
            } else {
                callback.failed(x);
            }
        }

        @Override
        public InvocationType getInvocationType() {
            return callback.getInvocationType();
        }
    }

    /** After a cut, the handler's writes fail and its status reads 408 (for the access line). */
    private static final class GuardedResponse extends Response.Wrapper {
        private final Guard guard;

        GuardedResponse(Guard guard, Response response) {
            super(guard, response);
            this.guard = guard;
        }

        @Override
        public void write(boolean last, ByteBuffer content, Callback callback) {
            BodyTooSlow failure = guard.cut();
            if (failure != null) {
                callback.failed(failure);
                return;
            }
            super.write(last, content, callback);
        }

        @Override
        public int getStatus() {
            return guard.cut() != null ? 408 : super.getStatus();
        }
    }
}
