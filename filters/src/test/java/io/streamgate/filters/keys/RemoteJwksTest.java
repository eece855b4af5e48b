package io.streamgate.filters.keys;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.serverError;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.jose4j.json.JsonUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamgate.filters.Authorizer;
import io.streamgate.filters.RoutePolicy;
import io.streamgate.filters.Verdict;
import io.streamgate.filters.core.BasicRequestView;
import io.streamgate.filters.core.DenialReason;
import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.metrics.StreamGateMetrics;
import io.streamgate.filters.testing.Fixture;
import io.streamgate.filters.testing.MutableClock;
import io.streamgate.filters.testing.TestKeys;
import io.streamgate.filters.testing.Tokens;

/**
 * Remote JWKS sources against a real HTTP server (WireMock): loading, rotation, the refetch
 * throttle and single flight, failures that keep the last good keys, and that no caller ever
 * waits on the network. Scheduled refreshes are an hour apart so only the test triggers fetches.
 */
class RemoteJwksTest {
    private static final String PATH = "/.well-known/jwks.json";
    private static final String SOURCE = "keys[0]";
    private static final Duration REFRESH = Duration.ofHours(1);
    private static final Duration MIN_REFETCH = Duration.ofSeconds(30);
    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final RoutePolicy ROUTE = RoutePolicy.anyValidToken("live", "/");
    private static final long WAIT = 10;

    private final TestKeys k1 = TestKeys.es256("idp-1");
    private final TestKeys k2 = TestKeys.rs256("idp-2");
    private final TestKeys k3 = TestKeys.eddsa("idp-3");

    private final MutableClock clock = MutableClock.fixed();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final StreamGateMetrics metrics = new StreamGateMetrics(meters);
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private WireMockServer server;

    @BeforeEach
    void startServer() {
        server = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        server.start();
    }

    @AfterEach
    void closeAll() throws Exception {
        Collections.reverse(closeables);
        for (AutoCloseable c : closeables) {
            c.close();
        }
        server.stop();
    }

    // --- helpers -----------------------------------------------------------------------------

    private URI uri() {
        return URI.create(server.baseUrl() + PATH);
    }

    private KeyRegistry registry() {
        return registry(TIMEOUT);
    }

    private KeyRegistry registry(Duration timeout) {
        KeyRegistry r = KeyRegistry.builder(Fixture.crypto()).clock(clock).metrics(metrics)
                .addRemote(uri(), SOURCE, REFRESH, MIN_REFETCH, timeout).build();
        closeables.add(r);
        return r;
    }

    private Authorizer authorizer(KeyRegistry r) {
        return Authorizer.builder(r, Fixture.crypto()).clock(clock).metrics(Fixture.metrics()).build();
    }

    private void serve(ResponseDefinitionBuilder response) {
        server.stubFor(get(PATH).willReturn(response));
    }

    private void serve(TestKeys... keys) {
        serve(okJson(TestKeys.jwks(keys)));
    }

    private int requests() {
        return server.countRequestsMatching(getRequestedFor(urlEqualTo(PATH)).build()).getCount();
    }

    private double fetches(String result) {
        return Fixture.count(meters, "streamgate.keys.fetches", "source", SOURCE, "result", result);
    }

    private double loadedGauge() {
        Gauge g = meters.find("streamgate.keys.loaded").tag("source", SOURCE).gauge();
        assertThat(g).isNotNull();
        return g.value();
    }

    private static <T> T await(CompletionStage<T> f) throws Exception {
        return f.toCompletableFuture().get(WAIT, TimeUnit.SECONDS);
    }

    private KeyRegistry loaded(TestKeys... keys) throws Exception {
        serve(keys);
        KeyRegistry r = registry();
        await(r.start());
        assertThat(r.ready()).isTrue();
        return r;
    }

    private static String randomKid() {
        return UUID.randomUUID().toString();
    }

    private static Verdict authorize(Authorizer a, String token) throws Exception {
        return await(a.authorize(ROUTE, BasicRequestView.of("/live/x.m3u8?token=" + token)));
    }

    // --- loading -----------------------------------------------------------------------------

    @Test
    void initialFetchLoadsEveryKeyOfTheJwks() throws Exception {
        serve(k1, k2, k3);
        KeyRegistry r = registry();
        assertThat(r.ready()).as("not ready before the first fetch").isFalse();
        assertThat(r.anySourceFailing()).as("a source never loaded counts as failing").isTrue();
        assertThat(r.find("idp-1", JwsAlgorithm.ES256)).isEmpty();

        await(r.start());

        assertThat(r.find("idp-1", JwsAlgorithm.ES256)).singleElement()
                .satisfies(k -> assertThat(k.source()).isEqualTo(SOURCE));
        assertThat(r.find("idp-2", JwsAlgorithm.RS256)).hasSize(1);
        assertThat(r.find("idp-3", JwsAlgorithm.EdDSA)).hasSize(1);
        assertThat(r.find("idp-1", JwsAlgorithm.RS256)).isEmpty();
        assertThat(r.ready()).isTrue();
        assertThat(r.anySourceFailing()).isFalse();
        assertThat(r.size()).isEqualTo(3);
        assertThat(requests()).isEqualTo(1);
        server.verify(getRequestedFor(urlEqualTo(PATH)).withHeader("Accept", containing("application/jwk-set+json")));
        assertThat(fetches("success")).isEqualTo(1);
        assertThat(fetches("failure")).isZero();
        assertThat(loadedGauge()).isEqualTo(3);
    }

