package io.streamgate.gateway.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.streamgate.filters.testing.MutableClock;
import io.streamgate.filters.testing.TestKeys;
import io.streamgate.gateway.GatewayHarness;
import io.streamgate.gateway.RawHttp;
import io.streamgate.gateway.RecordingOrigin;
import io.streamgate.gateway.runtime.GatewayServer;

/**
 * {@code listen.maxConnectionsPerClient} on a real gateway: clients are raw sockets bound to
 * different loopback addresses (127.0.0.1 and 127.0.0.2 are two peers to the gateway).
 */
class ClientShareTest {
    private static final String A = "127.0.0.1";
    private static final String B = "127.0.0.2";

    @TempDir
    Path dir;

    private final TestKeys key = TestKeys.es256("k1");
    private final MutableClock clock = new MutableClock(java.time.Instant.now());
    private final List<Socket> held = new ArrayList<>();
    private GatewayServer gateway;
    private RecordingOrigin origin;

    @AfterEach
    void stop() throws Exception {
        for (Socket s : held) {
            s.close();
        }
        if (gateway != null) {
            gateway.close();
        }
        if (origin != null) {
            origin.close();
        }
    }

    private void start(String extra) throws Exception {
        origin = new RecordingOrigin();
        gateway = GatewayHarness.start(dir, key, "listen: {host: 127.0.0.1, port: 0, maxConnectionsPerClient: 3}\n"
                + "warmup: {verifications: 0}\nadmin: {host: 127.0.0.1, port: 0}\n"
                + "keys: [{kid: k1, file: key.pem}]\n" + extra
                + "routes: [{name: open, path: /open/, type: http, auth: none, upstream: '" + origin.http() + "/up/'}]\n",
                clock);
    }

    /** A connection from {@code local} to the gateway. */
    private Socket connect(String local) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(local, 0));
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), gateway.port()), 5_000);
        s.setSoTimeout(10_000);
        held.add(s);
        return s;
    }

    /** A keep-alive GET on {@code s}; returns the status, or -1 when the connection gave no answer (closed). */
    private static int get(Socket s, String path) throws IOException {
        try {
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
        } catch (IOException closed) {
            return -1;
        }
        InputStream in = s.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        try {
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    return head.size() == 0 ? -1 : RawHttp.status(head.toString(StandardCharsets.ISO_8859_1));
                }
                head.write(b);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no answer and not closed within 10 s", e);
        } catch (IOException reset) {
            return head.size() == 0 ? -1 : RawHttp.status(head.toString(StandardCharsets.ISO_8859_1));
        }
        String h = head.toString(StandardCharsets.ISO_8859_1);
        int i = h.toLowerCase(java.util.Locale.ROOT).indexOf("content-length:");
        int length = Integer.parseInt(h.substring(i + 15, h.indexOf("\r\n", i)).trim());
        in.readNBytes(length);
        return RawHttp.status(h);
    }

    private String metrics() throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + gateway.adminPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void oneClientCannotHoldMoreThanItsShareOfConnections() throws Exception {
        start("");
        List<Socket> mine = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Socket s = connect(A);
            assertThat(get(s, "/open/" + i)).as("connection %d, within the share", i).isEqualTo(200);
            mine.add(s);
        }
        // the fourth is closed at once, before it is read
        assertThat(get(connect(A), "/open/4")).as("over the share").isEqualTo(-1);
        assertThat(metrics()).contains("streamgate_connections_refused_total{reason=\"client_share\"} 1.0");
        // the three still work (keep-alive)
        for (Socket s : mine) {
            assertThat(get(s, "/open/again")).isEqualTo(200);
        }
        // one closes: its place is free again (the gateway notices the close soon; bounded poll)
        mine.get(0).close();
        int status = -1;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (status != 200 && System.nanoTime() < deadline) {
            status = get(connect(A), "/open/5");
            if (status != 200) {
                Thread.sleep(100); // polling the gateway, bounded
            }
        }
        assertThat(status).as("a connection after one of the three closed").isEqualTo(200);
    }

    @Test
    void anotherClientIsServedWhileOneClientHoldsItsShare() throws Exception {
        start("");
        // client A holds its share with slow bodies (the reported attack)
        for (int i = 0; i < 3; i++) {
            Socket s = connect(A);
            s.getOutputStream().write(("POST /_streamgate/renew HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100000\r\n\r\n{").getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
        }
        // its next connection is refused (connections are accepted in order: the three above count)
        assertThat(get(connect(A), "/open/a")).as("A over its share").isEqualTo(-1);
        // client B is served, on several connections at once
        List<Socket> b = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            b.add(connect(B));
        }
        for (Socket s : b) {
            assertThat(get(s, "/open/b")).as("client B").isEqualTo(200);
        }
    }

    @Test
    void aTrustedProxyIsNotHeldToTheShare() throws Exception {
        start("clientIp: {trustedProxies: [127.0.0.1/32]}\n");
        for (int i = 0; i < 6; i++) {
            assertThat(get(connect(A), "/open/" + i)).as("connection %d from a trusted proxy", i).isEqualTo(200);
        }
        for (int i = 0; i < 3; i++) {
            assertThat(get(connect(B), "/open/b" + i)).isEqualTo(200);
        }
        assertThat(get(connect(B), "/open/b4")).as("an untrusted peer keeps its share").isEqualTo(-1);
    }

    @Test
    void countsArePerAddressAndForgottenAtZero() throws Exception {
        AtomicInteger refused = new AtomicInteger();
        ClientShare share = new ClientShare(2, a -> false, refused::incrementAndGet);
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(A, 0));
            List<SocketChannel> clients = new ArrayList<>();
            List<SocketChannel> accepted = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                SocketChannel c = SocketChannel.open();
                c.bind(new InetSocketAddress(A, 0));
                c.connect(server.getLocalAddress());
                clients.add(c);
                SocketChannel s = server.accept();
                share.onAccepting(s);
                accepted.add(s);
            }
            InetAddress a = InetAddress.getByName(A);
            assertThat(share.connections(a)).isEqualTo(2);
            assertThat(accepted.get(2).isOpen()).as("the third over a share of two").isFalse();
            assertThat(refused.get()).isEqualTo(1);
            share.onAcceptFailed(accepted.get(2), new java.nio.channels.ClosedChannelException()); // as Jetty then reports it
            assertThat(share.connections(a)).isEqualTo(2);
            // closing: each connection is released once, whichever of Jetty's events reports it
            accepted.get(0).close();
            share.onClosed(accepted.get(0));
            share.onAcceptFailed(accepted.get(0), new IOException("late"));
            assertThat(share.connections(a)).isEqualTo(1);
            accepted.get(1).close();
            share.onClosed(accepted.get(1));
            assertThat(share.connections(a)).isZero();
            assertThat(share.addresses()).as("nothing kept for an address at zero").isZero();
            for (SocketChannel c : clients) {
                c.close();
            }
        }
    }
}
