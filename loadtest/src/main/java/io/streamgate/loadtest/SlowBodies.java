package io.streamgate.loadtest;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * N slow senders, the attack of issue 21: each connection sends a request head announcing a
 * {@code --slow-length} body ({@code POST /_streamgate/renew} by default) and then one body byte
 * per {@code interval}, for as long as the server keeps it. A connection the server answers
 * (e.g. {@code 408}) or closes is counted and replaced on its next tick, so N stay open as far
 * as the server lets them. Plain HTTP on raw sockets (no client library would send this
 * slowly); one non-blocking look per connection a second on a small scheduler, nothing read or
 * written in between; connects (blocking, against a full accept queue up to 5 s) on a pool of
 * their own, so that a server that stops accepting does not delay the other senders' bytes. The URL is checked against the {@link TargetPolicy} and its address
 * again before each connect.
 */
final class SlowBodies implements AutoCloseable {
    private static final long TICK_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final InetSocketAddress server;
    private final InetAddress bind;
    private final byte[] head;
    private final long intervalNanos;
    private final int count;
    private final ScheduledExecutorService timer;
    /** Connects (blocking, up to 5 s against a full accept queue) off the timer, so the bytes keep their pace. */
    private final java.util.concurrent.ExecutorService connector;
    private final List<Sender> senders = new ArrayList<>();
    private final AtomicInteger open = new AtomicInteger();
    private final LongAdder opened = new LongAdder();
    private final LongAdder connectFailed = new LongAdder();
    private final LongAdder bytesSent = new LongAdder();
    private final LongAdder answered408 = new LongAdder();
    private final LongAdder answeredOther = new LongAdder();
    private final LongAdder closedUnanswered = new LongAdder();
    private volatile boolean closed;

    /**
     * @param url where to send (http; its path and host are the request's)
     * @param bind the local address to send from, or null (the system's choice)
     */
    SlowBodies(URI url, int count, Duration interval, long length, InetAddress bind, TargetPolicy policy) {
        if (!"http".equalsIgnoreCase(url.getScheme())) {
            throw new UsageException("--slow-url: plain http only, was " + Target.display(url));
        }
        policy.check(url);
        if (count < 0) {
            throw new UsageException("--slow must not be negative, was " + count);
        }
        if (length < 1) {
            throw new UsageException("--slow-length must be positive, was " + length);
        }
        InetAddress address;
        try {
            address = InetAddress.getByName(url.getHost());
        } catch (IOException e) {
            throw new UsageException("--slow-url: cannot resolve " + url.getHost());
        }
        if (!address.isLoopbackAddress() && !policy.allowsHost(url.getHost())) {
            throw new UsageException("--slow-url: " + url.getHost() + " resolves to " + address.getHostAddress()
                    + ", not loopback; pass --allow-host to send to it");
        }
        int port = url.getPort() > 0 ? url.getPort() : 80;
        this.server = new InetSocketAddress(address, port);
        this.bind = bind;
        String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        this.head = ("POST " + path + " HTTP/1.1\r\nHost: " + url.getHost() + (url.getPort() > 0 ? ":" + port : "")
                + "\r\nUser-Agent: streamgate-loadtest\r\nContent-Type: application/json\r\nContent-Length: " + length
                + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        this.intervalNanos = interval.toNanos();
        this.count = count;
        AtomicInteger n = new AtomicInteger();
        this.timer = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "slow-bodies-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.connector = Executors.newFixedThreadPool(16, r -> {
            Thread t = new Thread(r, "slow-bodies-connect-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Opens the senders, spread over one second, and keeps them going until {@link #close()}. */
    void start() {
        for (int i = 0; i < count; i++) {
            Sender s = new Sender();
            senders.add(s);
            timer.scheduleWithFixedDelay(s::tick, TICK_NANOS * i / Math.max(1, count), TICK_NANOS, TimeUnit.NANOSECONDS);
        }
    }

    /** Waits until every sender is connected, at most {@code max}; returns how many are. */
    int awaitOpen(Duration max) {
        long end = System.nanoTime() + max.toNanos();
        while (open.get() < count && System.nanoTime() < end && !closed) {
            LockSupport.parkNanos(20_000_000L);
        }
        return open.get();
    }

    int open() {
        return open.get();
    }

    /** What happened so far: connections opened, answered 408, answered otherwise, closed unanswered, ... */
    Map<String, Long> counts() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("open", (long) open.get());
        m.put("opened", opened.sum());
        m.put("answered408", answered408.sum());
        m.put("answeredOther", answeredOther.sum());
        m.put("closedUnanswered", closedUnanswered.sum());
        m.put("connectFailed", connectFailed.sum());
        m.put("bodyBytesSent", bytesSent.sum());
        return m;
    }

    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
        connector.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
            connector.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Sender s : senders) {
            s.drop();
        }
    }

    /**
     * One connection at a time; its tick (never two at once: fixed delay) and its connect (on
     * the connector, while no channel is set) take turns under the instance's lock.
     */
    private final class Sender {
        private final ByteBuffer in = ByteBuffer.allocate(64);
        private SocketChannel channel;
        private boolean connecting;
        private long nextByte;

        synchronized void tick() {
            if (closed || connecting) {
                return;
            }
            try {
                if (channel == null) {
                    connecting = true;
                    try {
                        connector.execute(this::connect);
                    } catch (java.util.concurrent.RejectedExecutionException e) {
                        connecting = false; // closing
                    }
                    return;
                }
                in.clear();
                int n = channel.read(in);
                if (n != 0) {
                    if (n < 0) {
                        closedUnanswered.increment();
                    } else {
                        String s = new String(in.array(), 0, in.position(), StandardCharsets.ISO_8859_1);
                        (s.startsWith("HTTP/1.1 408") ? answered408 : answeredOther).increment();
                    }
                    drop(); // replaced on the next tick
                    return;
                }
                long now = System.nanoTime();
                if (now - nextByte >= 0) {
                    channel.write(ByteBuffer.wrap(new byte[] {'{'}));
                    bytesSent.increment();
                    nextByte = now + intervalNanos;
                }
            } catch (IOException e) {
                if (channel != null) {
                    closedUnanswered.increment();
                }
                drop();
            }
        }

        private void connect() {
            SocketChannel c = null;
            try {
                c = SocketChannel.open();
                if (bind != null) {
                    c.bind(new InetSocketAddress(bind, 0));
                }
                c.socket().connect(server, 5_000);
                c.write(ByteBuffer.wrap(head));
                c.configureBlocking(false);
                synchronized (this) {
                    connecting = false;
                    if (closed) {
                        c.close();
                        return;
                    }
                    channel = c;
                    nextByte = System.nanoTime() + intervalNanos; // the head now, the first byte one interval later
                }
                opened.increment();
                open.incrementAndGet();
            } catch (IOException e) {
                connectFailed.increment();
                synchronized (this) {
                    connecting = false;
                }
                if (c != null) {
                    try {
                        c.close();
                    } catch (IOException ignored) {
                        // closing anyway
                    }
                }
            }
        }

        synchronized void drop() {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
                channel = null;
                open.decrementAndGet();
            }
        }
    }
}
