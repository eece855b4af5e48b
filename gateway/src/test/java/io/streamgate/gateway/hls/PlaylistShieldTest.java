package io.streamgate.gateway.hls;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.streamgate.filters.testing.TestKeys;
import io.streamgate.filters.testing.Tokens;
import io.streamgate.gateway.GatewayHarness;
import io.streamgate.gateway.runtime.GatewayServer;

/** The origin shield: playlists coalesced and reused as the origin allows, rewritten per viewer. */
class PlaylistShieldTest {
    private static final String PLAYLIST = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nseg1.ts\n";

    @TempDir
    Path dir;
    private final TestKeys key = TestKeys.es256("k1");
    private final AtomicInteger originRequests = new AtomicInteger();
    private final AtomicReference<String> cacheControl = new AtomicReference<>("max-age=1");
    private volatile CountDownLatch hold = new CountDownLatch(0);
    private final List<String> originQueries = java.util.Collections.synchronizedList(new ArrayList<>());
    private Server origin;
    private GatewayServer gateway;
    private final HttpClient http = HttpClient.newBuilder().executor(java.util.concurrent.Executors.newFixedThreadPool(8))
            .build();

    @BeforeEach
    void start() throws Exception {
        origin = new Server();
        ServerConnector c = new ServerConnector(origin);
        c.setHost("127.0.0.1");
        origin.addConnector(c);
        ServletContextHandler ctx = new ServletContextHandler();
        ctx.addServlet(new ServletHolder(new HttpServlet() {
            @Override
            protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
                originRequests.incrementAndGet();
                originQueries.add(String.valueOf(req.getQueryString()));
                try {
                    hold.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                resp.setContentType("application/vnd.apple.mpegurl");
                if (cacheControl.get() != null) {
                    resp.setHeader("Cache-Control", cacheControl.get());
                }
                resp.setHeader("ETag", "\"v1\"");
                if ("\"v1\"".equals(req.getHeader("If-None-Match"))) {
                    resp.setStatus(304);
                    return;
                }
                if (req.getRequestURI().endsWith(".ts")) {
                    resp.setContentType("video/mp2t");
                    resp.getWriter().write("segment");
                    return;
                }
                if (req.getRequestURI().endsWith(".mpd")) {
                    resp.setContentType("application/dash+xml");
                    resp.setHeader("Surrogate-Control", "max-age=60");
                    resp.setHeader("CDN-Cache-Control", "max-age=60");
                    resp.getWriter().write("<?xml version=\"1.0\"?>\n<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" "
                            + "type=\"static\"><Period><AdaptationSet><Representation id=\"v\" bandwidth=\"1\">"
                            + "<SegmentTemplate media=\"seg-$Number$.m4s\" initialization=\"init.m4s\"/>"
                            + "</Representation></AdaptationSet></Period></MPD>\n");
                    return;
                }
                if (req.getRequestURI().contains("shadow")) {
                    // an origin (or whoever wrote its playlists) putting a credential of its own on a URI
                    resp.getWriter().write("#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"key.bin?sg_session=ORIGIN\"\n"
                            + "#EXTINF:2,\nseg1.ts?SG_SESSION=x&sg%5Fsession=y\n");
                    return;
                }
                if (req.getRequestURI().contains("vary")) {
                    // an origin answering each X-Who its own playlist, and saying so
                    resp.setHeader("Vary", req.getRequestURI().contains("varystar") ? "*" : "Accept-Encoding, X-Who");
                    resp.getWriter().write("#EXTM3U\n#EXTINF:2,\nseg-" + req.getHeader("X-Who") + ".ts\n");
                    return;
                }
                if (req.getRequestURI().contains("abs")) {
                    // an origin that builds absolute URIs from what the proxy says the viewer used
                    resp.getWriter().write("#EXTM3U\n#EXTINF:2,\nhttp://" + req.getHeader("X-Forwarded-Host")
                            + "/live/ev1/seg1.ts\n");
                    return;
                }
                resp.getWriter().write(PLAYLIST);
            }
        }), "/*");
        origin.setHandler(ctx);
        origin.start();
        gateway = GatewayHarness.start(dir, key, GatewayHarness.head(key, 0)
                + "hls: {shieldMaxAge: 30s}\n"
                + "routes: [{name: hls, path: /live/, type: hls, upstream: 'http://127.0.0.1:" + c.getLocalPort()
                + "/live/'}]\n", Clock.systemUTC());
    }

