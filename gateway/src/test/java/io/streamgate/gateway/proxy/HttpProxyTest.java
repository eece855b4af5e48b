package io.streamgate.gateway.proxy;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.jose4j.json.JsonUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.WireMock;

import io.streamgate.filters.testing.MutableClock;
import io.streamgate.filters.testing.TestKeys;
import io.streamgate.filters.testing.Tokens;
import io.streamgate.gateway.GatewayHarness;
import io.streamgate.gateway.runtime.GatewayServer;

/** The HTTP proxy between a real client and a real origin, each on an ephemeral loopback port. */
class HttpProxyTest {
    @TempDir
    Path dir;

    private final TestKeys key = TestKeys.es256("k1");
    private final MutableClock clock = new MutableClock(java.time.Instant.now());
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Map<String, String> seen = new ConcurrentHashMap<>();
    private final CountDownLatch release = new CountDownLatch(1);
    private final CountDownLatch entered = new CountDownLatch(1);
    private Server origin;
    private int originPort;
    private GatewayServer gateway;
    private WireMockServer wiremock;

    /** Records what it received (request line and headers) and serves a few test resources. */
    final class Origin extends HttpServlet {
        @Override
        protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            seen.put("line", req.getRequestURI() + (req.getQueryString() == null ? "" : "?" + req.getQueryString()));
            StringBuilder h = new StringBuilder();
            for (String n : Collections.list(req.getHeaderNames())) {
                h.append(n.toLowerCase()).append(": ").append(String.join(",", Collections.list(req.getHeaders(n)))).append('\n');
            }
            seen.put("headers", h.toString());
            String path = req.getRequestURI();
            if (path.endsWith("/hold")) {
                entered.countDown();
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (path.endsWith("/big")) {
                long size = Long.parseLong(req.getParameter("mb")) << 20;
                resp.setContentType("video/mp2t");
                resp.setContentLengthLong(size);
                byte[] chunk = new byte[64 * 1024];
                for (int i = 0; i < chunk.length; i++) {
                    chunk[i] = (byte) i;
                }
                OutputStream out = resp.getOutputStream();
                for (long sent = 0; sent < size; sent += chunk.length) {
                    out.write(chunk);
                    if (sent == (1 << 20) && req.getParameter("hold") != null) {
                        out.flush();
                        try {
                            release.await(20, TimeUnit.SECONDS); // the rest only when the client saw the start
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                }
                return;
            }
            resp.setStatus(path.endsWith("/teapot") ? 418 : 200);
            resp.setHeader("Access-Control-Allow-Origin", "https://evil.example");
            resp.setContentType("text/plain");
            resp.getWriter().write("origin:" + path);
        }
    }

    @BeforeEach
    void startOrigin() throws Exception {
        origin = new Server();
        ServerConnector c = new ServerConnector(origin);
        c.setHost("127.0.0.1");
        c.setPort(0);
        origin.addConnector(c);
        ServletContextHandler ctx = new ServletContextHandler();
        ctx.addServlet(new ServletHolder(new Origin()), "/*");
        origin.setHandler(ctx);
        origin.start();
        originPort = c.getLocalPort();
    }

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        if (gateway != null) {
            gateway.close();
        }
        origin.stop();
        if (wiremock != null) {
            wiremock.stop();
        }
    }

    private void gateway(String upstream, String extra) throws Exception {
        // an idle timeout no busy machine reaches by a pause of its own (a 200 MiB stream must not be cut)
        gateway(upstream, extra, "proxy: {connectTimeout: 2s, idleTimeout: 20s}\n");
    }

