package io.streamgate.filters;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.streamgate.filters.core.BasicRequestView;
import io.streamgate.filters.core.DenialReason;
import io.streamgate.filters.core.RequestView;
import io.streamgate.filters.metrics.StreamGateMetrics;
import io.streamgate.filters.replay.Admission;
import io.streamgate.filters.replay.MemoryReplayStore;
import io.streamgate.filters.replay.ReplayGuard;
import io.streamgate.filters.replay.ReplayMode;
import io.streamgate.filters.replay.ReplayStore;
import io.streamgate.filters.testing.Fixture;
import io.streamgate.filters.testing.MutableClock;
import io.streamgate.filters.testing.TestKeys;
import io.streamgate.filters.testing.Tokens;

/** The Authorizer hands replay protection's admission to the caller, and continues on its executor. */
class AuthorizerAdmissionTest {
    private final MutableClock clock = MutableClock.fixed();
    private final TestKeys key = TestKeys.es256("adm");
    private final StreamGateMetrics metrics = Fixture.metrics();
    private final ExecutorService decider = Executors.newSingleThreadExecutor(r -> new Thread(r, "decider"));
    private final ExecutorService storeIo = Executors.newSingleThreadExecutor(r -> new Thread(r, "store-io"));

    @AfterEach
    void stop() {
        decider.shutdownNow();
        storeIo.shutdownNow();
    }

    /** The memory store, answering reservations later from its own I/O thread (as Lettuce would). */
    private final class RemoteLikeStore implements ReplayStore {
        final MemoryReplayStore d = new MemoryReplayStore(clock, 1000);
        /** The store answers only once the test has attached its continuation. */
        final java.util.concurrent.CountDownLatch answer = new java.util.concurrent.CountDownLatch(1);

        @Override
        public CompletionStage<Boolean> isTaken(String k) {
            return d.isTaken(k);
        }

        @Override
        public CompletionStage<Boolean> reserve(String k, String owner, long ms, long exp) {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    answer.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return d.reserve(k, owner, ms, exp).toCompletableFuture().join();
            }, storeIo);
        }

        @Override
        public CompletionStage<Boolean> commit(String k, String owner, long exp) {
            return d.commit(k, owner, exp);
        }

        @Override
        public CompletionStage<Boolean> releaseIfOwner(String k, String owner) {
            return d.releaseIfOwner(k, owner);
        }

        @Override
        public CompletionStage<Boolean> acquire(String k, String s, int max, long ms, long exp) {
            return d.acquire(k, s, max, ms, exp);
        }

        @Override
        public CompletionStage<Boolean> renew(String k, String s, int max, long ms, long exp) {
            return d.renew(k, s, max, ms, exp);
        }

        @Override
        public CompletionStage<Void> releaseLease(String k, String s) {
            return d.releaseLease(k, s);
        }

        @Override
        public CompletionStage<Void> ping() {
            return d.ping();
        }

        @Override
        public String name() {
            return "remote-like";
        }
    }

    private Authorizer authorizer(ReplayStore store) {
        return Fixture.authorizer(clock, metrics, key)
                .replay(new ReplayGuard(ReplayMode.ONCE, store, false, Duration.ofSeconds(30), Duration.ofSeconds(5), metrics))
                .executor(decider).build();
    }

    private static RequestView request(String token) {
        return BasicRequestView.of("/live/a?token=" + token);
    }

    @Test
    void aDecisionAfterAnAsynchronousStoreCallContinuesOnTheExecutor() throws Exception {
        RemoteLikeStore store = new RemoteLikeStore();
        Authorizer a = authorizer(store);
        String t = Tokens.signedBy(key, clock).sign();
        CompletableFuture<Verdict> verdict = a.authorize(RoutePolicy.anyValidToken("r", "/live/"), request(t))
                .toCompletableFuture();
        assertThat(verdict).isNotDone();
        CompletableFuture<String> thread = verdict.thenApply(v -> {
            assertThat(v.allowed()).isTrue();
            return Thread.currentThread().getName();
        });
        store.answer.countDown();
        assertThat(thread.get(5, TimeUnit.SECONDS)).isEqualTo("decider");
    }

    @Test
    void anAllowedVerdictCarriesTheReservation() throws Exception {
        Authorizer a = authorizer(new MemoryReplayStore(clock, 1000));
        RoutePolicy route = RoutePolicy.anyValidToken("r", "/live/");
        String t = Tokens.signedBy(key, clock).sign();
        Verdict first = a.authorize(route, request(t)).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(first.allowed()).isTrue();
        assertThat(first.admission()).isNotSameAs(Admission.NONE);
        assertThat(a.authorize(route, request(t)).toCompletableFuture().get(5, TimeUnit.SECONDS).reason())
                .isEqualTo(DenialReason.REPLAYED);
        first.admission().release();
        Verdict retry = a.authorize(route, request(t)).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(retry.allowed()).isTrue();
        retry.admission().commit();
        assertThat(a.authorize(route, request(t)).toCompletableFuture().get(5, TimeUnit.SECONDS).reason())
                .isEqualTo(DenialReason.REPLAYED);
        assertThat(Verdict.deny(DenialReason.REPLAYED).admission()).isSameAs(Admission.NONE);
    }
}