    @Test
    void jwksWithSomeUnusableKeysLoadsTheUsableOnes() throws Exception {
        Map<String, Object> enc = new LinkedHashMap<>(k2.jwk());
        enc.put("use", "enc");
        String body = "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"mac\",\"k\":\"c2VjcmV0\"},"
                + JsonUtil.toJson(enc) + "," + JsonUtil.toJson(k1.jwk()) + "]}";
        serve(okJson(body));
        KeyRegistry r = registry();
        await(r.start());
        assertThat(r.find("idp-1", JwsAlgorithm.ES256)).hasSize(1);
        assertThat(r.find("mac", JwsAlgorithm.ES256)).isEmpty();
        assertThat(r.find("idp-2", JwsAlgorithm.RS256)).isEmpty();
        assertThat(r.anySourceFailing()).isFalse();
        assertThat(loadedGauge()).isEqualTo(1);
    }

    @Test
    void largeJwksBelowTheSizeLimitLoads() throws Exception {
        List<Object> list = new ArrayList<>();
        for (int i = 0; i < 1500; i++) {
            Map<String, Object> jwk = new LinkedHashMap<>(k2.jwk());
            jwk.put("kid", "bulk-" + i);
            list.add(jwk);
        }
        String body = JsonUtil.toJson(Map.of("keys", list));
        assertThat(body.length()).isBetween(300_000, RemoteJwks.MAX_BYTES);
        serve(okJson(body));
        KeyRegistry r = registry();
        await(r.start());
        assertThat(r.anySourceFailing()).isFalse();
        assertThat(r.size()).isEqualTo(1500);
        assertThat(r.find("bulk-1499", JwsAlgorithm.RS256)).hasSize(1);
    }

    // --- rotation ----------------------------------------------------------------------------

    @Test
    void unknownKidRightAfterAFetchIsThrottled() throws Exception {
        KeyRegistry r = loaded(k1);
        assertThat(r.refetchForUnknownKid()).isNull();
        clock.advance(MIN_REFETCH.minusMillis(1));
        assertThat(r.refetchForUnknownKid()).isNull();
        assertThat(requests()).isEqualTo(1);
    }

    @Test
    void newKidAtTheEndpointIsFoundAfterAnUnknownKidRefetch() throws Exception {
        KeyRegistry r = loaded(k1);
        serve(k1, k2);
        clock.advance(MIN_REFETCH.plusSeconds(1));
        assertThat(r.find("idp-2", JwsAlgorithm.RS256)).isEmpty();

        CompletableFuture<Void> refetch = r.refetchForUnknownKid();
        assertThat(refetch).isNotNull();
        await(refetch);

        assertThat(r.find("idp-2", JwsAlgorithm.RS256)).hasSize(1);
        assertThat(r.find("idp-1", JwsAlgorithm.ES256)).hasSize(1);
        assertThat(requests()).isEqualTo(2);
        assertThat(fetches("success")).isEqualTo(2);
        assertThat(loadedGauge()).isEqualTo(2);
    }

    @Test
    void keyRemovedFromTheEndpointIsDroppedAndNoLongerContained() throws Exception {
        KeyRegistry r = loaded(k1, k2);
        VerificationKey old = r.find("idp-1", JwsAlgorithm.ES256)[0];
        assertThat(r.contains(old)).isTrue();
        serve(k2);
        clock.advance(MIN_REFETCH.plusSeconds(1));
        await(r.refetchForUnknownKid());
        assertThat(r.find("idp-1", JwsAlgorithm.ES256)).isEmpty();
        assertThat(r.contains(old)).as("cached verifications with a removed key must not stay valid").isFalse();
        assertThat(loadedGauge()).isEqualTo(1);
    }

    private double tokenCache(SimpleMeterRegistry m, String result) {
        return Fixture.count(m, "streamgate.token.cache.requests", "result", result);
    }

