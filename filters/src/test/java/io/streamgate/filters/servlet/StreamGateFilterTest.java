package io.streamgate.filters.servlet;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.jose4j.json.JsonUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.github.tomakehurst.wiremock.WireMockServer;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamgate.filters.Authorizer;
import io.streamgate.filters.RoutePolicy;
import io.streamgate.filters.Verdict;
import io.streamgate.filters.core.DenialReason;
import io.streamgate.filters.keys.KeyRegistry;
import io.streamgate.filters.metrics.StreamGateMetrics;
import io.streamgate.filters.replay.MemoryReplayStore;
import io.streamgate.filters.replay.ReplayGuard;
import io.streamgate.filters.replay.ReplayMode;
import io.streamgate.filters.rules.RouteRules;
import io.streamgate.filters.testing.Fixture;
import io.streamgate.filters.testing.MutableClock;
import io.streamgate.filters.testing.TestKeys;
import io.streamgate.filters.testing.Tokens;
import io.streamgate.filters.verify.VerifyPolicy;

/**
 * The filter inside a real Servlet 6 container (Jetty ee10) on an ephemeral loopback port,
 * driven by a real HTTP client: one test per reason code, each asserting status, body,
 * {@code WWW-Authenticate}, CORS and the decision metric.
 */
class StreamGateFilterTest {
    private static final String ROUTE = "live";
    private final MutableClock clock = MutableClock.fixed();
    private final TestKeys key = TestKeys.es256("k1");
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final StreamGateMetrics metrics = new StreamGateMetrics(registry);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Server server;
    private WireMockServer wiremock;
    private int port;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.stop();
        }
        if (wiremock != null) {
            wiremock.stop();
        }
    }

    /** Counted down when a {@code /live/slow} request reached the resource. */
    private final java.util.concurrent.CountDownLatch slowEntered = new java.util.concurrent.CountDownLatch(1);
    /** Lets a {@code /live/slow} request finish. */
    private final java.util.concurrent.CountDownLatch slowRelease = new java.util.concurrent.CountDownLatch(1);

    /**
     * The protected resource: echoes the verified subject, as an origin behind the filter would
     * see it. {@code /live/status/N} answers status N; {@code /live/async/N} answers N from
     * another thread, asynchronously; {@code /live/slow} waits until the test lets it finish.
     */
    final class Backend extends HttpServlet {
        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            String path = req.getRequestURI();
            if (path.startsWith("/live/status/")) {
                resp.setStatus(Integer.parseInt(path.substring("/live/status/".length())));
                resp.getWriter().write("status");
                return;
            }
            if (path.startsWith("/live/async/")) {
                int status = Integer.parseInt(path.substring("/live/async/".length()));
                jakarta.servlet.AsyncContext async = req.startAsync();
                new Thread(() -> {
                    ((HttpServletResponse) async.getResponse()).setStatus(status);
                    async.complete();
                }, "async-origin").start();
                return;
            }
            if (path.equals("/live/slow")) {
                slowEntered.countDown();
                try {
                    if (!slowRelease.await(10, java.util.concurrent.TimeUnit.SECONDS)) {
                        resp.setStatus(504);
                        return;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            Verdict v = (Verdict) req.getAttribute(StreamGateFilter.VERDICT_ATTRIBUTE);
            resp.setContentType("text/plain");
            resp.getWriter().write("ok sub=" + v.token().claims().sub());
        }
    }

    private void serve(Authorizer authorizer, RoutePolicy route) throws Exception {
        server = new Server(new QueuedThreadPool(16, 2));
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        ServletContextHandler ctx = new ServletContextHandler();
        ctx.setContextPath("/");
        FilterHolder filter = new FilterHolder(StreamGateFilter.forRoute(authorizer, route));
        filter.setAsyncSupported(true);
        ctx.addFilter(filter, "/*", EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC));
        ServletHolder backend = new ServletHolder(new Backend());
        backend.setAsyncSupported(true);
        ctx.addServlet(backend, "/*");
        server.setHandler(ctx);
        server.start();
        port = connector.getLocalPort();
    }

    private Authorizer.Builder authorizer() {
        return Authorizer.builder(Fixture.registry(key), Fixture.crypto()).clock(clock).metrics(metrics);
    }

    private void serveDefault(Consumer<Authorizer.Builder> tweak) throws Exception {
        Authorizer.Builder b = authorizer();
        tweak.accept(b);
        serve(b.build(), RoutePolicy.anyValidToken(ROUTE, "/live/"));
    }

    private HttpResponse<String> get(String pathAndQuery, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
                .timeout(Duration.ofSeconds(10)).header("Origin", "https://player.example");
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private Tokens token() {
        return Tokens.signedBy(key, clock);
    }

    /** Asserts the contract's denial and its metric. */
    private void assertDenied(HttpResponse<String> r, DenialReason reason) {
        assertThat(r.statusCode()).as("status of %s", reason.code()).isEqualTo(reason.status());
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("application/json"));
        Map<String, Object> body;
        try {
            body = JsonUtil.parseJson(r.body());
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + r.body(), e);
        }
        assertThat(body).containsEntry("error", reason.error()).containsEntry("reason", reason.code());
        assertThat((String) body.get("requestId")).matches("[0-9a-f]{16}");
        assertThat(body).hasSize(3);
        assertThat(r.headers().firstValue("X-Request-Id")).contains((String) body.get("requestId"));
        assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).contains("https://player.example");
        assertThat(r.headers().firstValue("Access-Control-Expose-Headers"))
                .hasValueSatisfying(v -> assertThat(v).contains("WWW-Authenticate"));
        String challenge = r.headers().firstValue("WWW-Authenticate").orElse(null);
        switch (reason.status()) {
            case 401 -> assertThat(challenge).isEqualTo(reason == DenialReason.MISSING_TOKEN
                    ? "Bearer realm=\"streamgate\""
                    : "Bearer realm=\"streamgate\", error=\"invalid_token\", error_description=\"" + reason.code() + "\"");
            case 403 -> assertThat(challenge).contains("error=\"insufficient_scope\"");
            default -> assertThat(challenge).isNull();
        }
        assertThat(Fixture.decisions(registry, ROUTE, "denied", reason.code())).as("metric").isEqualTo(1.0);
    }

    @Test
    void validTokenReachesTheResourceWithItsClaims() throws Exception {
        serveDefault(b -> { });
        HttpResponse<String> r = get("/live/ev1/index.m3u8?token=" + token().claim("sub", "alice").sign());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("ok sub=alice");
        assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).contains("https://player.example");
        assertThat(Fixture.decisions(registry, ROUTE, "allowed", "ok")).isEqualTo(1.0);
    }

    @Test
    void tokenIsAcceptedFromEachDefaultSource() throws Exception {
        serveDefault(b -> { });
        assertThat(get("/live/a?jwtoken=" + token().sign()).statusCode()).isEqualTo(200);
        assertThat(get("/live/a", "Authorization", "Bearer " + token().sign()).statusCode()).isEqualTo(200);
        assertThat(get("/live/a", "Cookie", "a=b; sg_token=" + token().sign()).statusCode()).isEqualTo(200);
        assertThat(get("/live/a", "Sec-WebSocket-Protocol", "h5live, " + token().sign()).statusCode()).isEqualTo(200);
    }

    @Test
    void corsPreflightPassesWithoutAToken() throws Exception {
        serveDefault(b -> { });
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/live/a"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://player.example").header("Access-Control-Request-Method", "GET")
                .header("Access-Control-Request-Headers", "authorization").build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(204);
        assertThat(r.headers().firstValue("Access-Control-Allow-Headers"))
                .hasValueSatisfying(v -> assertThat(v).containsIgnoringCase("authorization"));
        assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).contains("https://player.example");
    }

    @Test
    void methodNotAllowedAndMalformedPathAreCounted() throws Exception {
        serveDefault(b -> { });
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/live/x"))
                .timeout(Duration.ofSeconds(10)).header("Origin", "https://player.example")
                .method("DELETE", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertDenied(r, DenialReason.METHOD_NOT_ALLOWED); // with its metric, on the route
        HttpResponse<String> path = get("/live/x;v=1?token=" + token().sign());
        assertThat(path.statusCode()).isEqualTo(400);
        assertThat(path.body()).contains("\"reason\":\"malformed_path\"");
        assertThat(Fixture.decisions(registry, "-", "denied", "malformed_path"))
                .as("refused before any route is chosen: route \"-\", as the gateway counts it").isEqualTo(1.0);
    }

    @Test
    void missingToken() throws Exception {
        serveDefault(b -> { });
        assertDenied(get("/live/a"), DenialReason.MISSING_TOKEN);
    }

    @Test
    void malformedToken() throws Exception {
        serveDefault(b -> { });
        assertDenied(get("/live/a?token=not.a.jwt%20at%20all"), DenialReason.MALFORMED_TOKEN);
    }

    @Test
    void tokenTooLarge() throws Exception {
        serveDefault(b -> b.policy(VerifyPolicy.builder().maxTokenLength(64).build()));
        assertDenied(get("/live/a?token=" + token().sign()), DenialReason.TOKEN_TOO_LARGE);
    }

    @Test
    void unsupportedAlgorithm() throws Exception {
        serveDefault(b -> b.policy(VerifyPolicy.builder()
                .algorithms(Set.of(io.streamgate.filters.crypto.JwsAlgorithm.RS256)).build()));
        assertDenied(get("/live/a?token=" + token().sign()), DenialReason.UNSUPPORTED_ALGORITHM);
    }

    @Test
    void unknownKey() throws Exception {
        serveDefault(b -> { });
        assertDenied(get("/live/a?token=" + Tokens.signedBy(TestKeys.es256("other"), clock).sign()),
                DenialReason.UNKNOWN_KEY);
    }

    @Test
    void badSignature() throws Exception {
        serveDefault(b -> { });
        String t = token().sign();
        int mid = t.lastIndexOf('.') + 10;
        String tampered = t.substring(0, mid) + (t.charAt(mid) == 'A' ? 'B' : 'A') + t.substring(mid + 1);
        assertDenied(get("/live/a?token=" + tampered), DenialReason.BAD_SIGNATURE);
    }

    @Test
    void expired() throws Exception {
        serveDefault(b -> { });
        String t = token().claim("exp", clock.epochSeconds() - 31).sign();
        assertDenied(get("/live/a?token=" + t), DenialReason.EXPIRED);
    }

    @Test
    void notYetValid() throws Exception {
        serveDefault(b -> { });
        assertDenied(get("/live/a?token=" + token().claim("nbf", clock.epochSeconds() + 120).sign()),
                DenialReason.NOT_YET_VALID);
    }

    @Test
    void lifetimeTooLong() throws Exception {
        serveDefault(b -> { });
        assertDenied(get("/live/a?token=" + token().claim("exp", clock.epochSeconds() + 400 * 86_400L).sign()),
                DenialReason.LIFETIME_TOO_LONG);
    }

    @Test
    void issuerNotAllowed() throws Exception {
        serveDefault(b -> b.policy(VerifyPolicy.builder().issuers(Set.of("https://idp.example")).build()));
        assertDenied(get("/live/a?token=" + token().claim("iss", "https://evil.example").sign()),
                DenialReason.ISSUER_NOT_ALLOWED);
    }

    @Test
    void audienceNotAllowed() throws Exception {
        serveDefault(b -> b.policy(VerifyPolicy.builder().audiences(Set.of("player")).build()));
        assertDenied(get("/live/a?token=" + token().claim("aud", "admin").sign()), DenialReason.AUDIENCE_NOT_ALLOWED);
    }

    @Test
    void missingClaim() throws Exception {
        serveDefault(b -> { });
        assertDenied(get("/live/a?token=" + token().claim("exp", null).sign()), DenialReason.MISSING_CLAIM);
    }

    @Test
    void replayed() throws Exception {
        serveDefault(b -> b.replay(new ReplayGuard(ReplayMode.ONCE, new MemoryReplayStore(clock, 1000), false,
                Duration.ofSeconds(30), Duration.ofMillis(200), metrics)));
        String t = token().sign();
        assertThat(get("/live/a?token=" + t).statusCode()).isEqualTo(200);
        assertDenied(get("/live/a?token=" + t), DenialReason.REPLAYED);
    }

    @Test
    void forbidden() throws Exception {
        RouteRules rules = RouteRules.compile(List.of(Map.of("claim", "roles[].eventId", "contains", "{path.0}")),
                "routes[0].require");
        serve(authorizer().build(), new RoutePolicy(ROUTE, "/live/", rules));
        String t = token().claim("roles", List.of(Map.of("name", "ROLE_ATTENDEE", "eventId", "ev1"))).sign();
        assertThat(get("/live/ev1/index.m3u8?token=" + t).statusCode()).isEqualTo(200);
        assertDenied(get("/live/ev2/index.m3u8?token=" + t), DenialReason.FORBIDDEN);
    }

    @Test
    void forbiddenTokenIsNotConsumedByReplayProtection() throws Exception {
        RouteRules rules = RouteRules.compile(List.of(Map.of("claim", "roles[].eventId", "contains", "{path.0}")),
                "routes[0].require");
        serve(authorizer().replay(new ReplayGuard(ReplayMode.ONCE, new MemoryReplayStore(clock, 1000), false,
                Duration.ofSeconds(30), Duration.ofMillis(200), metrics)).build(), new RoutePolicy(ROUTE, "/live/", rules));
        String t = token().claim("roles", List.of(Map.of("name", "ROLE_ATTENDEE", "eventId", "ev1"))).sign();
        assertThat(get("/live/ev2/x?token=" + t).statusCode()).isEqualTo(403);
        assertThat(get("/live/ev1/x?token=" + t).statusCode()).as("jti still unused").isEqualTo(200);
    }

    @Test
    void replayStoreUnavailable() throws Exception {
        serveDefault(b -> b.replay(new ReplayGuard(ReplayMode.ONCE, new MemoryReplayStore(clock, 0), false,
                Duration.ofSeconds(30), Duration.ofMillis(200), metrics)));
        assertDenied(get("/live/a?token=" + token().sign()), DenialReason.REPLAY_STORE_UNAVAILABLE);
    }

    @Test
    void keySourceUnavailable() throws Exception {
        wiremock = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        wiremock.start();
        wiremock.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(urlEqualTo("/jwks.json")).willReturn(aResponse().withStatus(500)));
        KeyRegistry keys = KeyRegistry.builder(Fixture.crypto()).clock(clock).metrics(metrics)
                .addRemote(URI.create(wiremock.baseUrl() + "/jwks.json"), "keys[0]", Duration.ofHours(1),
                        Duration.ofSeconds(30), Duration.ofSeconds(2)).build();
        keys.start().get(10, java.util.concurrent.TimeUnit.SECONDS);
        serve(Authorizer.builder(keys, Fixture.crypto()).clock(clock).metrics(metrics).build(),
                RoutePolicy.anyValidToken(ROUTE, "/live/"));
        assertDenied(get("/live/a?token=" + token().sign()), DenialReason.KEY_SOURCE_UNAVAILABLE);
        keys.close();
    }

    @Test
    void unknownKidIsFetchedAsynchronouslyAndThenAdmitted() throws Exception {
        wiremock = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        wiremock.start();
        TestKeys first = TestKeys.es256("first");
        TestKeys rotated = TestKeys.es256("rotated");
        wiremock.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(urlEqualTo("/jwks.json")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody(TestKeys.jwks(first))));
        KeyRegistry keys = KeyRegistry.builder(Fixture.crypto()).clock(clock).metrics(metrics)
                // a fetch timeout no busy machine reaches by a pause of its own (the 300 ms delay below must fit)
                .addRemote(URI.create(wiremock.baseUrl() + "/jwks.json"), "keys[0]", Duration.ofHours(1),
                        Duration.ofSeconds(30), Duration.ofSeconds(15)).build();
        keys.start().get(20, java.util.concurrent.TimeUnit.SECONDS);
        serve(Authorizer.builder(keys, Fixture.crypto()).clock(clock).metrics(metrics).build(),
                RoutePolicy.anyValidToken(ROUTE, "/live/"));
        assertThat(get("/live/a?token=" + Tokens.signedBy(first, clock).sign()).statusCode()).isEqualTo(200);

        // The identity provider rotates; the endpoint answers slowly. The request waits without a thread.
        clock.advance(Duration.ofSeconds(31));
        wiremock.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(urlEqualTo("/jwks.json")).willReturn(aResponse().withStatus(200).withFixedDelay(300)
                .withHeader("Content-Type", "application/json").withBody(TestKeys.jwks(first, rotated))));
        HttpResponse<String> r = get("/live/a?token=" + Tokens.signedBy(rotated, clock).claim("sub", "bob").sign());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("ok sub=bob");
        keys.close();
    }

    @Test
    void cachedTokenStillExpires() throws Exception {
        serveDefault(b -> { });
        String t = token().claim("exp", clock.epochSeconds() + 60).sign();
        assertThat(get("/live/a?token=" + t).statusCode()).isEqualTo(200);
        assertThat(get("/live/a?token=" + t).statusCode()).isEqualTo(200);
        assertThat(Fixture.count(registry, "streamgate.token.cache.requests", "result", "hit")).isEqualTo(1.0);
        clock.advance(Duration.ofSeconds(91));
        assertDenied(get("/live/a?token=" + t), DenialReason.EXPIRED);
    }

    @Test
    void denialOfAHeadRequestHasNoBody() throws Exception {
        serveDefault(b -> { });
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/live/a"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).isEmpty();
    }

    // ---- one-time use is settled by the response; limit holds a lease for the request ----

    private ReplayGuard onceGuard() {
        return new ReplayGuard(ReplayMode.ONCE, new MemoryReplayStore(clock, 1000), false,
                Duration.ofSeconds(30), Duration.ofMillis(200), metrics);
    }

    @Test
    void aOneTimeTokenIsNotConsumedWhenTheOriginFails() throws Exception {
        serveDefault(b -> b.replay(onceGuard()));
        String t = token().sign();
        assertThat(get("/live/status/502?token=" + t).statusCode()).isEqualTo(502);
        assertThat(get("/live/status/503?token=" + t).statusCode()).as("still unused").isEqualTo(503);
        assertThat(get("/live/status/200?token=" + t).statusCode()).as("the retry works").isEqualTo(200);
        assertDenied(get("/live/status/200?token=" + t), DenialReason.REPLAYED);
    }

    @Test
    void aOneTimeTokenIsConsumedByAnyAnswerBelow500() throws Exception {
        serveDefault(b -> b.replay(onceGuard()));
        String t = token().sign();
        assertThat(get("/live/status/404?token=" + t).statusCode()).isEqualTo(404);
        assertDenied(get("/live/status/200?token=" + t), DenialReason.REPLAYED);
    }

    @Test
    void anAsynchronousResponseSettlesWhenItCompletes() throws Exception {
        serveDefault(b -> b.replay(onceGuard()));
        String t = token().sign();
        assertThat(get("/live/async/502?token=" + t).statusCode()).isEqualTo(502);
        assertThat(get("/live/async/200?token=" + t).statusCode()).as("released, so the retry works").isEqualTo(200);
        assertDenied(get("/live/status/200?token=" + t), DenialReason.REPLAYED);
    }

    @Test
    void limitModeHoldsTheLeaseForTheRequestsDuration() throws Exception {
        serveDefault(b -> b.replay(new ReplayGuard(ReplayMode.LIMIT, new MemoryReplayStore(clock, 1000), false,
                Duration.ofSeconds(30), Duration.ofMillis(200), metrics, 1, Duration.ofSeconds(30))));
        String t = token().sign();
        java.util.concurrent.CompletableFuture<HttpResponse<String>> slow = java.util.concurrent.CompletableFuture
                .supplyAsync(() -> {
                    try {
                        return get("/live/slow?token=" + t);
                    } catch (Exception e) {
                        throw new java.util.concurrent.CompletionException(e);
                    }
                });
        assertThat(slowEntered.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertDenied(get("/live/a?token=" + t), DenialReason.SESSION_LIMIT);
        slowRelease.countDown();
        assertThat(slow.get(10, java.util.concurrent.TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(get("/live/a?token=" + t).statusCode()).as("the lease ended with the request").isEqualTo(200);
        assertThat(get("/live/status/502?token=" + t).statusCode()).isEqualTo(502);
        assertThat(get("/live/a?token=" + t).statusCode()).isEqualTo(200);
    }
}
