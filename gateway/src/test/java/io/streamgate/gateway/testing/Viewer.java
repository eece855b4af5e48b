package io.streamgate.gateway.testing;

import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.exceptions.UpgradeException;
import org.eclipse.jetty.websocket.client.WebSocketClient;

/**
 * A WebSocket viewer for tests, on a real Jetty client: reads every frame (text frames are kept
 * for {@link #next()}, binary ones counted, kept too when made with {@link #keepingBinary()}),
 * and records how the session closed. Waits are bounded: 10 s by default, a busy machine's
 * margin, never a measure.
 */
public final class Viewer implements Session.Listener.AutoDemanding {
    /** The default bound of a wait for something that should happen at once. */
    public static final Duration WAIT = Duration.ofSeconds(10);

    private final boolean keepBinary;
    private final BlockingQueue<Object> received = new LinkedBlockingQueue<>();
    private final AtomicLong binaryFrames = new AtomicLong();
    private final CompletableFuture<Void> firstFrame = new CompletableFuture<>();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private volatile String closeReason;
    private volatile Session session;

    /** Keeps text frames; counts binary ones (a live stream's media is not held in memory). */
    public Viewer() {
        this(false);
    }

    private Viewer(boolean keepBinary) {
        this.keepBinary = keepBinary;
    }

    /** Keeps binary frames too (copies), for {@link #next()}. */
    public static Viewer keepingBinary() {
        return new Viewer(true);
    }

    /**
     * Opens {@code viewer} at {@code uri}: returns it once open, or the HTTP status of the
     * refused upgrade (an {@link Integer}); other failures are thrown.
     */
    public static Object openOrStatus(WebSocketClient client, URI uri, Viewer viewer) throws Exception {
        try {
            client.connect(viewer, uri).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            return viewer;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UpgradeException u) {
                return u.getResponseStatusCode();
            }
            throw e;
        }
    }

    @Override
    public void onWebSocketOpen(Session s) {
        session = s;
    }

    @Override
    public void onWebSocketText(String message) {
        received.add(message);
        firstFrame.complete(null);
    }

    @Override
    public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
        binaryFrames.incrementAndGet();
        if (keepBinary) {
            received.add(ByteBuffer.allocate(payload.remaining()).put(payload).flip());
        }
        firstFrame.complete(null);
        callback.succeed();
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason, Callback callback) {
        closeReason = reason;
        closed.complete(statusCode);
        callback.succeed();
    }

    public Session session() {
        return session;
    }

    /** The next kept frame (a String, or a ByteBuffer when keeping binary), within {@link #WAIT}. */
    public Object next() throws InterruptedException {
        Object m = received.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        if (m == null) {
            throw new AssertionError("no frame within " + WAIT.toSeconds() + " s");
        }
        return m;
    }

    /** Binary frames received so far. */
    public long binaryFrames() {
        return binaryFrames.get();
    }

    /** True once any frame arrived within {@code within}. */
    public boolean frameWithin(Duration within) throws InterruptedException {
        try {
            firstFrame.get(within.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /** True once the session closed within {@code millis}. */
    public boolean closedWithin(long millis) throws InterruptedException {
        try {
            closed.get(millis, TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The close code, once closed within {@code within}; fails otherwise. */
    public int closeCode(Duration within) throws InterruptedException {
        if (!closedWithin(within.toMillis())) {
            throw new AssertionError("not closed within " + within.toSeconds() + " s");
        }
        return closed.join();
    }

    /** The close code of a closed session (-1 while open). */
    public int closeCode() {
        return closed.getNow(-1);
    }

    /** The close reason of a closed session (null while open). */
    public String closeReason() {
        return closeReason;
    }

    public boolean isClosed() {
        return closed.isDone();
    }
}