    private void gateway(String upstream, String extra, String proxy) throws Exception {
        gateway = GatewayHarness.start(dir, key, GatewayHarness.head(key, 0)
                + "tokens: {from: [query:token, query:jwtoken, header:Authorization, cookie:sg_token]}\n"
                + proxy
                + "routes:\n"
                + "  - {name: media, path: /media/, type: http, upstream: '" + upstream + "/origin/',"
                + " claimHeaders: {sub: X-Viewer-Id}}\n"
                + "  - {name: open, path: /open/, type: http, upstream: '" + upstream + "/pub/', auth: none}\n" + extra,
                clock);
    }

    private HttpResponse<String> get(String pathAndQuery, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(gateway.uri().resolve(pathAndQuery)).timeout(Duration.ofSeconds(30));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String token() {
        return Tokens.signedBy(key, clock).claim("sub", "viewer-7").sign();
    }

    @Test
    void allowedRequestGetsTheOriginsStatusAndBody() throws Exception {
        gateway("http://127.0.0.1:" + originPort, "");
        HttpResponse<String> r = get("/media/ev1/index.m3u8?token=" + token());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("origin:/origin/ev1/index.m3u8");
        assertThat(get("/media/x/teapot?token=" + token()).statusCode()).isEqualTo(418);
    }

    @Test
    void originNeverSeesTheTokenFromTheQuery() throws Exception {
        gateway("http://127.0.0.1:" + originPort, "");
        String t = token();
        assertThat(get("/media/a?x=1&token=" + t + "&y=2").statusCode()).isEqualTo(200);
        assertThat(seen.get("line")).isEqualTo("/origin/a?x=1&y=2");
        assertThat(seen.get("headers")).doesNotContain(t);
    }

    @Test
    void originNeverSeesTheTokenFromAHeaderOrCookie() throws Exception {
        gateway("http://127.0.0.1:" + originPort, "");
        String t = token();
        assertThat(get("/media/a", "Authorization", "Bearer " + t).statusCode()).isEqualTo(200);
        assertThat(seen.get("headers")).doesNotContain(t).doesNotContain("authorization");
        assertThat(get("/media/a", "Cookie", "lang=de; sg_token=" + t + "; theme=dark").statusCode()).isEqualTo(200);
        assertThat(seen.get("headers")).doesNotContain(t).contains("cookie: lang=de; theme=dark");
    }

    @Test
    void everyConfiguredTokenSourceIsStrippedNotOnlyTheOneUsed() throws Exception {
        gateway("http://127.0.0.1:" + originPort, "");
        String t = token();
        String other = token();
        assertThat(get("/media/a?token=" + t + "&jwtoken=" + other + "&x=1", "Authorization", "Bearer " + other,
                "Cookie", "sg_token=" + other + "; lang=de").statusCode()).isEqualTo(200);
        assertThat(seen.get("line")).isEqualTo("/origin/a?x=1");
        assertThat(seen.get("headers")).doesNotContain(t).doesNotContain(other).contains("cookie: lang=de");
    }

    @Test
    void authNoneRoutesStripTokensToo() throws Exception {
        gateway("http://127.0.0.1:" + originPort, "");
        String t = token();
        assertThat(get("/open/status?token=" + t, "Authorization", "Bearer " + t).statusCode()).isEqualTo(200);
        assertThat(seen.get("line")).isEqualTo("/pub/status");
        assertThat(seen.get("headers")).doesNotContain(t);
    }

    @Test
    void dotSegmentPathsAreRefusedBeforeRulesAndNeverReachTheOrigin() throws Exception {
        gateway("http://127.0.0.1:" + originPort, "");
        String t = token();
        for (String path : new String[] {"/media/ev1/../ev2/x", "/media/ev1/..", "/media/x;y", "/media//x"}) {
            HttpResponse<String> r = get(path + "?token=" + t, "Origin", "https://player.example");
            assertThat(r.statusCode()).as(path).isEqualTo(400);
            assertThat(r.body()).as(path).doesNotContain(t);
            assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).as(path).isPresent();
        }
        assertThat(seen).isEmpty();
    }