    /** Review finding: every JWKS refresh used to re-verify every active viewer's token. */
    @Test
    void refreshReturningTheSameKeysKeepsCachedVerifications() throws Exception {
        KeyRegistry r = loaded(k1, k2);
        SimpleMeterRegistry m = new SimpleMeterRegistry();
        try (Authorizer a = Authorizer.builder(r, Fixture.crypto()).clock(clock).metrics(new StreamGateMetrics(m))
                .build()) {
            String token = Tokens.signedBy(k1, clock).sign();
            assertThat(authorize(a, token).allowed()).isTrue();
            assertThat(authorize(a, token).allowed()).isTrue();
            assertThat(tokenCache(m, "miss")).isEqualTo(1);
            assertThat(tokenCache(m, "hit")).isEqualTo(1);

            // The same JWKS again, then the same keys in another order with one more.
            serve(k1, k2);
            clock.advance(MIN_REFETCH.plusSeconds(1));
            await(r.refetchForUnknownKid());
            assertThat(authorize(a, token).allowed()).isTrue();
            serve(k3, k2, k1);
            clock.advance(MIN_REFETCH.plusSeconds(1));
            await(r.refetchForUnknownKid());
            assertThat(r.find("idp-3", JwsAlgorithm.EdDSA)).hasSize(1);
            assertThat(authorize(a, token).allowed()).isTrue();

            assertThat(requests()).isEqualTo(3);
            assertThat(tokenCache(m, "hit")).as("no re-verification after a refresh that kept the key").isEqualTo(3);
            assertThat(tokenCache(m, "miss")).isEqualTo(1);
        }
    }

    @Test
    void refreshThatRotatesAKeyUnderTheSameKidEndsItsCachedVerifications() throws Exception {
        KeyRegistry r = loaded(k1, k2);
        SimpleMeterRegistry m = new SimpleMeterRegistry();
        try (Authorizer a = Authorizer.builder(r, Fixture.crypto()).clock(clock).metrics(new StreamGateMetrics(m))
                .build()) {
            String token = Tokens.signedBy(k1, clock).sign();
            assertThat(authorize(a, token).allowed()).isTrue();
            assertThat(authorize(a, token).allowed()).isTrue();
            assertThat(tokenCache(m, "hit")).isEqualTo(1);

            TestKeys rotated = TestKeys.fresh("idp-1", JwsAlgorithm.ES256);
            serve(rotated, k2);
            clock.advance(MIN_REFETCH.plusSeconds(1));
            await(r.refetchForUnknownKid());

            assertThat(authorize(a, token).reason()).isEqualTo(DenialReason.BAD_SIGNATURE);
            assertThat(tokenCache(m, "hit")).isEqualTo(1);
            assertThat(tokenCache(m, "miss")).isEqualTo(2);
            assertThat(authorize(a, Tokens.signedBy(rotated, clock).sign()).allowed()).isTrue();
        }
    }

    @Test
    void refreshThatRemovesAKeyEndsItsCachedVerifications() throws Exception {
        KeyRegistry r = loaded(k1, k2);
        SimpleMeterRegistry m = new SimpleMeterRegistry();
        try (Authorizer a = Authorizer.builder(r, Fixture.crypto()).clock(clock).metrics(new StreamGateMetrics(m))
                .build()) {
            String token = Tokens.signedBy(k1, clock).sign();
            assertThat(authorize(a, token).allowed()).isTrue();
            serve(k2);
            clock.advance(MIN_REFETCH.plusSeconds(1));
            await(r.refetchForUnknownKid());

            assertThat(authorize(a, token).reason()).isEqualTo(DenialReason.UNKNOWN_KEY);
            assertThat(tokenCache(m, "hit")).isZero();
            assertThat(tokenCache(m, "miss")).isEqualTo(2);
        }
    }

    @Test
    void refreshReturningTheSameKeysKeepsTheSameKeyObjects() throws Exception {
        KeyRegistry r = loaded(k1, k2);
        VerificationKey before = r.find("idp-1", JwsAlgorithm.ES256)[0];
        serve(k2, k1);
        clock.advance(MIN_REFETCH.plusSeconds(1));
        await(r.refetchForUnknownKid());
        assertThat(r.find("idp-1", JwsAlgorithm.ES256)).singleElement().isSameAs(before);
    }

    @Test
    void tokenSignedByANewlyPublishedKeyIsAllowedAfterTheRefetch() throws Exception {
        KeyRegistry r = loaded(k1);
        serve(k1, k3);
        clock.advance(MIN_REFETCH.plusSeconds(1));
        try (Authorizer a = authorizer(r)) {
            assertThat(authorize(a, Tokens.signedBy(k3, clock).sign()).allowed()).isTrue();
            // Another new kid within minRefetch is not fetched again.
            Verdict other = authorize(a, Tokens.signedBy(k2, clock).sign());
            assertThat(other.reason()).isEqualTo(DenialReason.UNKNOWN_KEY);
        }
        assertThat(requests()).isEqualTo(2);
    }

