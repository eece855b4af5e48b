package io.streamgate.filters.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.streamgate.filters.testing.MutableClock;

/** The in-process replay store: one-time reservations, session leases, expiry by the injected clock, a hard bound. */
class MemoryReplayStoreTest {
    private static final long LEASE = Duration.ofSeconds(30).toMillis();

    private final MutableClock clock = MutableClock.fixed();
    private final MemoryReplayStore store = new MemoryReplayStore(clock, 1000);

    private long in(Duration d) {
        return clock.millis() + d.toMillis();
    }

    private static <T> T done(CompletionStage<T> s) {
        var f = s.toCompletableFuture();
        assertThat(f).as("memory store answers at once").isDone();
        return f.join();
    }

    private static Throwable failure(CompletionStage<?> s) throws InterruptedException {
        var f = s.toCompletableFuture();
        assertThat(f).isCompletedExceptionally();
        try {
            f.get(1, TimeUnit.SECONDS);
            throw new AssertionError("expected a failed future");
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError(e);
        }
    }

    // ---- one-time use: reserve, commit, release ----

    private static final long RESERVE = Duration.ofSeconds(30).toMillis();

    /** Reserve and commit in one go, as an admitted request the origin accepted. */
    private boolean use(MemoryReplayStore s, String key, String owner, long exp) {
        if (!done(s.reserve(key, owner, RESERVE, exp))) {
            return false;
        }
        assertThat(done(s.commit(key, owner, exp))).isTrue();
        return true;
    }

    @Test
    void aReservedKeyIsRefusedToOthersAndToASecondReserve() {
        long exp = in(Duration.ofHours(1));
        assertThat(done(store.reserve("k", "o1", RESERVE, exp))).isTrue();
        assertThat(done(store.reserve("k", "o2", RESERVE, exp))).isFalse();
        assertThat(done(store.reserve("k", "o1", RESERVE, exp))).as("no second reservation, even for the owner").isFalse();
    }

