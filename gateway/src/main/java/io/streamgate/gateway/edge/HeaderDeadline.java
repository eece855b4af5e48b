package io.streamgate.gateway.edge;

import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * A deadline for request heads. The idle timeout alone does not stop a client that sends its
 * headers a byte at a time ("slowloris"): every byte resets it, and a few thousand such clients
 * hold as many connections for as long as they like. A connection that has not delivered one
 * whole request head within {@code timeout} of opening is closed; so is a kept-alive
 * connection whose next head has been arriving for {@code timeout} or more (seen under way at
 * two looks {@code timeout} apart, with no request completed in between) — a client cannot
 * send one quick request and then trickle the next. (Bodies: {@link MinBodyRate}.)
 * One scheduled look per HTTP/1 connection at a time, on Jetty's scheduler, every
 * {@code timeout} while it is open; nothing is read or logged.
 */
public final class HeaderDeadline implements Connection.Listener {
    private final Scheduler scheduler;
    private final long timeoutMillis;

    public HeaderDeadline(Scheduler scheduler, long timeoutMillis) {
        this.scheduler = scheduler;
        this.timeoutMillis = timeoutMillis;
    }

    @Override
    public void onOpened(Connection connection) {
        if (connection instanceof HttpConnection http) {
            new Look(http).schedule();
        }
    }

    @Override
    public void onClosed(Connection connection) {
    }

    /** The looks at one connection; only its own scheduled task touches it. */
    private final class Look implements Runnable {
        private final HttpConnection http;
        private long messagesBefore = -1;
        private boolean headUnderWayBefore;

        Look(HttpConnection http) {
            this.http = http;
        }

        void schedule() {
            scheduler.schedule(this, timeoutMillis, TimeUnit.MILLISECONDS);
        }

        @Override
        public void run() {
            if (!http.getEndPoint().isOpen() || http.getEndPoint().getConnection() != http) {
                return; // closed, or upgraded (a WebSocket): no more heads
            }
            long messages = http.getMessagesIn();
            HttpParser parser = http.getParser();
            boolean headUnderWay = !parser.isStart() && parser.inHeaderState();
            if (messages == 0 || (headUnderWay && headUnderWayBefore && messages == messagesBefore)) {
                http.getEndPoint().close();
                return;
            }
            messagesBefore = messages;
            headUnderWayBefore = headUnderWay;
            schedule();
        }
    }
}
