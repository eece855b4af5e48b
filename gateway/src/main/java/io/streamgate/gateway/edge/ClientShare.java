package io.streamgate.gateway.edge;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

import org.eclipse.jetty.io.SelectorManager;

/**
 * {@code listen.maxConnectionsPerClient}: no single peer address holds more than its share of
 * the listener's connections ({@code listen.maxConnections}), so one client — an attacker
 * opening slow connections, a runaway player — cannot take the listener from everyone else.
 * The peer is the TCP peer, never a forwarded address: this is about the connections that
 * peer itself holds. A peer that is a trusted proxy ({@code clientIp.trustedProxies}: a CDN,
 * a load balancer) is exempt; it carries many viewers.
 *
 * <p>Jetty's accept listener on the public connector: a connection is counted for its address
 * when it is accepted and released when its endpoint closes (or the accept fails). One over
 * the share is closed at once, before any byte is read or a thread is spent on it; counted
 * by {@code onRefused}. Memory is bounded by the open connections: one entry per open
 * connection and per address holding one, removed at zero. Nothing blocks: the calls come on
 * Jetty's acceptor and selector threads, and only touch two concurrent maps.
 */
public final class ClientShare implements SelectorManager.AcceptListener {
    private final int max;
    private final Predicate<InetAddress> exempt;
    private final Runnable onRefused;
    /** The counted connections and their address (a closed channel no longer tells it). */
    private final ConcurrentHashMap<SelectableChannel, InetAddress> open = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<InetAddress, Integer> perAddress = new ConcurrentHashMap<>();

    /**
     * @param max the most connections one address may hold
     * @param exempt addresses never counted (trusted proxies; read on each accept, so a reload applies)
     * @param onRefused counts a refused connection
     */
    public ClientShare(int max, Predicate<InetAddress> exempt, Runnable onRefused) {
        if (max < 1) {
            throw new IllegalArgumentException("max < 1");
        }
        this.max = max;
        this.exempt = exempt;
        this.onRefused = onRefused;
    }

    @Override
    public void onAccepting(SelectableChannel channel) {
        InetAddress peer = peer(channel);
        if (peer == null || exempt.test(peer)) {
            return;
        }
        int n = perAddress.merge(peer, 1, Integer::sum);
        if (n > max) {
            release(peer);
            onRefused.run();
            try {
                channel.close(); // Jetty then reports the accept as failed: nothing of ours to undo
            } catch (IOException e) {
                // closing anyway
            }
            return;
        }
        open.put(channel, peer);
    }

    @Override
    public void onAcceptFailed(SelectableChannel channel, Throwable cause) {
        closed(channel);
    }

    @Override
    public void onClosed(SelectableChannel channel) {
        closed(channel);
    }

    private void closed(SelectableChannel channel) {
        InetAddress peer = open.remove(channel); // once per connection, whichever event comes
        if (peer != null) {
            release(peer);
        }
    }

    private void release(InetAddress peer) {
        perAddress.computeIfPresent(peer, (a, n) -> n <= 1 ? null : n - 1);
    }

    /** The connections {@code address} holds now (0 when none, or exempt). */
    public int connections(InetAddress address) {
        Integer n = perAddress.get(address);
        return n == null ? 0 : n;
    }

    /** How many addresses hold a counted connection now (the map's size: it shrinks as they close). */
    public int addresses() {
        return perAddress.size();
    }

    private static InetAddress peer(SelectableChannel channel) {
        if (!(channel instanceof SocketChannel socket)) {
            return null;
        }
        try {
            SocketAddress remote = socket.getRemoteAddress(); // cached by the channel: no system call
            return remote instanceof InetSocketAddress inet ? inet.getAddress() : null;
        } catch (IOException e) {
            return null; // already closed: Jetty fails the accept
        }
    }
}