    @Test
    void periodicRefreshPicksUpRotationWithoutAnyUnknownKid() throws Exception {
        serve(k1);
        ExecutorService exec = Executors.newFixedThreadPool(1);
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        closeables.add(scheduler::shutdownNow);
        closeables.add(exec::shutdownNow);
        HttpClient http = HttpClient.newBuilder().executor(exec).build();
        BlockingQueue<Set<String>> changes = new LinkedBlockingQueue<>();
        RemoteJwks[] holder = new RemoteJwks[1];
        RemoteJwks jwks = new RemoteJwks(uri(), SOURCE, Duration.ofMillis(100), MIN_REFETCH, TIMEOUT, http, exec,
                scheduler, new KeyParser(Fixture.crypto()), clock, metrics,
                () -> changes.add(holder[0].keys().stream().map(VerificationKey::kid).collect(Collectors.toSet())));
        holder[0] = jwks;
        closeables.add(jwks);

        await(jwks.start());
        assertThat(changes.poll(WAIT, TimeUnit.SECONDS)).containsExactly("idp-1");
        serve(k1, k2);
        // Due by the ticker; the scheduler's next wake-up (every 100 ms here) starts the fetch.
        clock.advance(Duration.ofMillis(100));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        Set<String> seen = Set.of();
        while (!seen.contains("idp-2") && System.nanoTime() < deadline) {
            Set<String> next = changes.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            seen = next == null ? seen : next;
        }
        assertThat(seen).containsExactlyInAnyOrder("idp-1", "idp-2");
    }

    @Test
    void refreshIsDueByTheInjectedTickerNotBeforeAndNotByTheWallClock() throws Exception {
        KeyRegistry r = loaded(k1);
        serve(k1, k2);
        await(r.refreshIfDue());
        clock.set(clock.instant().plus(Duration.ofDays(1)));
        await(r.refreshIfDue());
        clock.advance(REFRESH.minusMillis(1));
        await(r.refreshIfDue());
        assertThat(requests()).as("wall clock a day ahead, ticker 1 ms short of refresh").isEqualTo(1);
        clock.advance(Duration.ofMillis(1));
        await(r.refreshIfDue());
        assertThat(requests()).isEqualTo(2);
        assertThat(r.find("idp-2", JwsAlgorithm.RS256)).hasSize(1);
        await(r.refreshIfDue());
        assertThat(requests()).isEqualTo(2);
    }

    /** Review finding: minRefetch was measured on the wall clock, so a step back froze it and a step ahead lifted it. */
    @Test
    void wallClockStepsNeitherFreezeNorLiftTheRefetchThrottle() throws Exception {
        KeyRegistry r = loaded(k1);
        clock.set(clock.instant().plus(Duration.ofHours(2)));
        assertThat(r.refetchForUnknownKid()).as("wall clock stepped ahead, no time elapsed").isNull();
        clock.set(clock.instant().minus(Duration.ofDays(1)));
        clock.advance(MIN_REFETCH);
        CompletableFuture<Void> f = r.refetchForUnknownKid();
        assertThat(f).as("wall clock stepped back, minRefetch elapsed").isNotNull();
        await(f);
        assertThat(requests()).isEqualTo(2);
    }

    // --- refetch throttle --------------------------------------------------------------------

    @Test
    void floodOfRandomKidsCausesAtMostOneFetchPerMinRefetch() throws Exception {
        KeyRegistry r = loaded(k1);
        clock.advance(MIN_REFETCH.plusSeconds(1));

        List<CompletableFuture<Void>> started = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            assertThat(r.find(randomKid(), JwsAlgorithm.ES256)).isEmpty();
            CompletableFuture<Void> f = r.refetchForUnknownKid();
            if (f != null) {
                started.add(f);
            }
        }
        assertThat(started).isNotEmpty();
        await(CompletableFuture.allOf(started.toArray(CompletableFuture[]::new)));
        assertThat(requests()).isEqualTo(2);

        // The clock has not moved: everything after the fetch finished is throttled.
        for (int i = 0; i < 5000; i++) {
            assertThat(r.refetchForUnknownKid()).isNull();
        }
        clock.advance(MIN_REFETCH.minusMillis(1));
        assertThat(r.refetchForUnknownKid()).as("just under minRefetch").isNull();
        assertThat(requests()).isEqualTo(2);

