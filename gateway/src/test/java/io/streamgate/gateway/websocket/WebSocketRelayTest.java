package io.streamgate.gateway.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.ee10.websocket.server.JettyWebSocketServlet;
import org.eclipse.jetty.ee10.websocket.server.JettyWebSocketServletFactory;
import org.eclipse.jetty.ee10.websocket.server.config.JettyWebSocketServletContainerInitializer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.exceptions.UpgradeException;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.streamgate.filters.testing.MutableClock;
import io.streamgate.filters.testing.TestKeys;
import io.streamgate.filters.testing.Tokens;
import io.streamgate.gateway.GatewayHarness;
import io.streamgate.gateway.runtime.GatewayServer;

/** The WebSocket relay between a real Jetty WebSocket client and a real WebSocket origin. */
class WebSocketRelayTest {
    @TempDir
    Path dir;

    private final TestKeys key = TestKeys.es256("k1");
    private final MutableClock clock = new MutableClock(java.time.Instant.now());
    private final Map<String, Object> seen = new ConcurrentHashMap<>();
    private final BlockingQueue<Integer> originCloses = new LinkedBlockingQueue<>();
    private final AtomicInteger floodCompleted = new AtomicInteger();
    /** A {@code slow=1} upgrade reached the origin, which holds its handshake until released. */
    private final java.util.concurrent.CountDownLatch slowHandshakeArrived = new java.util.concurrent.CountDownLatch(1);
    private final java.util.concurrent.CountDownLatch slowHandshakeRelease = new java.util.concurrent.CountDownLatch(1);
    private final java.util.concurrent.ScheduledExecutorService ticker =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    private Server origin;
    private int originPort;
    private GatewayServer gateway;
    private WebSocketClient client;

    /** The origin: echoes, obeys "close:CODE" and "flood:N", records the upgrade request. */
    public final class OriginEndpoint implements Session.Listener.AutoDemanding {
        private volatile Session session;

        @Override
        public void onWebSocketOpen(Session s) {
            session = s;
        }

        @Override
        public void onWebSocketText(String message) {
            if (message.startsWith("close:")) {
                session.close(Integer.parseInt(message.substring(6)), "origin closed", Callback.NOOP);
            } else if (message.startsWith("flood:")) {
                flood(Integer.parseInt(message.substring(6)));
            } else if (message.equals("stream")) {
                // 1 KiB every 2 ms until closed: a live stream, so closes race with frames
                ticker.scheduleAtFixedRate(() -> {
                    if (session.isOpen()) {
                        session.sendBinary(ByteBuffer.allocate(1024), Callback.NOOP);
                    }
                }, 0, 2, TimeUnit.MILLISECONDS);
            } else {
                session.sendText(message, Callback.NOOP);
            }
        }

        private void flood(int remaining) {
            if (remaining == 0) {
                return;
            }
            session.sendBinary(ByteBuffer.allocate(64 * 1024), Callback.from(() -> {
                floodCompleted.incrementAndGet();
                flood(remaining - 1);
            }, x -> { }));
        }

        @Override
        public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
            ByteBuffer copy = ByteBuffer.allocate(payload.remaining()).put(payload).flip();
            session.sendBinary(copy, Callback.from(callback::succeed, callback::fail));
        }