    @AfterEach
    void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        origin.stop();
    }

    private CompletableFuture<HttpResponse<String>> viewer(String query) {
        String t = Tokens.signedBy(key, System.currentTimeMillis() / 1000).sign();
        return http.sendAsync(HttpRequest.newBuilder(gateway.uri().resolve("/live/ev1/index.m3u8?" + query
                + "token=" + t)).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private double shield(String outcome) {
        var c = gateway.registry().find("streamgate.hls.shield").tag("outcome", outcome).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void concurrentViewersOfOnePlaylistCostTheOriginOneRequestAndEachGetsItsOwnCredential() throws Exception {
        hold = new CountDownLatch(1);
        int viewers = 200;
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < viewers; i++) {
            all.add(viewer(""));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (shield("coalesced") < viewers - 1 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        hold.countDown();
        Set<String> credentials = new HashSet<>();
        for (CompletableFuture<HttpResponse<String>> f : all) {
            HttpResponse<String> r = f.get(20, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("seg1.ts?sg_session=");
            credentials.add(r.body().substring(r.body().indexOf("sg_session=")));
        }
        assertThat(originRequests.get()).as("upstream requests for one playlist version").isEqualTo(1);
        assertThat(credentials).as("every viewer got a credential of its own").hasSize(viewers);
        assertThat(shield("fetched")).isEqualTo(1);
        assertThat(originQueries).as("no token or credential reaches the origin").allSatisfy(q ->
                assertThat(q).doesNotContain("token").doesNotContain("sg_session"));
    }

    @Test
    void aPlaylistIsReusedWithinItsMaxAgeAndNotForNoStore() throws Exception {
        assertThat(viewer("").get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(viewer("").get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(originRequests.get()).as("reused within max-age=1").isEqualTo(1);
        assertThat(shield("reused")).isEqualTo(1);

        cacheControl.set("no-store");
        assertThat(viewer("_HLS_msn=7&").get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(viewer("_HLS_msn=7&").get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(originRequests.get()).as("no-store: fetched each time (LL-HLS parameters are another key)")
                .isEqualTo(3);
        assertThat(originQueries).contains("_HLS_msn=7");
    }

    @Test
    void aForgedHostDoesNotPoisonThePlaylistOtherViewersGet() throws Exception {
        String t = Tokens.signedBy(key, System.currentTimeMillis() / 1000).sign();
        try (java.net.Socket raw = new java.net.Socket("127.0.0.1", gateway.port())) {
            raw.setSoTimeout(10_000);
            raw.getOutputStream().write(("GET /live/ev1/abs.m3u8?token=" + t + " HTTP/1.1\r\nHost: evil.example\r\n"
                    + "Connection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            assertThat(new String(raw.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1))
                    .startsWith("HTTP/1.1 200").contains("evil.example"); // the sender's own copy
        }
        String t2 = Tokens.signedBy(key, System.currentTimeMillis() / 1000).sign();
        HttpResponse<String> honest = http.send(HttpRequest.newBuilder(gateway.uri().resolve("/live/ev1/abs.m3u8?token="
                + t2)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(honest.statusCode()).isEqualTo(200);
        // regression: the shield reused the forged-Host answer for every viewer within max-age
        assertThat(honest.body()).doesNotContain("evil.example");
        assertThat(originRequests.get()).isEqualTo(2);
    }

    @Test
    void aConditionalRequestNeverHandsOthersA304AndRewrittenPlaylistsCarryNoOriginValidators() throws Exception {
        String t = Tokens.signedBy(key, System.currentTimeMillis() / 1000).sign();
        HttpResponse<String> conditional = http.send(HttpRequest.newBuilder(gateway.uri().resolve(
                "/live/ev1/index.m3u8?token=" + t)).header("If-None-Match", "\"v1\"").build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> plain = viewer("").get(10, TimeUnit.SECONDS);
        // regression: a coalesced viewer got the first viewer's empty 304
        assertThat(conditional.statusCode()).isEqualTo(200);
        assertThat(plain.statusCode()).isEqualTo(200);
        assertThat(plain.body()).contains("sg_session=");
        assertThat(plain.headers().firstValue("ETag")).as("the origin's ETag does not describe a rewritten body")
                .isEmpty();
    }

    @Test
    void aHeadOfAPlaylistDoesNotClaimAnEmptyBody() throws Exception {
        String t = Tokens.signedBy(key, System.currentTimeMillis() / 1000).sign();
        HttpResponse<Void> head = http.send(HttpRequest.newBuilder(gateway.uri().resolve("/live/ev1/index.m3u8?token="
                + t)).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValue("Content-Length")).as("regression: was 0").isNotEqualTo(java.util.Optional.of("0"));
    }

    @Test
    void aHeadOfAPlaylistIsAnsweredFromTheShield() throws Exception {
        hold = new CountDownLatch(1);
        CompletableFuture<HttpResponse<String>> get = viewer("");
        awaitOriginRequests(1); // held there
        String t = Tokens.signedBy(key, System.currentTimeMillis() / 1000).sign();
        CompletableFuture<HttpResponse<String>> head = http.sendAsync(HttpRequest.newBuilder(gateway.uri().resolve(
                "/live/ev1/index.m3u8?token=" + t)).method("HEAD", HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        // regression: a HEAD went to the origin past the shield, one fetch per HEAD
        awaitShield("coalesced", 1);
        hold.countDown();
        HttpResponse<String> g = get.get(20, TimeUnit.SECONDS);
        HttpResponse<String> h = head.get(20, TimeUnit.SECONDS);
        assertThat(g.statusCode()).isEqualTo(200);
        assertThat(h.statusCode()).isEqualTo(200);
        assertThat(h.body()).isEmpty();
        assertThat(h.headers().firstValueAsLong("Content-Length").orElse(0)).isPositive();
        assertThat(originRequests.get()).isEqualTo(1);
    }

    private CompletableFuture<HttpResponse<String>> viewerAs(String path, String who) {
        String t = Tokens.signedBy(key, System.currentTimeMillis() / 1000).sign();
        return http.sendAsync(HttpRequest.newBuilder(gateway.uri().resolve(path + "?token=" + t)).header("X-Who", who)
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private void awaitShield(String outcome, double count) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (shield(outcome) < count && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(shield(outcome)).as(outcome).isEqualTo(count);
    }

    private void awaitOriginRequests(int count) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (originRequests.get() < count && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(originRequests.get()).as("requests at the origin").isEqualTo(count);
    }

    @Test
    void shieldNeverSharesAResponseAcrossVaryingHeaders() throws Exception {
        hold = new CountDownLatch(1);
        // the attacker's request is the one fetch; the victim's and a second attacker's join it
        CompletableFuture<HttpResponse<String>> attacker = viewerAs("/live/ev1/vary.m3u8", "attacker");
        awaitOriginRequests(1); // held there
        CompletableFuture<HttpResponse<String>> victim = viewerAs("/live/ev1/vary.m3u8", "victim");
        CompletableFuture<HttpResponse<String>> accomplice = viewerAs("/live/ev1/vary.m3u8", "attacker");
        awaitShield("coalesced", 2);
        assertThat(originRequests.get()).isEqualTo(1);
        hold.countDown();
        assertThat(attacker.get(20, TimeUnit.SECONDS).body()).contains("seg-attacker.ts?sg_session=");
        HttpResponse<String> v = victim.get(20, TimeUnit.SECONDS);
        assertThat(v.statusCode()).isEqualTo(200);
        // regression: the victim got the attacker's playlist (seg-attacker.ts)
        assertThat(v.body()).contains("seg-victim.ts?sg_session=").doesNotContain("attacker");
        assertThat(accomplice.get(20, TimeUnit.SECONDS).body()).as("same varied values: shared")
                .contains("seg-attacker.ts?sg_session=");
        assertThat(originRequests.get()).as("the victim fetched its own; the same X-Who shared").isEqualTo(2);

        // the shield learned the playlist varies by X-Who: from now on viewers are coalesced by it
        hold = new CountDownLatch(1);
        attacker = viewerAs("/live/ev1/vary.m3u8", "attacker");
        awaitOriginRequests(3);
        victim = viewerAs("/live/ev1/vary.m3u8", "victim");
        awaitOriginRequests(4); // a fetch of its own from the start, not a wait on the attacker's
        accomplice = viewerAs("/live/ev1/vary.m3u8", "attacker");
        awaitShield("coalesced", 3);
        hold.countDown();
        assertThat(victim.get(20, TimeUnit.SECONDS).body()).contains("seg-victim.ts?sg_session=");
        assertThat(attacker.get(20, TimeUnit.SECONDS).body()).contains("seg-attacker.ts?sg_session=");
        assertThat(accomplice.get(20, TimeUnit.SECONDS).body()).contains("seg-attacker.ts?sg_session=");
        assertThat(shield("fetched")).isEqualTo(3);
        assertThat(originRequests.get()).isEqualTo(4);

        // Vary: * is shared with nobody, not even with identical requests
        hold = new CountDownLatch(1);
        CompletableFuture<HttpResponse<String>> first = viewerAs("/live/ev1/varystar.m3u8", "same");
        awaitOriginRequests(5);
        CompletableFuture<HttpResponse<String>> second = viewerAs("/live/ev1/varystar.m3u8", "same");
        awaitShield("coalesced", 4);
        hold.countDown();
        assertThat(first.get(20, TimeUnit.SECONDS).body()).contains("seg-same.ts");
        assertThat(second.get(20, TimeUnit.SECONDS).body()).contains("seg-same.ts");
        assertThat(originRequests.get()).as("Vary: *: the second viewer fetched its own").isEqualTo(6);
    }

    @Test
    void aVaryingResponseIsSharedOnlyWhenEveryVariedHeaderAgrees() {
        HttpFields response = HttpFields.build().put(HttpHeader.VARY, "Accept-Encoding, X-Who");
        HttpFields sent = HttpFields.build().put("X-Who", "a");
        PlaylistShield.Fetched f = new PlaylistShield.Fetched(200, response, new byte[0], 0, true, sent);
        assertThat(f.sharedWith(() -> HttpFields.build().put("x-who", "a"))).isTrue();
        assertThat(f.sharedWith(() -> HttpFields.build().put("X-Who", "b"))).isFalse();
        assertThat(f.sharedWith(HttpFields::build)).as("absent in one").isFalse();
        PlaylistShield.Fetched encoding = new PlaylistShield.Fetched(200, HttpFields.build().put(HttpHeader.VARY,
                "Accept-Encoding"), new byte[0], 0, true, sent);
        assertThat(encoding.sharedWith(() -> {
            throw new AssertionError("Accept-Encoding is never forwarded for a playlist: nothing to compare");
        })).isTrue();
        PlaylistShield.Fetched plain = new PlaylistShield.Fetched(200, HttpFields.EMPTY, new byte[0], 0, true, sent);
        assertThat(plain.sharedWith(() -> {
            throw new AssertionError("no Vary: the viewer's headers are not even built");
        })).isTrue();
        assertThat(new PlaylistShield.Fetched(200, HttpFields.build().put(HttpHeader.VARY, "*"), new byte[0], 0, true,
                sent).sharedWith(() -> sent)).isFalse();
        assertThat(new PlaylistShield.Fetched(200, HttpFields.EMPTY, new byte[0], 0, false, sent)
                .sharedWith(() -> sent)).as("private").isFalse();
    }

    @Test
    void rewrittenPlaylistsArePrivateKeepingMaxAge() throws Exception {
        // a shared cache (a CDN) in front of the gateway must not hand one viewer's credential to others
        int version = 0; // another playlist each time: not one the shield may reuse
        for (String path : List.of("/live/ev1/index.m3u8", "/live/ev1/manifest.mpd")) {
            // through the shield, and proxied (a request with a cookie of its own is never coalesced)
            for (String[] headers : List.of(new String[] {"X-Via", "shield"}, new String[] {"Cookie", "lang=de"})) {
                String what = path + " " + headers[1];
                cacheControl.set("public, max-age=1, s-maxage=10, proxy-revalidate");
                String t = Tokens.signedBy(key, System.currentTimeMillis() / 1000).sign();
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(gateway.uri().resolve(path + "?v=" + (++version) + "&token=" + t))
                        .headers(headers).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(what).isEqualTo(200);
                assertThat(r.body()).as(what).contains("sg_session=");
                assertThat(r.headers().allValues("Cache-Control")).as(what).containsExactly("private, max-age=1");
                assertThat(r.headers().firstValue("ETag")).as(what + ": the origin's validator").isEmpty();
                assertThat(r.headers().firstValue("Surrogate-Control")).as(what).isEmpty();
                assertThat(r.headers().firstValue("CDN-Cache-Control")).as(what).isEmpty();

                cacheControl.set("no-store");
                t = Tokens.signedBy(key, System.currentTimeMillis() / 1000).sign();
                r = http.send(HttpRequest.newBuilder(gateway.uri().resolve(path + "?v=" + (++version) + "&token=" + t)).headers(headers)
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.headers().allValues("Cache-Control")).as(what).containsExactly("private, no-store");

                cacheControl.set(null);
                t = Tokens.signedBy(key, System.currentTimeMillis() / 1000).sign();
                r = http.send(HttpRequest.newBuilder(gateway.uri().resolve(path + "?v=" + (++version) + "&token=" + t)).headers(headers)
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.headers().allValues("Cache-Control")).as(what + ": none from the origin")
                        .containsExactly("private");
            }
        }
        // a segment carries no credential: the origin's caching stands
        cacheControl.set("public, max-age=1");
        HttpResponse<String> seg = http.send(HttpRequest.newBuilder(gateway.uri().resolve("/live/ev1/seg1.ts?token="
                + Tokens.signedBy(key, System.currentTimeMillis() / 1000).sign())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(seg.headers().allValues("Cache-Control")).containsExactly("public, max-age=1");
    }

    @Test
    void originSuppliedSessionParameterNeverShadowsTheGatewaysCredential() throws Exception {
        HttpResponse<String> playlist = http.send(HttpRequest.newBuilder(gateway.uri().resolve("/live/ev1/shadow.m3u8?token="
                + Tokens.signedBy(key, System.currentTimeMillis() / 1000).sign())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(playlist.statusCode()).isEqualTo(200);
        java.util.regex.Matcher key = java.util.regex.Pattern.compile("URI=\"(key\\.bin\\?[^\"]*)\"")
                .matcher(playlist.body());
        assertThat(key.find()).as(playlist.body()).isTrue();
        String segment = playlist.body().lines().filter(l -> l.startsWith("seg1.ts")).findFirst().orElseThrow();
        for (String uri : List.of(key.group(1), segment)) {
            assertThat(uri.split("(?i)sg(_|%5F)session=", -1)).as(uri + ": exactly one credential").hasSize(2);
            assertThat(uri).doesNotContain("ORIGIN");
            // regression: the gateway read the origin's value, the first, and refused the viewer
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(gateway.uri().resolve("/live/ev1/" + uri))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(uri).isEqualTo(200);
        }
    }

    @Test
    void reuseFollowsTheOriginsCacheControl() {
        HttpFields.Mutable h = HttpFields.build();
        h.put(HttpHeader.CACHE_CONTROL, "public, max-age=2");
        assertThat(PlaylistShield.reuseNanos(200, h)).isEqualTo(TimeUnit.SECONDS.toNanos(2));
        h.put(HttpHeader.AGE, "1");
        assertThat(PlaylistShield.reuseNanos(200, h)).isEqualTo(TimeUnit.SECONDS.toNanos(1));
        h.remove(HttpHeader.AGE);
        assertThat(PlaylistShield.reuseNanos(404, h)).isZero();
        for (String cc : List.of("no-store", "private, max-age=5", "no-cache", "max-age=0")) {
            assertThat(PlaylistShield.reuseNanos(200, HttpFields.build().put(HttpHeader.CACHE_CONTROL, cc)))
                    .as(cc).isZero();
        }
        assertThat(PlaylistShield.reuseNanos(200, HttpFields.build())).as("no freshness given").isZero();
        assertThat(PlaylistShield.reuseNanos(200, HttpFields.build().put(HttpHeader.CACHE_CONTROL, "max-age=2")
                .put(HttpHeader.VARY, "Cookie"))).as("varies by a header").isZero();
        assertThat(PlaylistShield.reuseNanos(200, HttpFields.build().put(HttpHeader.CACHE_CONTROL, "max-age=2")
                .put(HttpHeader.VARY, "Accept-Encoding"))).isPositive();
        assertThat(PlaylistShield.reuseNanos(200, HttpFields.build().put(HttpHeader.CACHE_CONTROL, "max-age=2")
                .put(HttpHeader.SET_COOKIE, "a=b"))).as("sets a cookie").isZero();
    }

    @Test
    void reuseIsBoundedByTheConfiguredMaximumOnAnInjectedTicker() {
        AtomicLong now = new AtomicLong();
        PlaylistShield shield = new PlaylistShield(Duration.ofSeconds(1), 100, now::get);
        AtomicInteger fetches = new AtomicInteger();
        java.util.function.Supplier<CompletableFuture<PlaylistShield.Fetched>> fetch = () -> {
            fetches.incrementAndGet();
            return CompletableFuture.completedFuture(new PlaylistShield.Fetched(200, HttpFields.EMPTY, new byte[0],
                    TimeUnit.SECONDS.toNanos(60)));
        };
        assertThat(shield.get("k", fetch).outcome()).isEqualTo(PlaylistShield.Outcome.FETCHED);
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(900));
        assertThat(shield.get("k", fetch).outcome()).isEqualTo(PlaylistShield.Outcome.REUSED);
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(200));
        assertThat(shield.get("k", fetch).outcome()).as("past shieldMaxAge, though the origin allowed 60 s")
                .isEqualTo(PlaylistShield.Outcome.FETCHED);
        assertThat(fetches.get()).isEqualTo(2);
    }

    @Test
    void aFailedFetchIsNotReused() {
        PlaylistShield shield = new PlaylistShield(Duration.ofSeconds(1), 100, System::nanoTime);
        AtomicInteger fetches = new AtomicInteger();
        java.util.function.Supplier<CompletableFuture<PlaylistShield.Fetched>> fail = () -> {
            fetches.incrementAndGet();
            return CompletableFuture.failedFuture(new IOException("origin down"));
        };
        assertThat(shield.get("k", fail).fetch()).isCompletedExceptionally();
        assertThat(shield.get("k", fail).outcome()).isEqualTo(PlaylistShield.Outcome.FETCHED);
        assertThat(fetches.get()).isEqualTo(2);
        assertThat(shield.size()).isZero();
    }
}