    @Test
    void jettyErrorPagesNeverEchoTheToken() throws Exception {
        gateway("http://127.0.0.1:" + originPort, "");
        String t = token();
        HttpResponse<String> r = get("/media/ev1/%2e%2e/ev2/x?token=" + t, "Origin", "https://player.example");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).doesNotContain(t).doesNotContain("eyJ").doesNotContain("<html");
        assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).isPresent();
        assertThat(seen).isEmpty();
    }

    @Test
    void notFoundAndUnprotectedResponsesCarryCors() throws Exception {
        gateway("http://127.0.0.1:" + originPort, "");
        assertThat(get("/nothing", "Origin", "https://player.example").headers()
                .firstValue("Access-Control-Allow-Origin")).contains("https://player.example");
        assertThat(get("/open/status", "Origin", "https://player.example").headers()
                .firstValue("Access-Control-Allow-Origin")).contains("https://player.example");
    }

    @Test
    void forwardingAndClaimHeadersAreSetAndCannotBeSpoofed() throws Exception {
        gateway("http://127.0.0.1:" + originPort, "");
        get("/media/a?token=" + token(), "X-Viewer-Id", "admin", "X-Forwarded-For", "6.6.6.6", "Forwarded", "for=6.6.6.6",
                "X-Secret", "kept");
        String h = seen.get("headers");
        assertThat(h).contains("x-viewer-id: viewer-7").doesNotContain("admin");
        assertThat(h).contains("x-forwarded-for: 127.0.0.1").doesNotContain("6.6.6.6");
        assertThat(h).contains("x-forwarded-proto: http").contains("x-forwarded-host: 127.0.0.1:" + gateway.port());
        assertThat(h).contains("x-secret: kept");
    }

    @Test
    void deniedRequestsNeverReachTheOrigin() throws Exception {
        gateway("http://127.0.0.1:" + originPort, "");
        HttpResponse<String> r = get("/media/a?token=garbage");
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(JsonUtil.parseJson(r.body())).containsEntry("reason", "malformed_token");
        assertThat(seen).isEmpty();
    }

    @Test
    void authNoneRoutePassesWithoutToken() throws Exception {
        gateway("http://127.0.0.1:" + originPort, "");
        HttpResponse<String> r = get("/open/status");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("origin:/pub/status");
    }

    @Test
    void gatewayCorsHeadersReplaceTheOrigins() throws Exception {
        gateway("http://127.0.0.1:" + originPort, "");
        HttpResponse<String> r = get("/media/a?token=" + token(), "Origin", "https://player.example");
        assertThat(r.headers().allValues("Access-Control-Allow-Origin")).containsExactly("https://player.example");
    }

    @Test
    void unknownPathIs404() throws Exception {
        gateway("http://127.0.0.1:" + originPort, "");
        assertThat(get("/elsewhere").statusCode()).isEqualTo(404);
        assertThat(get("/mediaX/a?token=" + token()).statusCode()).as("prefixes match whole segments").isEqualTo(404);
    }

    @Test
    void largeBodiesStreamThroughWithoutBuffering() throws Exception {
        gateway("http://127.0.0.1:" + originPort, "");
        // The origin sends 1 MiB, then waits until the client has seen bytes: only a streaming proxy passes.
        HttpRequest req = HttpRequest.newBuilder(gateway.uri().resolve("/media/big?mb=200&hold=1&token=" + token()))
                .timeout(Duration.ofSeconds(60)).build();
        HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        MessageDigest expected = MessageDigest.getInstance("SHA-256");
        byte[] chunk = new byte[64 * 1024];
        for (int i = 0; i < chunk.length; i++) {
            chunk[i] = (byte) i;
        }
        for (int i = 0; i < 200 * 16; i++) {
            expected.update(chunk);
        }
        long total = 0;
        try (InputStream in = r.body()) {
            byte[] buf = new byte[128 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                if (total == 0) {
                    release.countDown();
                }
                md.update(buf, 0, n);
                total += n;
            }
        }
        assertThat(total).isEqualTo(200L << 20);
        assertThat(md.digest()).isEqualTo(expected.digest());
    }

    @Test
    void upstreamDownIs502() throws Exception {
        gateway("http://127.0.0.1:1", ""); // port 1: nobody listens there
        HttpResponse<String> r = get("/media/a?token=" + token(), "Origin", "https://player.example");
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        assertThat(JsonUtil.parseJson(r.body())).containsEntry("error", "bad_gateway").containsEntry("reason", "upstream_unavailable");
        assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).contains("https://player.example");
    }

    @Test
    void upstreamTooSlowIs504() throws Exception {
        wiremock = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        wiremock.start();
        wiremock.stubFor(WireMock.get(urlPathEqualTo("/origin/slow")).willReturn(aResponse().withFixedDelay(6000).withBody("late")));
        gateway(wiremock.baseUrl(), "", "proxy: {connectTimeout: 2s, idleTimeout: 1s}\n");
        HttpResponse<String> r = get("/media/slow?token=" + token());
        assertThat(r.statusCode()).isEqualTo(504);
        assertThat(JsonUtil.parseJson(r.body())).containsEntry("error", "bad_gateway").containsEntry("reason", "upstream_timeout");
    }

    @Test
    void upstreamFailureMidResponseDoesNotKillTheGateway() throws Exception {
        wiremock = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        wiremock.start();
        wiremock.stubFor(WireMock.get(urlPathEqualTo("/origin/reset")).willReturn(aResponse()
                .withFault(com.github.tomakehurst.wiremock.http.Fault.CONNECTION_RESET_BY_PEER)));
        wiremock.stubFor(WireMock.get(urlPathEqualTo("/origin/fine")).willReturn(aResponse().withBody("fine")));
        gateway(wiremock.baseUrl(), "");
        assertThat(get("/media/reset?token=" + token()).statusCode()).isEqualTo(502);
        assertThat(get("/media/fine?token=" + token()).body()).isEqualTo("fine");
    }


    @Test
    void authorisedRequestsWaitForABusyUpstreamUpToTheQueueBoundThenGet503Overloaded() throws Exception {
        gateway = GatewayHarness.start(dir, key, GatewayHarness.head(key, 0)
                + "proxy: {idleTimeout: 20s, maxConnectionsPerUpstream: 1, maxQueuedPerUpstream: 2}\n"
                + "routes:\n  - {name: media, path: /media/, type: http, upstream: 'http://127.0.0.1:" + originPort
                + "/origin/'}\n", clock);
        java.util.function.Supplier<java.util.concurrent.CompletableFuture<HttpResponse<String>>> send = () -> http.sendAsync(
                HttpRequest.newBuilder(gateway.uri().resolve("/media/hold?token=" + token())).timeout(Duration.ofSeconds(30))
                        .build(), HttpResponse.BodyHandlers.ofString());
        var first = send.get();
        assertThat(entered.await(10, TimeUnit.SECONDS)).as("the origin holds the only connection").isTrue();
        // three more while it is busy: two wait in the queue, whichever comes third is refused
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> more = List.of(send.get(), send.get(), send.get());
        HttpResponse<String> refused = (HttpResponse<String>) java.util.concurrent.CompletableFuture
                .anyOf(more.toArray(java.util.concurrent.CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        // overload is not a broken origin: 503 with Retry-After, per the contract
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.body()).contains("\"reason\":\"upstream_overloaded\"");
        assertThat(refused.headers().firstValue("Retry-After")).isPresent();
        release.countDown();
        assertThat(first.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        long ok = 0;
        for (var f : more) {
            ok += f.get(10, TimeUnit.SECONDS).statusCode() == 200 ? 1 : 0;
        }
        assertThat(ok).as("the queued requests are served once the upstream is free").isEqualTo(2);
    }
}
