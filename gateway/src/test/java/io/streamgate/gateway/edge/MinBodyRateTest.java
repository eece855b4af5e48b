package io.streamgate.gateway.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.jose4j.json.JsonUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.streamgate.filters.testing.MutableClock;
import io.streamgate.filters.testing.TestKeys;
import io.streamgate.filters.testing.Tokens;
import io.streamgate.gateway.GatewayHarness;
import io.streamgate.gateway.RawHttp;
import io.streamgate.gateway.runtime.GatewayServer;

/**
 * {@code listen.minBodyRate} on a real gateway: slow senders on raw sockets, time moved by the
 * test's clock (the gateway measures waits in it), so nothing here depends on how fast this
 * machine is. A body sent a byte per (test) second against the default 1 KiB/s floor is cut;
 * a body at full speed, or one held back by a slow origin, is not.
 */
class MinBodyRateTest {
    @TempDir
    Path dir;

    private final TestKeys key = TestKeys.es256("k1");
    private final MutableClock clock = new MutableClock(java.time.Instant.now());
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private GatewayServer gateway;
    private Server origin;
    private final CountDownLatch originMayRead = new CountDownLatch(1);
    private final AtomicLong originBytes = new AtomicLong();

    @AfterEach
    void stop() throws Exception {
        originMayRead.countDown();
        if (gateway != null) {
            gateway.close();
        }
        if (origin != null) {
            origin.stop();
        }
    }

    /** More top-level configuration for {@link #start}. */
    private String extraYaml = "";

    private void start(String listenExtra, Clock c) throws Exception {
        startOrigin();
        String up = "http://127.0.0.1:" + ((ServerConnector) origin.getConnectors()[0]).getLocalPort();
        gateway = GatewayHarness.start(dir, key, extraYaml + "listen: {host: 127.0.0.1, port: 0" + listenExtra + "}\n"
                + "warmup: {verifications: 0}\nadmin: {host: 127.0.0.1, port: 0}\n"
                + "keys: [{kid: k1, file: key.pem}]\nhls: {sessionSecret: test-session-secret-0123456789abcdef}\n"
                + "routes:\n"
                + "  - {name: upload, path: /upload/, type: http, auth: none, methods: [POST], upstream: '" + up + "/'}\n"
                + "  - {name: held, path: /held/, type: http, auth: none, methods: [POST], upstream: '" + up + "/held/'}\n"
                + "  - {name: live, path: /live/, type: http, methods: [GET, POST], upstream: '" + up + "/'}\n", c);
    }

