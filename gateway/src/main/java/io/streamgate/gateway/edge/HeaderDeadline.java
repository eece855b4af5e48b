package io.streamgate.gateway.edge;

import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * A deadline for a new connection's first request head. The idle timeout alone does not stop
 * a client that sends its headers a byte at a time ("slowloris"): every byte resets it, and a
 * few thousand such clients hold as many connections for as long as they like. A connection
 * that has not delivered one whole request head within {@code timeout} of opening is closed.
 * One scheduled check per connection, on Jetty's scheduler; nothing is read or logged.
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
            scheduler.schedule(() -> {
                if (http.getMessagesIn() == 0 && http.getEndPoint().isOpen()) {
                    http.getEndPoint().close();
                }
            }, timeoutMillis, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void onClosed(Connection connection) {
    }
}