        @Override
        public void onWebSocketClose(int statusCode, String reason, Callback callback) {
            originCloses.add(statusCode);
            callback.succeed();
        }
    }

    public final class OriginServlet extends JettyWebSocketServlet {
        @Override
        protected void configure(JettyWebSocketServletFactory factory) {
            factory.setMaxBinaryMessageSize(8 << 20);
            factory.setCreator((req, resp) -> {
                if (String.valueOf(req.getQueryString()).contains("slow=1")) {
                    // a slow origin handshake: held until the test lets it go (bounded)
                    slowHandshakeArrived.countDown();
                    try {
                        slowHandshakeRelease.await(15, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                seen.put("protocols", req.getSubProtocols());
                seen.put("query", String.valueOf(req.getQueryString()));
                seen.put("headers", req.getHeaders().toString());
                if (!req.getSubProtocols().isEmpty()) {
                    resp.setAcceptedSubProtocol(req.getSubProtocols().get(0));
                }
                return new OriginEndpoint();
            });
        }
    }

    /** A viewer: collects messages; with {@code autoRead} false it reads one frame per {@link #read}. */
    public static final class Viewer implements Session.Listener {
        final BlockingQueue<Object> messages = new LinkedBlockingQueue<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        final boolean autoRead;
        volatile Session session;

        Viewer(boolean autoRead) {
            this.autoRead = autoRead;
        }

        @Override
        public void onWebSocketOpen(Session s) {
            session = s;
            s.demand();
        }

        @Override
        public void onWebSocketText(String message) {
            messages.add(message);
            if (autoRead) {
                session.demand();
            }
        }

        @Override
        public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
            messages.add(ByteBuffer.allocate(payload.remaining()).put(payload).flip());
            callback.succeed();
            if (autoRead) {
                session.demand();
            }
        }

        @Override
        public void onWebSocketClose(int statusCode, String reason, Callback callback) {
            closed.complete(statusCode);
            callback.succeed();
        }

        void read() {
            session.demand();
        }

        Object next() throws InterruptedException {
            Object m = messages.poll(10, TimeUnit.SECONDS);
            assertThat(m).as("a message within 10s").isNotNull();
            return m;
        }
    }

    @BeforeEach
    void start() throws Exception {
        origin = new Server();
        ServerConnector c = new ServerConnector(origin);
        c.setHost("127.0.0.1");
        c.setPort(0);
        origin.addConnector(c);
        ServletContextHandler ctx = new ServletContextHandler();
        ctx.addServlet(new ServletHolder(new OriginServlet()), "/stream/*");
        JettyWebSocketServletContainerInitializer.configure(ctx, null);
        origin.setHandler(ctx);
        origin.start();
        originPort = c.getLocalPort();
        client = new WebSocketClient();
        client.setMaxBinaryMessageSize(8 << 20);
        client.start();
    }

    @AfterEach
    void stop() throws Exception {
        slowHandshakeRelease.countDown();
        ticker.shutdownNow();
        client.stop();
        if (gateway != null) {
            gateway.close();
        }
        origin.stop();
    }

    private void gateway(String routeExtra, String verifyExtra) throws Exception {
        gateway = GatewayHarness.start(dir, key, GatewayHarness.head(key, 0) + verifyExtra
                + "routes:\n  - {name: live, path: /ws/live, type: websocket, upstream: 'ws://127.0.0.1:" + originPort
                + "/stream/x', claimHeaders: {sub: X-Viewer-Id}, require: [{claim: streams, contains: '{query.streamname}'}]"
                + routeExtra + "}\n", clock);
    }

    private Tokens token() {
        return Tokens.signedBy(key, clock).claim("streams", List.of("s1")).claim("sub", "v1");
    }

    private URI uri(String query) {
        return URI.create("ws://127.0.0.1:" + gateway.port() + "/ws/live?" + query);
    }

    private Viewer connect(String query, boolean autoRead, String... protocols) throws Exception {
        Viewer v = new Viewer(autoRead);
        ClientUpgradeRequest req = new ClientUpgradeRequest();
        if (protocols.length > 0) {
            req.setSubProtocols(protocols);
        }
        client.connect(v, uri(query), req).get(10, TimeUnit.SECONDS);
        return v;
    }

    @Test
    void textAndBinaryFramesRelayBothWays() throws Exception {
        gateway("", "");
        Viewer v = connect("streamname=s1&token=" + token().sign(), true);
        v.session.sendText("hello", Callback.NOOP);
        assertThat(v.next()).isEqualTo("hello");
        byte[] payload = new byte[300_000];
        new java.util.Random(1).nextBytes(payload);
        v.session.sendBinary(ByteBuffer.wrap(payload), Callback.NOOP);
        ByteBuffer echoed = (ByteBuffer) v.next();
        byte[] got = new byte[echoed.remaining()];
        echoed.get(got);
        assertThat(got).isEqualTo(payload);
    }

    @Test
    void aBurstOfPingsInOneWriteKeepsTheSessionOpen() throws Exception {
        gateway("", "");
        try (java.net.Socket raw = new java.net.Socket("127.0.0.1", gateway.port())) {
            raw.setSoTimeout(10_000);
            java.io.OutputStream out = raw.getOutputStream();
            out.write(("GET /ws/live?streamname=s1&token=" + token().sign() + " HTTP/1.1\r\n"
                    + "Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.flush();
            java.io.DataInputStream in = new java.io.DataInputStream(new java.io.BufferedInputStream(raw.getInputStream()));
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                head.append((char) in.readUnsignedByte());
            }
            assertThat(head.toString()).startsWith("HTTP/1.1 101");
            java.io.ByteArrayOutputStream burst = new java.io.ByteArrayOutputStream();
            for (int i = 0; i < 100; i++) {
                burst.write(maskedFrame(0x9, new byte[] {(byte) i}));
            }
            burst.write(maskedFrame(0x1, "after the pings".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            out.write(burst.toByteArray()); // one write
            out.flush();
            // regression: the session ended with 1011. Now pongs may come back; then the echo.
            while (true) {
                int b0 = in.readUnsignedByte();
                int len = in.readUnsignedByte() & 0x7f;
                byte[] payload = new byte[len];
                in.readFully(payload);
                int op = b0 & 0x0f;
                assertThat(op).as("no close frame (was 1011)").isNotEqualTo(0x8);
                if (op == 0x1) {
                    assertThat(new String(payload, java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("after the pings");
                    break;
                }
            }
        }
    }

    private static byte[] maskedFrame(int opcode, byte[] payload) {
        byte[] mask = {1, 2, 3, 4};
        byte[] f = new byte[2 + 4 + payload.length];
        f[0] = (byte) (0x80 | opcode);
        f[1] = (byte) (0x80 | payload.length);
        System.arraycopy(mask, 0, f, 2, 4);
        for (int i = 0; i < payload.length; i++) {
            f[6 + i] = (byte) (payload[i] ^ mask[i % 4]);
        }
        return f;
    }

    @Test
    void fragmentedMessagesArriveWhole() throws Exception {
        gateway("", "");
        Viewer v = connect("streamname=s1&token=" + token().sign(), true);
        CompletableFuture<Void> sent = new CompletableFuture<>();
        v.session.sendPartialText("frag", false, Callback.from(() ->
                v.session.sendPartialText("mented", true, Callback.from(() -> sent.complete(null), sent::completeExceptionally)),
                sent::completeExceptionally));
        sent.get(10, TimeUnit.SECONDS);
        assertThat(v.next()).isEqualTo("fragmented");
    }

    @Test
    void originCloseCodeReachesTheViewer() throws Exception {
        gateway("", "");
        Viewer v = connect("streamname=s1&token=" + token().sign(), true);
        v.session.sendText("close:4001", Callback.NOOP);
        assertThat(v.closed.get(10, TimeUnit.SECONDS)).isEqualTo(4001);
    }

    @Test
    void viewerCloseCodeReachesTheOrigin() throws Exception {
        gateway("", "");
        Viewer v = connect("streamname=s1&token=" + token().sign(), true);
        v.session.sendText("ping", Callback.NOOP);
        assertThat(v.next()).isEqualTo("ping");
        v.session.close(4002, "bye", Callback.NOOP);
        assertThat(originCloses.poll(10, TimeUnit.SECONDS)).isEqualTo(4002);
    }

    @Test
    void upgradeWithoutTokenIs401NeverA101() throws Exception {
        gateway("", "");
        assertThatThrownBy(() -> connect("streamname=s1", true))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(UpgradeException.class)
                .satisfies(e -> assertThat(((UpgradeException) e.getCause()).getResponseStatusCode()).isEqualTo(401));
        assertThat(seen).isEmpty();
    }

    @Test
    void upgradeForAnotherStreamIs403() throws Exception {
        gateway("", "");
        assertThatThrownBy(() -> connect("streamname=other&token=" + token().sign(), true))
                .hasCauseInstanceOf(UpgradeException.class)
                .satisfies(e -> assertThat(((UpgradeException) e.getCause()).getResponseStatusCode()).isEqualTo(403));
    }

    @Test
    void tokenAsSubprotocolIsAcceptedNeverEchoedNorForwarded() throws Exception {
        gateway("", "");
        String t = token().sign();
        Viewer v = connect("streamname=s1", true, "h5live", t);
        assertThat(v.session.getUpgradeResponse().getAcceptedSubProtocol()).isEqualTo("h5live");
        assertThat(seen.get("protocols")).isEqualTo(List.of("h5live"));
        assertThat((String) seen.get("headers")).doesNotContain(t);
        assertThat((String) seen.get("query")).isEqualTo("streamname=s1");
        assertThat((String) seen.get("headers")).contains("X-Viewer-Id=[v1]");
    }

    @Test
    void tokenInQueryIsStrippedBeforeTheOrigin() throws Exception {
        gateway("", "");
        String t = token().sign();
        connect("streamname=s1&token=" + t, true);
        assertThat((String) seen.get("query")).isEqualTo("streamname=s1");
        assertThat((String) seen.get("headers")).doesNotContain(t);
    }

    @Test
    void originDownIs502NeverA101() throws Exception {
        gateway("", "");
        origin.stop();
        assertThatThrownBy(() -> connect("streamname=s1&token=" + token().sign(), true))
                .hasCauseInstanceOf(UpgradeException.class)
                .satisfies(e -> assertThat(((UpgradeException) e.getCause()).getResponseStatusCode()).isEqualTo(502));
    }

    @Test
    void aSilentOriginIs504NeverA101() throws Exception {
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            gateway = GatewayHarness.start(dir, key, GatewayHarness.head(key, 0) + "proxy: {connectTimeout: 1s}\n"
                    + "routes:\n  - {name: live, path: /ws/live, type: websocket, upstream: 'ws://127.0.0.1:"
                    + silent.getLocalPort() + "/stream/x'}\n", clock);
            // regression: the client wraps the handshake timeout in an UpgradeException, answered 502
            assertThatThrownBy(() -> connect("token=" + token().sign(), true))
                    .hasCauseInstanceOf(UpgradeException.class)
                    .satisfies(e -> assertThat(((UpgradeException) e.getCause()).getResponseStatusCode()).isEqualTo(504));
        }
    }

    @Test
    void slowViewerBackPressuresTheOrigin() throws Exception {
        gateway(", maxMessageSize: 1048576", "");
        Viewer v = connect("streamname=s1&token=" + token().sign(), false); // reads one frame per read()
        int frames = 2000; // 125 MiB if nothing held the origin back
        v.session.sendText("flood:" + frames, Callback.NOOP);
        // The origin's sends complete only as fast as the viewer reads: wait until they stall.
        int last = -1;
        for (int i = 0; i < 40 && floodCompleted.get() != last; i++) {
            last = floodCompleted.get();
            Thread.sleep(250); // bounded poll for a plateau
        }
        int stalled = floodCompleted.get();
        assertThat(stalled).as("origin sends completed while the viewer did not read").isLessThan(frames / 4);
        // Reading resumes the flow and everything arrives.
        int received = 0;
        while (received < frames) { // one demand is always outstanding: the first from onOpen
            Object m = v.messages.poll(10, TimeUnit.SECONDS);
            assertThat(m).as("frame %d", received).isNotNull();
            received++;
            if (received < frames) {
                v.read();
            }
        }
        assertThat(floodCompleted.get()).isEqualTo(frames);
    }

    @Test
    void onExpiryCloseEndsTheSessionWith1008() throws Exception {
        gateway(", onExpiry: close", "verify: {leeway: 0s}\n");
        // nbf/iat from the gateway's clock (leeway 0: a wall-clock nbf a second ahead would be
        // not_yet_valid); exp 2 s of real time ahead, since the relay closes on real time.
        Viewer v = connect("streamname=s1&token=" + Tokens.signedBy(key, clock).claim("streams", List.of("s1"))
                .claim("exp", System.currentTimeMillis() / 1000 + 2).sign(), true);
        assertThat(v.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1008);
        assertThat(originCloses.poll(10, TimeUnit.SECONDS)).as("the origin's close code").isEqualTo(1008);
    }

    @Test
    void gracefulStopClosesBothLegsWith1001() throws Exception {
        gateway("", "");
        Viewer v = connect("streamname=s1&token=" + token().sign(), true);
        v.session.sendText("hello", Callback.NOOP);
        assertThat(v.next()).isEqualTo("hello");
        gateway.close();
        gateway = null;
        assertThat(v.closed.get(15, TimeUnit.SECONDS)).isEqualTo(1001);
        assertThat(originCloses.poll(10, TimeUnit.SECONDS)).as("the origin's close code").isEqualTo(1001);
    }

    /**
     * While the origin streams, the viewer still gets 1008 and the origin's session ends. Its
     * close code is 1008 or 1006: websocket-core drops a connection right after sending a close
     * code other than 1000/3000+, and frames the origin sends meanwhile can turn that into a
     * reset before the origin reads the close frame (a limitation of Jetty's core, noted in the
     * README). Regression: the gateway itself failed the reading leg then, always 1006.
     */
    @Test
    void onExpiryWhileTheOriginStreamsEndsBothLegs() throws Exception {
        gateway(", onExpiry: close", "verify: {leeway: 0s}\n");
        Viewer v = connect("streamname=s1&token=" + Tokens.signedBy(key, clock).claim("streams", List.of("s1"))
                .claim("exp", System.currentTimeMillis() / 1000 + 2).sign(), true);
        v.session.sendText("stream", Callback.NOOP);
        assertThat(v.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1008);
        assertThat(originCloses.poll(10, TimeUnit.SECONDS)).as("the origin's session ends").isIn(1008, 1006);
    }

    @Test
    void aViewerHangingUpDuringTheOriginsHandshakeLeavesNoOriginSession() throws Exception {
        gateway("", "");
        try (java.net.Socket raw = new java.net.Socket("127.0.0.1", gateway.port())) {
            raw.getOutputStream().write(("GET /ws/live?streamname=s1&slow=1&token=" + token().sign() + " HTTP/1.1\r\n"
                    + "Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            raw.getOutputStream().flush();
            assertThat(slowHandshakeArrived.await(15, TimeUnit.SECONDS))
                    .as("the gateway is waiting for the origin's handshake").isTrue();
            raw.setSoLinger(true, 0); // then the viewer is gone: RST
        }
        slowHandshakeRelease.countDown(); // the origin answers only after the viewer hung up
        // regression: the origin's session stayed open until the route's idle timeout (5 min)
        assertThat(originCloses.poll(10, TimeUnit.SECONDS)).as("the origin's session is closed").isNotNull();
    }

    @Test
    void aPlainGetDoesNotConsumeAOneTimeTokenBeforeTheUpgrade() throws Exception {
        gateway("", "replay: {mode: once}\n");
        String t = token().sign();
        java.net.http.HttpResponse<String> preview = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port()
                        + "/ws/live?streamname=s1&token=" + t)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(preview.statusCode()).isEqualTo(426);
        Viewer v = connect("streamname=s1&token=" + t, true);
        assertThat(v.session.isOpen()).as("the player's upgrade still admits the one-time token").isTrue();
        assertThatThrownBy(() -> connect("streamname=s1&token=" + t, true))
                .hasCauseInstanceOf(UpgradeException.class)
                .satisfies(e -> assertThat(((UpgradeException) e.getCause()).getResponseStatusCode()).isEqualTo(401));
    }

    @Test
    void nonUpgradeRequestToAWebSocketRouteIs426() throws Exception {
        gateway("", "");
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port()
                        + "/ws/live?streamname=s1&token=" + token().sign())).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(426);
    }

    @Test
    void permessageDeflateOfferedByTheViewerIsDeclined() throws Exception {
        // media frames are compressed already; a zlib context per session would cost ~116 KB
        gateway("", "");
        Viewer v = new Viewer(true);
        ClientUpgradeRequest req = new ClientUpgradeRequest();
        req.addExtensions("permessage-deflate");
        client.connect(v, uri("streamname=s1&token=" + token().sign()), req).get(10, TimeUnit.SECONDS);
        assertThat(v.session.getUpgradeResponse().getExtensions()).isEmpty();
        v.session.sendText("still relayed", Callback.NOOP);
        assertThat(v.next()).isEqualTo("still relayed");
    }

    @Test
    void aMessageOverTheLimitSentInSmallFramesIsClosedWith1009() throws Exception {
        gateway(", maxMessageSize: 1024", "");
        Viewer v = connect("streamname=s1&token=" + token().sign(), true);
        v.session.sendText("under the limit", Callback.NOOP);
        assertThat(v.next()).isEqualTo("under the limit");
        // three 512-byte frames of one message: each frame fits, the message does not
        CompletableFuture<Void> sent = new CompletableFuture<>();
        ByteBuffer part = ByteBuffer.allocate(512);
        v.session.sendPartialBinary(part.duplicate(), false, Callback.from(() ->
                v.session.sendPartialBinary(part.duplicate(), false, Callback.from(() ->
                        v.session.sendPartialBinary(part.duplicate(), true, Callback.from(() -> sent.complete(null),
                                x -> sent.complete(null))), x -> sent.complete(null))), x -> sent.complete(null)));
        assertThat(v.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1009);
        // regression: onError closed the origin's leg with 1011 before the real code was known
        assertThat(originCloses.poll(10, TimeUnit.SECONDS)).as("the origin's close code").isEqualTo(1009);
    }
}
