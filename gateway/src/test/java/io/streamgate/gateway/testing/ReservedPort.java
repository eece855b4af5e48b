package io.streamgate.gateway.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;

/**
 * A loopback port that is taken but has no listener, for "the origin is down, then comes up at
 * the same address" tests: connections to it are refused, and nobody else can bind it, until a
 * server that sets {@code SO_REUSEPORT} (e.g. {@code new RecordingOrigin(port)}) listens on it.
 * Unlike picking a free port and closing it, nothing can take the port in between.
 */
public final class ReservedPort implements AutoCloseable {
    private final SocketChannel holder;

    private ReservedPort(SocketChannel holder) {
        this.holder = holder;
    }

    /** A port the system picks, held (bound, not listening) until {@link #close()}. */
    public static ReservedPort reserve() throws IOException {
        SocketChannel ch = SocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            ch.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return new ReservedPort(ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    public int port() {
        return ((InetSocketAddress) holder.socket().getLocalSocketAddress()).getPort();
    }

    @Override
    public void close() throws IOException {
        holder.close();
    }
}