    @Test
    void concurrentFirstUsesReserveExactlyOnce() throws Exception {
        long exp = in(Duration.ofHours(1));
        int n = 50;
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(n);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(n);
        try {
            java.util.List<java.util.concurrent.Future<Boolean>> all = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                String owner = "o" + i;
                all.add(pool.submit(() -> {
                    start.await(5, TimeUnit.SECONDS);
                    return done(store.reserve("k", owner, RESERVE, exp));
                }));
            }
            int taken = 0;
            for (var f : all) {
                taken += f.get(10, TimeUnit.SECONDS) ? 1 : 0;
            }
            assertThat(taken).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void isTakenReadsAReservationOrAUseAndTakesNothing() {
        long exp = in(Duration.ofHours(1));
        assertThat(done(store.isTaken("k"))).isFalse();
        assertThat(done(store.reserve("k", "o1", RESERVE, exp))).as("the probe held nothing").isTrue();
        assertThat(done(store.isTaken("k"))).as("reserved").isTrue();
        assertThat(done(store.commit("k", "o1", exp))).isTrue();
        assertThat(done(store.isTaken("k"))).as("consumed").isTrue();
        clock.advance(Duration.ofHours(2));
        assertThat(done(store.isTaken("k"))).as("lapsed with the token").isFalse();
    }

    @Test
    void releaseFreesTheKeyForARetry() {
        long exp = in(Duration.ofHours(1));
        assertThat(done(store.reserve("k", "o1", RESERVE, exp))).isTrue();
        assertThat(done(store.releaseIfOwner("k", "o1"))).isTrue();
        assertThat(done(store.reserve("k", "o2", RESERVE, exp))).isTrue();
    }

    @Test
    void releaseByAnotherOwnerLeavesTheReservation() {
        long exp = in(Duration.ofHours(1));
        assertThat(done(store.reserve("k", "o1", RESERVE, exp))).isTrue();
        assertThat(done(store.releaseIfOwner("k", "o2"))).isFalse();
        assertThat(done(store.reserve("k", "o2", RESERVE, exp))).isFalse();
        assertThat(done(store.commit("k", "o2", exp))).as("nor may another owner commit it").isFalse();
    }

    @Test
    void commitConsumesTheKeyUntilItsExpiry() {
        long exp = in(Duration.ofMinutes(10));
        assertThat(done(store.reserve("k", "o1", RESERVE, exp))).isTrue();
        assertThat(done(store.commit("k", "o1", exp))).isTrue();
        assertThat(done(store.commit("k", "o1", exp))).as("idempotent").isTrue();
        assertThat(done(store.releaseIfOwner("k", "o1"))).as("release after commit does nothing").isFalse();
        clock.advance(Duration.ofMinutes(10).minusMillis(1));
        assertThat(done(store.reserve("k", "o2", RESERVE, in(Duration.ofMinutes(10))))).isFalse();
        clock.advance(Duration.ofMillis(1));
        assertThat(done(store.reserve("k", "o2", RESERVE, in(Duration.ofMinutes(10)))))
                .as("forgotten once the token can no longer pass").isTrue();
    }

    @Test
    void aReservationLapsesAfterItsTerm() {
        long exp = in(Duration.ofHours(1));
        assertThat(done(store.reserve("k", "o1", RESERVE, exp))).isTrue();
        clock.advance(Duration.ofMillis(RESERVE - 1));
        assertThat(done(store.reserve("k", "o2", RESERVE, exp))).isFalse();
        clock.advance(Duration.ofMillis(1));
        assertThat(done(store.reserve("k", "o2", RESERVE, exp))).isTrue();
        assertThat(done(store.commit("k", "o1", exp))).as("the lapsed owner lost it").isFalse();
        assertThat(done(store.commit("k", "o2", exp))).isTrue();
    }

    @Test
    void aReservationNeverOutlivesTheToken() {
        assertThat(done(store.reserve("k", "o1", RESERVE, in(Duration.ofSeconds(5))))).isTrue();
        clock.advance(Duration.ofSeconds(5));
        assertThat(done(store.reserve("k", "o2", RESERVE, in(Duration.ofHours(1))))).isTrue();
        assertThat(done(store.reserve("past", "o1", RESERVE, clock.millis()))).as("nothing to hold").isTrue();
        assertThat(done(store.reserve("past", "o2", RESERVE, clock.millis()))).isTrue();
    }

    @Test
    void commitOfALapsedButFreeReservationStillConsumes() {
        long exp = in(Duration.ofHours(1));
        assertThat(done(store.reserve("k", "o1", RESERVE, exp))).isTrue();
        clock.advance(Duration.ofMillis(RESERVE));
        assertThat(done(store.commit("k", "o1", exp))).isTrue();
        assertThat(done(store.reserve("k", "o2", RESERVE, exp))).isFalse();
    }

    @Test
    void commitAfterReleaseOfAFreeKeyConsumesItAndReleaseAfterThatIsHarmless() {
        long exp = in(Duration.ofHours(1));
        assertThat(done(store.reserve("k", "o1", RESERVE, exp))).isTrue();
        assertThat(done(store.releaseIfOwner("k", "o1"))).isTrue();
        assertThat(done(store.releaseIfOwner("k", "o1"))).isFalse();
        assertThat(done(store.reserve("k", "o2", RESERVE, exp))).isTrue();
        assertThat(done(store.commit("k", "o1", exp))).as("someone else holds it now").isFalse();
    }

    @Test
    void keysAreIndependent() {
        long exp = in(Duration.ofHours(1));
        assertThat(use(store, "a", "o1", exp)).isTrue();
        assertThat(use(store, "b", "o2", exp)).isTrue();
        assertThat(use(store, "a", "o3", exp)).isFalse();
    }

    @Test
    void fullStoreRefusesNewKeysRatherThanEvicting() throws Exception {
        MemoryReplayStore small = new MemoryReplayStore(clock, 2);
        long exp = in(Duration.ofHours(1));
        assertThat(use(small, "a", "o1", exp)).isTrue();
        assertThat(done(small.reserve("b", "o2", RESERVE, exp))).isTrue();
        assertThat(failure(small.reserve("c", "o3", RESERVE, exp))).isInstanceOf(MemoryReplayStore.StoreFullException.class);
        // nothing was evicted to make room; a known key is still answered (a replay), full or not
        assertThat(done(small.reserve("a", "o4", RESERVE, exp))).isFalse();
        assertThat(done(small.reserve("b", "o4", RESERVE, exp))).isFalse();
        assertThat(done(small.commit("b", "o2", exp))).as("a holder can still commit when full").isTrue();
    }

    @Test
    void fullStoreAcceptsAgainOnceEntriesExpireOrAreReleased() throws Exception {
        MemoryReplayStore small = new MemoryReplayStore(clock, 2);
        assertThat(use(small, "a", "o1", in(Duration.ofMinutes(1)))).isTrue();
        assertThat(done(small.reserve("b", "o2", RESERVE, in(Duration.ofMinutes(1))))).isTrue();
        assertThat(failure(small.reserve("c", "o3", RESERVE, in(Duration.ofMinutes(1)))))
                .isInstanceOf(MemoryReplayStore.StoreFullException.class);
        done(small.releaseIfOwner("b", "o2"));
        assertThat(done(small.reserve("c", "o3", RESERVE, in(Duration.ofMinutes(1))))).isTrue();
        clock.advance(Duration.ofMinutes(2));
        assertThat(done(small.reserve("d", "o4", RESERVE, in(Duration.ofMinutes(1))))).isTrue();
    }

    @Test
    void storeFullExceptionCarriesNoRequestData() throws Exception {
        MemoryReplayStore small = new MemoryReplayStore(clock, 1);
        assertThat(done(small.reserve("5:issuerjti-secret", "o1", RESERVE, in(Duration.ofHours(1))))).isTrue();
        Throwable t = failure(small.reserve("5:issuerjti-other", "owner-x", RESERVE, in(Duration.ofHours(1))));
        assertThat(t.getMessage()).doesNotContain("jti-other").doesNotContain("issuer").doesNotContain("owner-x");
    }

    // ---- leases ----

    @Test
    void leasesAreGrantedUpToMaxThenRefused() {
        long exp = in(Duration.ofHours(1));
        assertThat(done(store.acquire("k", "s1", 2, LEASE, exp))).isTrue();
        assertThat(done(store.acquire("k", "s2", 2, LEASE, exp))).isTrue();
        assertThat(done(store.acquire("k", "s3", 2, LEASE, exp))).isFalse();
    }

    @Test
    void sameSessionMayReacquireItsOwnLease() {
        long exp = in(Duration.ofHours(1));
        assertThat(done(store.acquire("k", "s1", 1, LEASE, exp))).isTrue();
        assertThat(done(store.acquire("k", "s1", 1, LEASE, exp))).isTrue();
        assertThat(done(store.acquire("k", "s2", 1, LEASE, exp))).isFalse();
    }

    @Test
    void leasesOnDifferentKeysAreIndependent() {
        long exp = in(Duration.ofHours(1));
        assertThat(done(store.acquire("a", "s1", 1, LEASE, exp))).isTrue();
        assertThat(done(store.acquire("b", "s1", 1, LEASE, exp))).isTrue();
        assertThat(done(store.acquire("b", "s2", 1, LEASE, exp))).isFalse();
    }

    @Test
    void releaseFreesALease() {
        long exp = in(Duration.ofHours(1));
        assertThat(done(store.acquire("k", "s1", 1, LEASE, exp))).isTrue();
        assertThat(done(store.acquire("k", "s2", 1, LEASE, exp))).isFalse();
        done(store.releaseLease("k", "s1"));
        assertThat(done(store.acquire("k", "s2", 1, LEASE, exp))).isTrue();
    }

    @Test
    void releasingAnUnknownLeaseIsHarmless() {
        long exp = in(Duration.ofHours(1));
        done(store.releaseLease("nothing", "s1"));
        assertThat(done(store.acquire("k", "s1", 1, LEASE, exp))).isTrue();
        done(store.releaseLease("k", "other"));
        assertThat(done(store.acquire("k", "s2", 1, LEASE, exp))).isFalse();
    }

    @Test
    void lapsedLeaseFreesItself() {
        long exp = in(Duration.ofHours(1));
        assertThat(done(store.acquire("k", "s1", 1, LEASE, exp))).isTrue();
        clock.advance(Duration.ofMillis(LEASE - 1));
        assertThat(done(store.acquire("k", "s2", 1, LEASE, exp))).isFalse();
        clock.advance(Duration.ofMillis(1));
        assertThat(done(store.acquire("k", "s2", 1, LEASE, exp))).isTrue();
    }

    @Test
    void renewKeepsALeaseAlivePastItsFirstTerm() {
        long exp = in(Duration.ofHours(1));
        assertThat(done(store.acquire("k", "s1", 1, LEASE, exp))).isTrue();
        clock.advance(Duration.ofSeconds(20));
        assertThat(done(store.renew("k", "s1", 1, LEASE, exp))).isTrue();
        clock.advance(Duration.ofSeconds(20));
        assertThat(done(store.acquire("k", "s2", 1, LEASE, exp))).isFalse();
    }

    @Test
    void leaseNeverOutlivesTheToken() {
        long exp = in(Duration.ofSeconds(10));
        assertThat(done(store.acquire("k", "s1", 1, LEASE, exp))).isTrue();
        clock.advance(Duration.ofSeconds(10));
        assertThat(done(store.acquire("k", "s2", 1, LEASE, in(Duration.ofHours(1))))).isTrue();
    }

    @Test
    void fullLeaseTableRefusesNewKeysUntilLeasesLapse() throws Exception {
        MemoryReplayStore small = new MemoryReplayStore(clock, 1);
        long exp = in(Duration.ofHours(1));
        assertThat(done(small.acquire("a", "s1", 2, LEASE, exp))).isTrue();
        assertThat(done(small.acquire("a", "s2", 2, LEASE, exp))).as("existing key still usable").isTrue();
        assertThat(failure(small.acquire("b", "s1", 1, LEASE, exp)))
                .isInstanceOf(MemoryReplayStore.StoreFullException.class);
        clock.advance(Duration.ofMillis(LEASE));
        assertThat(done(small.acquire("b", "s1", 1, LEASE, exp))).isTrue();
    }

    @Test
    void pingAnswersAndNameIsMemory() {
        assertThat(store.ping().toCompletableFuture()).isCompleted();
        assertThat(store.name()).isEqualTo("memory");
    }

    @Test
    void evictingAcquireEndsTheSessionThatFirstTookItsLease() throws Exception {
        long far = clock.millis() + 3_600_000;
        assertThat(store.acquireEvicting("k", "first", 2, 30_000, far).toCompletableFuture().get()).isEmpty();
        assertThat(store.acquireEvicting("k", "second", 2, 30_000, far).toCompletableFuture().get()).isEmpty();
        // the first renews its lease: renewing does not make it younger
        assertThat(store.renew("k", "first", 2, 30_000, far).toCompletableFuture().get()).isTrue();
        assertThat(store.acquireEvicting("k", "third", 2, 30_000, far).toCompletableFuture().get()).isEqualTo("first");
        assertThat(store.acquire("k", "fourth", 2, 30_000, far).toCompletableFuture().get())
                .as("a plain acquire never evicts").isFalse();
        assertThat(store.renew("k", "first", 2, 30_000, far).toCompletableFuture().get())
                .as("the evicted session cannot retake a full set").isFalse();
        assertThat(store.acquireEvicting("k", "late", 2, 30_000, clock.millis() - 1).toCompletableFuture().get())
                .as("a token past its end takes nothing and evicts nobody").isNull();
    }
}