        clock.advance(Duration.ofSeconds(1));
        CompletableFuture<Void> again = r.refetchForUnknownKid();
        assertThat(again).as("past minRefetch").isNotNull();
        await(again);
        for (int i = 0; i < 1000; i++) {
            assertThat(r.refetchForUnknownKid()).isNull();
        }
        assertThat(requests()).isEqualTo(3);
        assertThat(fetches("success")).isEqualTo(3);
    }

    @Test
    void concurrentFloodOfUnknownKidTokensCausesOneFetch() throws Exception {
        KeyRegistry r = loaded(k1);
        clock.advance(MIN_REFETCH.plusSeconds(1));
        TestKeys attacker = TestKeys.fresh("attacker", JwsAlgorithm.ES256);
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < 800; i++) {
            tokens.add(Tokens.signedBy(attacker, clock).header("kid", randomKid()).sign());
        }
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        closeables.add(pool::shutdownNow);
        CountDownLatch go = new CountDownLatch(1);
        try (Authorizer a = authorizer(r)) {
            List<Future<List<CompletionStage<Verdict>>>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int from = t;
                workers.add(pool.submit(() -> {
                    go.await();
                    List<CompletionStage<Verdict>> out = new ArrayList<>();
                    for (int i = from; i < tokens.size(); i += threads) {
                        out.add(a.authorize(ROUTE, BasicRequestView.of("/live/x?token=" + tokens.get(i))));
                    }
                    return out;
                }));
            }
            go.countDown();
            int denied = 0;
            for (Future<List<CompletionStage<Verdict>>> w : workers) {
                for (CompletionStage<Verdict> v : w.get(WAIT, TimeUnit.SECONDS)) {
                    assertThat(await(v).reason()).isEqualTo(DenialReason.UNKNOWN_KEY);
                    denied++;
                }
            }
            assertThat(denied).isEqualTo(800);
        }
        assertThat(requests()).isEqualTo(2);
    }

    // --- single flight -----------------------------------------------------------------------

    @Test
    void callersDuringAFetchShareTheSameFuture() throws Exception {
        serve(okJson(TestKeys.jwks(k1)).withFixedDelay(500));
        ExecutorService exec = Executors.newFixedThreadPool(1);
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        closeables.add(scheduler::shutdownNow);
        closeables.add(exec::shutdownNow);
        HttpClient http = HttpClient.newBuilder().executor(exec).build();
        RemoteJwks jwks = new RemoteJwks(uri(), SOURCE, REFRESH, MIN_REFETCH, TIMEOUT, http, exec, scheduler,
                new KeyParser(Fixture.crypto()), clock, metrics, () -> { });
        closeables.add(jwks);

        CompletableFuture<Void> first = jwks.refetchEarly();
        assertThat(first).isNotNull();
        assertThat(first.isDone()).isFalse();
        int threads = 16;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        closeables.add(pool::shutdownNow);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<CompletableFuture<Void>>> calls = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            calls.add(pool.submit(() -> {
                go.await();
                return jwks.refetchEarly();
            }));
        }
        go.countDown();
        for (Future<CompletableFuture<Void>> c : calls) {
            CompletableFuture<Void> f = c.get(WAIT, TimeUnit.SECONDS);
            assertThat(f).isSameAs(first);
        }
        await(first);
        assertThat(jwks.loaded()).isTrue();
        assertThat(jwks.keys()).extracting(VerificationKey::kid).containsExactly("idp-1");
        assertThat(requests()).isEqualTo(1);
    }

    /** A test clock whose reads park one chosen thread once, at the point where it reads the time. */
    private static final class PausingClock extends java.time.Clock implements com.github.benmanes.caffeine.cache.Ticker {
        private final MutableClock clock;
        private volatile Thread paused;
        final CountDownLatch reached = new CountDownLatch(1);
        final CountDownLatch resume = new CountDownLatch(1);

        PausingClock(MutableClock clock) {
            this.clock = clock;
        }

        void pause(Thread t) {
            paused = t;
        }

        private void maybePause() {
            if (Thread.currentThread() == paused) {
                paused = null;
                reached.countDown();
                try {
                    resume.await(WAIT, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        @Override
        public long read() {
            maybePause();
            return clock.read();
        }

        @Override
        public long millis() {
            maybePause();
            return clock.millis();
        }

        @Override
        public java.time.Instant instant() {
            return java.time.Instant.ofEpochMilli(millis());
        }

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public java.time.Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    /**
     * Review finding: a caller that had found no fetch under way and then saw another caller's
     * minRefetch claim was told "no refetch" (null) while that fetch was in flight. Caller A is
     * parked while it reads the time; B starts the fetch (held in flight); A must get B's future.
     */
    @Test
    void callerThatSeesAnotherCallersClaimGetsItsInFlightFutureNotNull() throws Exception {
        serve(k1);
        ExecutorService http = Executors.newFixedThreadPool(2);
        ExecutorService parse = Executors.newSingleThreadExecutor();
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        ExecutorService callerA = Executors.newSingleThreadExecutor();
        closeables.add(scheduler::shutdownNow);
        closeables.add(parse::shutdownNow);
        closeables.add(http::shutdownNow);
        closeables.add(callerA::shutdownNow);
        PausingClock time = new PausingClock(clock);
        RemoteJwks jwks = new RemoteJwks(uri(), SOURCE, REFRESH, MIN_REFETCH, TIMEOUT,
                HttpClient.newBuilder().executor(http).build(), parse, scheduler,
                new KeyParser(Fixture.crypto()), time, metrics, () -> { });
        closeables.add(jwks);
        await(jwks.start());
        // Hold the parse thread: the next fetch stays in flight until held is released.
        CountDownLatch held = new CountDownLatch(1);
        clock.advance(MIN_REFETCH);

        Thread[] a = new Thread[1];
        callerA.submit(() -> a[0] = Thread.currentThread()).get(WAIT, TimeUnit.SECONDS);
        time.pause(a[0]);
        parse.execute(() -> {
            try {
                held.await(WAIT, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Future<CompletableFuture<Void>> fromA = callerA.submit(jwks::refetchEarly);
        assertThat(time.reached.await(WAIT, TimeUnit.SECONDS)).isTrue();

        CompletableFuture<Void> fromB = jwks.refetchEarly();
        assertThat(fromB).isNotNull();
        assertThat(fromB.isDone()).isFalse();
        time.resume.countDown();
        assertThat(fromA.get(WAIT, TimeUnit.SECONDS)).as("A saw B's claim").isSameAs(fromB);
        held.countDown();
        await(fromB);
        assertThat(requests()).isEqualTo(2);
    }

    /**
     * Stress companion of the test above: callers racing a refetch that is starting. The fetch
     * is held in flight by a gated parse executor, so within a round every caller must get the
     * one future, none null, and each round makes exactly one request.
     */
    @Test
    void callersRacingARefetchThatIsStartingAllGetItsFutureNeverNull() throws Exception {
        serve(k1);
        ExecutorService http = Executors.newFixedThreadPool(2);
        ExecutorService parse = Executors.newSingleThreadExecutor();
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        closeables.add(scheduler::shutdownNow);
        closeables.add(parse::shutdownNow);
        closeables.add(http::shutdownNow);
        java.util.concurrent.atomic.AtomicReference<CountDownLatch> gate =
                new java.util.concurrent.atomic.AtomicReference<>(new CountDownLatch(0));
        java.util.concurrent.Executor gated = task -> parse.execute(() -> {
            try {
                gate.get().await(WAIT, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            task.run();
        });
        RemoteJwks jwks = new RemoteJwks(uri(), SOURCE, REFRESH, MIN_REFETCH, TIMEOUT,
                HttpClient.newBuilder().executor(http).build(), gated, scheduler,
                new KeyParser(Fixture.crypto()), clock, metrics, () -> { });
        closeables.add(jwks);
        await(jwks.start());

        int threads = 8;
        int rounds = 100;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        closeables.add(pool::shutdownNow);
        for (int round = 0; round < rounds; round++) {
            CountDownLatch held = new CountDownLatch(1);
            gate.set(held);
            clock.advance(MIN_REFETCH);
            java.util.concurrent.CyclicBarrier go = new java.util.concurrent.CyclicBarrier(threads);
            List<Future<CompletableFuture<Void>>> calls = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                calls.add(pool.submit(() -> {
                    go.await(WAIT, TimeUnit.SECONDS);
                    return jwks.refetchEarly();
                }));
            }
            Set<CompletableFuture<Void>> seen = Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            for (Future<CompletableFuture<Void>> c : calls) {
                CompletableFuture<Void> f = c.get(WAIT, TimeUnit.SECONDS);
                assertThat(f).as("round %d: a caller got no refetch while one was starting", round).isNotNull();
                seen.add(f);
            }
            assertThat(seen).as("round %d: one fetch, shared", round).hasSize(1);
            CompletableFuture<Void> f = seen.iterator().next();
            assertThat(f.isDone()).isFalse();
            held.countDown();
            await(f);
            assertThat(jwks.refetchEarly()).as("round %d: throttled after the fetch", round).isNull();
        }
        assertThat(requests()).isEqualTo(rounds + 1);
        assertThat(fetches("success")).isEqualTo(rounds + 1);
    }

    @Test
    void concurrentUnknownKidsDuringASlowFetchMakeOneRequest() throws Exception {
        KeyRegistry r = loaded(k1);
        serve(okJson(TestKeys.jwks(k1, k2)).withFixedDelay(500));
        clock.advance(MIN_REFETCH.plusSeconds(1));
        int threads = 16;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        closeables.add(pool::shutdownNow);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<CompletableFuture<Void>>> calls = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            calls.add(pool.submit(() -> {
                go.await();
                return r.refetchForUnknownKid();
            }));
        }
        go.countDown();
        List<CompletableFuture<Void>> started = new ArrayList<>();
        for (Future<CompletableFuture<Void>> c : calls) {
            CompletableFuture<Void> f = c.get(WAIT, TimeUnit.SECONDS);
            if (f != null) {
                started.add(f);
            }
        }
        assertThat(started).isNotEmpty();
        await(CompletableFuture.allOf(started.toArray(CompletableFuture[]::new)));
        assertThat(r.find("idp-2", JwsAlgorithm.RS256)).hasSize(1);
        assertThat(requests()).isEqualTo(2);
    }

    @Test
    void unknownKidDuringTheFirstFetchJoinsItInsteadOfFetchingAgain() throws Exception {
        serve(okJson(TestKeys.jwks(k1)).withFixedDelay(500));
        KeyRegistry r = registry();
        CompletableFuture<Void> start = r.start();
        assertThat(start.isDone()).isFalse();
        CompletableFuture<Void> refetch = r.refetchForUnknownKid();
        assertThat(refetch).isNotNull();
        assertThat(refetch.isDone()).isFalse();
        await(refetch);
        await(start);
        assertThat(r.find("idp-1", JwsAlgorithm.ES256)).hasSize(1);
        assertThat(requests()).isEqualTo(1);
    }

    // --- a slow endpoint never blocks a caller -----------------------------------------------

    @Test
    void slowEndpointNeverBlocksTheCaller() throws Exception {
        KeyRegistry r = loaded(k1);
        serve(okJson(TestKeys.jwks(k1, k2)).withFixedDelay(1500));
        clock.advance(MIN_REFETCH.plusSeconds(1));
        try (Authorizer a = authorizer(r)) {
            CompletableFuture<Void> refetch = r.refetchForUnknownKid();
            assertThat(refetch).isNotNull();
            assertThat(refetch.isDone()).as("returned while the endpoint is still delaying").isFalse();

            // Known keys keep working, at once, while the fetch is under way.
            assertThat(r.find("idp-1", JwsAlgorithm.ES256)).hasSize(1);
            CompletableFuture<Verdict> known = a.authorize(ROUTE,
                    BasicRequestView.of("/live/x?token=" + Tokens.signedBy(k1, clock).sign())).toCompletableFuture();
            assertThat(known.isDone()).isTrue();
            assertThat(known.join().allowed()).isTrue();

            // A token naming the key being fetched waits on the future, not on a thread.
            CompletableFuture<Verdict> pending = a.authorize(ROUTE,
                    BasicRequestView.of("/live/x?token=" + Tokens.signedBy(k2, clock).sign())).toCompletableFuture();
            assertThat(pending.isDone()).isFalse();

            await(refetch);
            assertThat(await(pending).allowed()).isTrue();
        }
        assertThat(requests()).isEqualTo(2);
    }

    @Test
    void startReturnsBeforeASlowFirstFetchCompletes() throws Exception {
        serve(okJson(TestKeys.jwks(k1)).withFixedDelay(1000));
        KeyRegistry r = registry();
        CompletableFuture<Void> start = r.start();
        assertThat(start.isDone()).isFalse();
        assertThat(r.ready()).isFalse();
        await(start);
        assertThat(r.ready()).isTrue();
    }

    // --- failures keep the last good keys ----------------------------------------------------

    enum Failure {
        HTTP_500, TIMEOUT, BODY_STALLS, GARBAGE_JSON, HTML, EMPTY_KEYS, ONLY_UNUSABLE_KEYS, OVERSIZED, REDIRECT, NOT_FOUND
    }

    private void serveFailure(Failure f) {
        switch (f) {
            case HTTP_500 -> serve(serverError().withBody(TestKeys.jwks(k1, k2)));
            case NOT_FOUND -> serve(aResponse().withStatus(404));
            case TIMEOUT -> serve(okJson(TestKeys.jwks(k1, k2)).withFixedDelay((int) TIMEOUT.toMillis() * 4));
            // Headers at once, then the body dribbles for longer than the timeout allows.
            case BODY_STALLS -> serve(okJson(TestKeys.jwks(k1, k2))
                    .withChunkedDribbleDelay(20, (int) TIMEOUT.toMillis() * 5));
            case GARBAGE_JSON -> serve(okJson("{\"keys\": [ {\"kty\": \"EC\", "));
            case HTML -> serve(aResponse().withStatus(200).withHeader("Content-Type", "text/html")
                    .withBody("<html><body>maintenance</body></html>"));
            case EMPTY_KEYS -> serve(okJson("{\"keys\":[]}"));
            case ONLY_UNUSABLE_KEYS -> serve(okJson("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"idp-2\",\"k\":\"c2VjcmV0\"}]}"));
            case OVERSIZED -> {
                String jwks = TestKeys.jwks(k1, k2);
                serve(okJson(jwks.substring(0, 1) + " ".repeat(RemoteJwks.MAX_BYTES) + jwks.substring(1)));
            }
            case REDIRECT -> {
                server.stubFor(get("/elsewhere.json").willReturn(okJson(TestKeys.jwks(k1, k2))));
                serve(aResponse().withStatus(302).withHeader("Location", server.baseUrl() + "/elsewhere.json"));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Failure.class)
    void failingEndpointKeepsTheLastGoodKeysAndRecovers(Failure failure) throws Exception {
        KeyRegistry r = loaded(k1);
        try (Authorizer a = authorizer(r)) {
            serveFailure(failure);
            clock.advance(MIN_REFETCH.plusSeconds(1));
            CompletableFuture<Void> refetch = r.refetchForUnknownKid();
            assertThat(refetch).isNotNull();
            await(refetch);

            assertThat(r.anySourceFailing()).isTrue();
            assertThat(r.ready()).as("loaded once: still ready").isTrue();
            assertThat(r.find("idp-1", JwsAlgorithm.ES256)).hasSize(1);
            assertThat(r.find("idp-2", JwsAlgorithm.RS256)).isEmpty();
            assertThat(fetches("failure")).isEqualTo(1);
            assertThat(fetches("success")).isEqualTo(1);
            assertThat(loadedGauge()).isEqualTo(1);
            assertThat(authorize(a, Tokens.signedBy(k1, clock).sign()).allowed()).isTrue();
            assertThat(authorize(a, Tokens.signedBy(k2, clock).sign()).reason())
                    .as("unknown kid while the source fails").isEqualTo(DenialReason.KEY_SOURCE_UNAVAILABLE);

            serve(k1, k2);
            clock.advance(MIN_REFETCH.plusSeconds(1));
            await(r.refetchForUnknownKid());

            assertThat(r.anySourceFailing()).isFalse();
            assertThat(r.find("idp-2", JwsAlgorithm.RS256)).hasSize(1);
            assertThat(fetches("success")).isEqualTo(2);
            assertThat(fetches("failure")).isEqualTo(1);
            assertThat(loadedGauge()).isEqualTo(2);
            assertThat(authorize(a, Tokens.signedBy(k2, clock).sign()).allowed()).isTrue();
        }
        if (failure == Failure.REDIRECT) {
            server.verify(0, getRequestedFor(urlEqualTo("/elsewhere.json")));
        }
    }

    @Test
    void endpointDownAtStartLeavesRegistryNotReadyUntilItRecovers() throws Exception {
        serve(serverError());
        KeyRegistry r = registry();
        await(r.start());
        assertThat(r.ready()).isFalse();
        assertThat(r.anySourceFailing()).isTrue();
        assertThat(r.find("idp-1", JwsAlgorithm.ES256)).isEmpty();
        assertThat(fetches("failure")).isEqualTo(1);
        assertThat(loadedGauge()).isZero();
        try (Authorizer a = authorizer(r)) {
            assertThat(authorize(a, Tokens.signedBy(k1, clock).sign()).reason())
                    .isEqualTo(DenialReason.KEY_SOURCE_UNAVAILABLE);

            serve(k1);
            clock.advance(MIN_REFETCH.plusSeconds(1));
            assertThat(authorize(a, Tokens.signedBy(k1, clock).sign()).allowed()).isTrue();
        }
        assertThat(r.ready()).isTrue();
        assertThat(r.anySourceFailing()).isFalse();
        assertThat(requests()).isEqualTo(2);
    }

    @Test
    void failedFetchAlsoCountsAgainstMinRefetch() throws Exception {
        KeyRegistry r = loaded(k1);
        serve(serverError());
        clock.advance(MIN_REFETCH.plusSeconds(1));
        await(r.refetchForUnknownKid());
        for (int i = 0; i < 1000; i++) {
            assertThat(r.refetchForUnknownKid()).isNull();
        }
        assertThat(requests()).isEqualTo(2);
        assertThat(fetches("failure")).isEqualTo(1);
    }

    @Test
    void twoRemoteSourcesAreFetchedAndCountedSeparately() throws Exception {
        server.stubFor(get("/a.json").willReturn(okJson(TestKeys.jwks(k1))));
        server.stubFor(get("/b.json").willReturn(serverError()));
        KeyRegistry r = KeyRegistry.builder(Fixture.crypto()).clock(clock).metrics(metrics)
                .addRemote(URI.create(server.baseUrl() + "/a.json"), "keys[0]", REFRESH, MIN_REFETCH, TIMEOUT)
                .addRemote(URI.create(server.baseUrl() + "/b.json"), "keys[1]", REFRESH, MIN_REFETCH, TIMEOUT)
                .build();
        closeables.add(r);
        await(r.start());
        assertThat(r.find("idp-1", JwsAlgorithm.ES256)).hasSize(1);
        assertThat(r.anySourceFailing()).isTrue();
        assertThat(r.ready()).as("keys[1] never loaded").isFalse();
        assertThat(Fixture.count(meters, "streamgate.keys.fetches", "source", "keys[0]", "result", "success")).isEqualTo(1);
        assertThat(Fixture.count(meters, "streamgate.keys.fetches", "source", "keys[1]", "result", "failure")).isEqualTo(1);

        server.stubFor(get("/b.json").willReturn(okJson(TestKeys.jwks(k2))));
        clock.advance(MIN_REFETCH.plusSeconds(1));
        await(r.refetchForUnknownKid());
        assertThat(r.find("idp-2", JwsAlgorithm.RS256)).singleElement()
                .satisfies(k -> assertThat(k.source()).isEqualTo("keys[1]"));
        assertThat(r.ready()).isTrue();
        assertThat(r.anySourceFailing()).isFalse();
    }
}
