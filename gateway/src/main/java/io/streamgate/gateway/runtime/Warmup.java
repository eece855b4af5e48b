package io.streamgate.gateway.runtime;

import java.security.KeyPair;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.streamgate.filters.Authorizer;
import io.streamgate.filters.RoutePolicy;
import io.streamgate.filters.core.BasicRequestView;
import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.crypto.JwsSigner;
import io.streamgate.filters.crypto.KeyPairs;
import io.streamgate.filters.crypto.SignatureVerifier;
import io.streamgate.filters.keys.KeyRegistry;
import io.streamgate.filters.verify.VerifyPolicy;
import io.streamgate.gateway.config.GatewayConfig;
import io.streamgate.gateway.edge.EdgeHandler;

/**
 * Warm start. A freshly started JVM verifies 3–6× slower until the verification path has
 * been compiled (about 100,000 decisions when left to real viewers), so a gateway restarted
 * just before an event would meet its join storm cold. Before {@code /readyz} turns ready,
 * this runs the same decision code — token parsing, header and key checks, the chosen
 * provider's signature verification, claim checks — on throwaway keys and tokens made here,
 * on one background thread, bounded by a count and a duration. Nothing of it is kept: its
 * keys, cache and replay state are its own.
 */
final class Warmup {
    private static final Logger LOG = LoggerFactory.getLogger(Warmup.class);
    private static final int DISTINCT_TOKENS = 256;

    private Warmup() {
    }

    /** Starts warming; the future completes when done (at once when turned off). */
    static CompletableFuture<Void> start(GatewayConfig config, Clock clock) {
        return start(config, clock, null, null, null);
    }

    /**
     * Starts warming the verification path and then, when {@code client} and {@code self} are
     * given, the HTTP path: the upstream client sends requests to the gateway's own public
     * listener on a path no route serves ({@code 404 no_route}), so the server's parser, the
     * edge and the client's exchange are compiled too — and no origin sees a request. Each
     * carries {@code warmupKey} in {@link EdgeHandler#WARMUP_HEADER}: the edge writes no access
     * or denial line for them and counts no decision.
     */
    static CompletableFuture<Void> start(GatewayConfig config, Clock clock, org.eclipse.jetty.client.HttpClient client,
                                         java.net.URI self, String warmupKey) {
        GatewayConfig.Warmup w = config.warmup();
        if (w.verifications() <= 0 || w.maxDuration().isZero()) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                long deadline = run(config, clock, w);
                if (client != null && self != null) {
                    warmHttp(client, self.resolve(WARMUP_PATH), warmupKey, w.verifications(), deadline);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException | Error e) {
                LOG.warn("warm-up stopped early ({}); serving anyway", e.getClass().getSimpleName());
            } finally {
                done.complete(null);
            }
        }, "streamgate-warmup");
        t.setDaemon(true);
        t.start();
        return done;
    }

    private static long run(GatewayConfig config, Clock clock, GatewayConfig.Warmup w) {
        long start = System.nanoTime();
        long deadline = start + w.maxDuration().toNanos();
        VerifyPolicy policy = config.verify();
        SignatureVerifier crypto = SignatureVerifier.select(config.crypto());
        List<JwsAlgorithm> algorithms = new ArrayList<>();
        for (JwsAlgorithm a : policy.algorithms()) {
            if (crypto.supports(a)) {
                algorithms.add(a);
            }
        }
        if (algorithms.isEmpty()) {
            return deadline;
        }
        // ES256 (the partner-key algorithm) gets half; the rest share the other half.
        int total = w.verifications();
        int done = 0;
        for (JwsAlgorithm alg : algorithms) {
            int share = algorithms.size() == 1 ? total
                    : alg == JwsAlgorithm.ES256 ? total / 2 : total / 2 / Math.max(1, algorithms.size() - 1);
            done += warm(alg, share, deadline, crypto, policy, clock);
            if (System.nanoTime() > deadline) {
                break;
            }
        }
        LOG.info("warm-up: {} verifications ({}) in {} ms", done, algorithms,
                (System.nanoTime() - start) / 1_000_000);
        return deadline;
    }

    /** A path no route may serve: the edge answers it 404 without contacting anything. */
    static final String WARMUP_PATH = "/_streamgate/warmup";

    private static void warmHttp(org.eclipse.jetty.client.HttpClient client, java.net.URI target, String key,
                                 int count, long deadline) throws InterruptedException {
        long start = System.nanoTime();
        java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(16);
        int sent = 0;
        while (sent < count && System.nanoTime() < deadline) {
            if (!inFlight.tryAcquire(Math.max(1, (deadline - System.nanoTime()) / 1_000_000),
                    java.util.concurrent.TimeUnit.MILLISECONDS)) {
                break;
            }
            client.newRequest(target).headers(h -> h.put(EdgeHandler.WARMUP_HEADER, key))
                    .timeout(5, java.util.concurrent.TimeUnit.SECONDS).send(result -> inFlight.release());
            sent++;
        }
        inFlight.tryAcquire(16, 5, java.util.concurrent.TimeUnit.SECONDS);
        LOG.info("warm-up: {} requests through the HTTP path in {} ms", sent, (System.nanoTime() - start) / 1_000_000);
    }

    private static int warm(JwsAlgorithm alg, int count, long deadline, SignatureVerifier crypto, VerifyPolicy policy,
                            Clock clock) {
        KeyPair pair = KeyPairs.generate(alg);
        String kid = "warmup-" + alg.jwaName();
        KeyRegistry keys = KeyRegistry.builder(crypto).clock(clock)
                .addStatic(KeyPairs.pem("PUBLIC KEY", pair.getPublic().getEncoded()), kid, "warmup").build();
        try (Authorizer a = Authorizer.builder(keys, crypto).policy(policy).clock(clock).cacheBytes(0).build()) {
            keys.start().join();
            long now = clock.millis() / 1000;
            String header = "{\"alg\":\"" + alg.jwaName() + "\",\"typ\":\"JWT\",\"kid\":\"" + kid + "\"}";
            String[] tokens = new String[DISTINCT_TOKENS];
            for (int i = 0; i < tokens.length; i++) {
                String payload = "{\"iss\":\"warmup\",\"sub\":\"warmup\",\"jti\":\"" + UUID.randomUUID()
                        + "\",\"iat\":" + now + ",\"nbf\":" + now + ",\"exp\":" + (now + 600)
                        + ",\"streams\":[\"warmup\"]}";
                tokens[i] = JwsSigner.sign(header, payload, alg, pair.getPrivate(), crypto);
            }
            RoutePolicy route = RoutePolicy.anyValidToken("warmup", "/warmup/");
            int n = 0;
            while (n < count) {
                if ((n & 255) == 0 && System.nanoTime() > deadline) {
                    break;
                }
                a.authorize(route, BasicRequestView.of("/warmup/x?token=" + tokens[n % tokens.length]))
                        .toCompletableFuture().join();
                n++;
            }
            return n;
        }
    }
}