    /** An origin that counts the bytes of each body (under /held/: only once the test lets it read). */
    private void startOrigin() throws Exception {
        origin = new Server();
        ServerConnector connector = new ServerConnector(origin);
        connector.setHost("127.0.0.1");
        origin.addConnector(connector);
        origin.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                if (request.getHttpURI().getPath().startsWith("/held/")) {
                    originMayRead.await(60, TimeUnit.SECONDS); // a test origin: blocking is fine here
                }
                long n = 0;
                try (InputStream in = Content.Source.asInputStream(request)) {
                    byte[] buf = new byte[64 * 1024];
                    int r;
                    while ((r = in.read(buf)) > 0) {
                        n += r;
                    }
                }
                originBytes.set(n);
                Content.Sink.write(response, true, "got " + n, callback);
                return true;
            }
        });
        origin.start();
    }

    /**
     * Sends {@code head} and then one body byte per round, moving the gateway's clock one second
     * each round, until an answer comes (at most {@code rounds} rounds); returns the answer, read
     * to the end of the connection, which must then be closed.
     */
    private String trickle(int port, String head, int rounds) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            OutputStream out = s.getOutputStream();
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            String first = "";
            for (int i = 0; i < rounds && first.isEmpty(); i++) {
                try {
                    out.write('x');
                    out.flush();
                } catch (IOException closed) {
                    break; // the gateway has answered and closed: read what it said
                }
                clock.advance(Duration.ofSeconds(1));
                s.setSoTimeout(200); // paces the rounds; the gateway looks at a waiting body every second
                try {
                    int b = in.read();
                    first = b < 0 ? "" : String.valueOf((char) b);
                    if (b < 0) {
                        break;
                    }
                } catch (SocketTimeoutException stillWaiting) {
                    // no answer yet
                }
            }
            s.setSoTimeout(10_000);
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            answer.write(first.getBytes(StandardCharsets.ISO_8859_1));
            try {
                in.transferTo(answer); // to the end: a SocketTimeoutException here means it stayed open
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the connection stayed open after: " + answer, e);
            } catch (IOException reset) {
                // closed with unread bytes of ours: what came is the answer
            }
            return answer.toString(StandardCharsets.ISO_8859_1);
        }
    }

    private String metrics() throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.adminPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static void assertCutWith408(String answer) throws Exception {
        assertThat(RawHttp.status(answer)).as(answer).isEqualTo(408);
        assertThat(answer).containsIgnoringCase("Content-Type: application/json").containsIgnoringCase("Connection: close");
        assertThat(JsonUtil.parseJson(RawHttp.body(answer))).containsEntry("error", "request_timeout")
                .containsEntry("reason", "body_too_slow");
    }

    @Test
    void aBodySlowerThanMinBodyRateIsCutWith408() throws Exception {
        start("", clock); // the default floor: 1 KiB/s
        // the reported attack: a renewal announcing 100,000 bytes, sent a byte at a time
        String answer = trickle(gateway.port(), "POST /_streamgate/renew HTTP/1.1\r\nHost: x\r\n"
                + "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n", 150);
        assertCutWith408(answer);
        assertThat(metrics()).contains("streamgate_connections_refused_total{reason=\"min_body_rate\"} 1.0");
        // the gateway keeps serving
        assertThat(http.send(HttpRequest.newBuilder(gateway.uri().resolve("/upload/a"))
                .POST(HttpRequest.BodyPublishers.ofString("hello")).build(),
                HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("got 5");
    }

    @Test
    void aCutRequestsAccessLineSaysBodyTooSlowAndItsAnswerCarriesTheSameRequestId() throws Exception {
        extraYaml = "log: {format: json, access: true}\n";
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        io.streamgate.gateway.logging.Logging.configure(new io.streamgate.gateway.config.GatewayConfig.Log(
                io.streamgate.gateway.config.GatewayConfig.LogLevel.INFO,
                io.streamgate.gateway.config.GatewayConfig.LogFormat.JSON, true), captured);
        try {
            start("", clock);
            String answer = trickle(gateway.port(), "POST /_streamgate/renew HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n", 150);
            assertCutWith408(answer);
            String id = answer.lines().filter(l -> l.regionMatches(true, 0, "X-Request-Id:", 0, 13))
                    .map(l -> l.substring(13).trim()).findFirst().orElse(null);
            gateway.close(); // the access line is written when the request ends; stopping flushes the rest
            gateway = null;
            io.streamgate.gateway.logging.Logging.restoreDefault();
            com.fasterxml.jackson.databind.ObjectMapper m = new com.fasterxml.jackson.databind.ObjectMapper();
            java.util.List<com.fasterxml.jackson.databind.JsonNode> access = new java.util.ArrayList<>();
            for (String l : captured.toString(java.nio.charset.StandardCharsets.UTF_8).lines().toList()) {
                com.fasterxml.jackson.databind.JsonNode n = m.readTree(l);
                if ("streamgate.access".equals(n.path("logger").asText())) {
                    access.add(n);
                }
            }
            // regression: the line gave the handler's answer to its failed read (malformed_request),
            // and the 408 a request id of its own
            assertThat(access).singleElement().satisfies(n -> {
                assertThat(n.path("status").asInt()).isEqualTo(408);
                assertThat(n.path("reason").asText()).isEqualTo("body_too_slow");
                assertThat(n.path("requestId").asText()).isEqualTo(id);
            });
            assertThat(id).isNotNull();
        } finally {
            io.streamgate.gateway.logging.Logging.restoreDefault();
        }
    }

    @Test
    void aSlowBodyOnAProxiedRouteIsCutWith408() throws Exception {
        start("", clock);
        // the proxy streams the body upstream as it comes: the wait for the client is what is charged
        String answer = trickle(gateway.port(), "POST /upload/slow HTTP/1.1\r\nHost: x\r\n"
                + "Content-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n", 150);
        assertCutWith408(answer);
        // the origin did not fail: nothing is counted against it
        assertThat(metrics()).contains("streamgate_connections_refused_total{reason=\"min_body_rate\"} 1.0")
                .doesNotContain("streamgate_upstream_seconds_count{route=\"upload\"");
    }

    @Test
    void aSlowChunkedBodyIsCutWith408() throws Exception {
        start("", clock);
        String answer = trickle(gateway.port(), "POST /upload/chunked HTTP/1.1\r\nHost: x\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n186A0\r\n", 150);
        assertCutWith408(answer);
    }

    @Test
    void aSlowBodyOnTheAdminListenerIsCutWith408() throws Exception {
        start("", clock);
        String answer = trickle(gateway.adminPort(), "POST /revocations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n", 150);
        assertCutWith408(answer);
    }

    @Test
    void aDeniedRequestsUnreadBodyDoesNotHoldItsConnection() throws Exception {
        start("", clock);
        // no token: denied at once; the gateway never reads the body, and does not wait for it
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), gateway.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("POST /live/x HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nxyz")
                    .getBytes(StandardCharsets.ISO_8859_1));
            String answer = RawHttp.readAll(s.getInputStream());
            assertThat(RawHttp.status(answer)).isEqualTo(401);
            assertThat(s.getInputStream().read()).as("the connection is closed after the answer").isEqualTo(-1);
        }
    }

    @Test
    void aBodyAtANormalRateStillPasses() throws Exception {
        start(", minBodyRate: 1024", Clock.systemUTC()); // real time: a full-speed upload never nears the floor
        long size = 64L << 20;
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(gateway.uri().resolve("/upload/big"))
                .timeout(Duration.ofSeconds(120))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new Zeros(size, null))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("got " + size);
    }

    @Test
    void aBodyHeldBackByASlowOriginIsNotChargedToTheClient() throws Exception {
        start("", clock);
        long size = 256L << 20; // more than every buffer between client and origin: the upload stalls
        AtomicLong sent = new AtomicLong();
        var reply = http.sendAsync(HttpRequest.newBuilder(gateway.uri().resolve("/held/big"))
                .timeout(Duration.ofSeconds(120))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new Zeros(size, sent))).build(),
                HttpResponse.BodyHandlers.ofString());
        // wait (bounded) until the client cannot send: the origin does not read, so neither does the proxy
        long last = -1;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            long now = sent.get();
            if (now > 0 && now == last) {
                break;
            }
            last = now;
            Thread.sleep(1_000); // polling the client's progress, bounded
        }
        assertThat(sent.get()).as("the upload stalled before its end").isLessThan(size);
        // a minute passes while the gateway waits for the origin, not for the client
        clock.advance(Duration.ofSeconds(60));
        originMayRead.countDown();
        HttpResponse<String> r = reply.get(120, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("got " + size);
    }

    @Test
    void zeroTurnsTheCheckOff() throws Exception {
        start(", minBodyRate: 0", clock);
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), gateway.port())) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /upload/slow HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nx")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            clock.advance(Duration.ofHours(1));
            out.write('y');
            out.flush();
            clock.advance(Duration.ofHours(1));
            out.write('z');
            out.flush();
            s.setSoTimeout(10_000);
            String answer = new String(s.getInputStream().readNBytes(12), StandardCharsets.ISO_8859_1);
            assertThat(answer).isEqualTo("HTTP/1.1 200");
        }
    }

    @Test
    void aViewerWithoutABodyIsNeverLookedAt() throws Exception {
        start("", clock);
        String t = Tokens.signedBy(key, clock).sign();
        clock.advance(Duration.ofSeconds(1));
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(gateway.uri().resolve("/live/a?token=" + t)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(metrics()).contains("streamgate_connections_refused_total{reason=\"min_body_rate\"} 0.0");
    }

    /** {@code size} zero bytes, counting what was read into {@code sent}. */
    private static final class Zeros extends InputStream {
        private final long size;
        private final AtomicLong sent;
        private long pos;

        Zeros(long size, AtomicLong sent) {
            this.size = size;
            this.sent = sent;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : 0;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (pos >= size) {
                return -1;
            }
            int n = (int) Math.min(len, size - pos);
            java.util.Arrays.fill(b, off, off + n, (byte) 0);
            pos += n;
            if (sent != null) {
                sent.set(pos);
            }
            return n;
        }
    }
}
