package io.streamgate.gateway.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.streamgate.filters.testing.MutableClock;
import io.streamgate.filters.testing.TestKeys;
import io.streamgate.filters.testing.Tokens;
import io.streamgate.gateway.GatewayHarness;
import io.streamgate.gateway.RecordingOrigin;
import io.streamgate.gateway.runtime.GatewayServer;

/**
 * A WebSocket upgrade holds no pool thread while the origin handshakes: with more pending
 * upgrades than the server has threads (256), to an origin that accepts TCP and never
 * answers, requests on an http route keep being served at once, and each pending upgrade
 * ends as a 502/504 denial, never a 101.
 */
class UpgradeThreadsTest {
    private static final int UPGRADES = 300;

    @TempDir
    Path dir;

    private final TestKeys key = TestKeys.es256("k1");
    private final MutableClock clock = new MutableClock(java.time.Instant.now());
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<Socket> held = new CopyOnWriteArrayList<>();
    private final List<Socket> viewers = new ArrayList<>();
    private final java.util.concurrent.CountDownLatch accepted = new java.util.concurrent.CountDownLatch(64);
    private ServerSocket silent;
    private RecordingOrigin origin;
    private GatewayServer gateway;

    @AfterEach
    void stop() throws Exception {
        for (Socket s : viewers) {
            s.close();
        }
        if (gateway != null) {
            gateway.close();
        }
        if (silent != null) {
            silent.close();
        }
        for (Socket s : held) {
            s.close();
        }
        if (origin != null) {
            origin.close();
        }
    }

    @Test
    void pendingUpgradesToASilentOriginHoldNoThreadsAndHttpRoutesKeepServing() throws Exception {
        silent = new ServerSocket(0, 1000, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            while (!silent.isClosed()) {
                try {
                    held.add(silent.accept()); // accepts and never answers
                    accepted.countDown();
                } catch (IOException e) {
                    return;
                }
            }
        }, "silent-origin");
        acceptor.setDaemon(true);
        acceptor.start();
        origin = new RecordingOrigin();
        gateway = GatewayHarness.start(dir, key, GatewayHarness.head(key, 0)
                + "proxy: {connectTimeout: 6s}\n"
                + "routes:\n"
                + "  - {name: wslive, path: /ws/live, type: websocket, auth: none, upstream: 'ws://127.0.0.1:"
                + silent.getLocalPort() + "/ws'}\n"
                + "  - {name: media, path: /media/, type: http, upstream: '" + origin.http() + "/m/'}\n", clock);

        for (int i = 0; i < UPGRADES; i++) {
            Socket s = new Socket(InetAddress.getLoopbackAddress(), gateway.port());
            s.setSoTimeout(20_000);
            viewers.add(s);
            byte[] nonce = new byte[16];
            java.util.concurrent.ThreadLocalRandom.current().nextBytes(nonce);
            s.getOutputStream().write(("GET /ws/live?n=" + i + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "
                    + Base64.getEncoder().encodeToString(nonce) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
        }
        assertThat(accepted.await(5, TimeUnit.SECONDS)).as("at least 64 upstream handshakes under way").isTrue();

        long start = System.nanoTime();
        List<CompletableFuture<HttpResponse<String>>> requests = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            requests.add(http.sendAsync(HttpRequest.newBuilder(URI.create(gateway.uri() + "/media/x?token="
                    + Tokens.signedBy(key, clock).sign())).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        CompletableFuture.allOf(requests.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
        for (CompletableFuture<HttpResponse<String>> r : requests) {
            assertThat(r.join().statusCode()).isEqualTo(200);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));

        for (Socket s : viewers) {
            String statusLine = statusLine(s.getInputStream());
            assertThat(statusLine).as("a pending upgrade ends as a denial, never a 101")
                    .matches("HTTP/1\\.1 50[24] .*");
        }
    }

    private static String statusLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') {
                sb.append((char) c);
            }
        }
        return sb.toString();
    }
}
