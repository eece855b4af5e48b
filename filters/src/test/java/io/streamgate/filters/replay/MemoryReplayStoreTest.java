package io.streamgate.filters.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.streamgate.filters.testing.MutableClock;

/** The in-process replay store: one-time marks, session leases, expiry by the injected clock, a hard bound. */
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

    // ---- markUsed ----

    @Test
    void firstMarkIsFirstSecondIsNot() {
        long exp = in(Duration.ofHours(1));
        assertThat(done(store.markUsed("k", exp))).isTrue();
        assertThat(done(store.markUsed("k", exp))).isFalse();
        assertThat(done(store.markUsed("k", exp))).isFalse();
    }

    @Test
    void keysAreIndependent() {
        long exp = in(Duration.ofHours(1));
        assertThat(done(store.markUsed("a", exp))).isTrue();
        assertThat(done(store.markUsed("b", exp))).isTrue();
        assertThat(done(store.markUsed("a", exp))).isFalse();
    }

    @Test
    void entryIsKeptUntilItsExpiry() {
        long exp = in(Duration.ofMinutes(10));
        assertThat(done(store.markUsed("k", exp))).isTrue();
        clock.advance(Duration.ofMinutes(10).minusMillis(1));
        assertThat(done(store.markUsed("k", exp))).isFalse();
    }

    @Test
    void entryIsGoneAfterItsExpiry() {
        long exp = in(Duration.ofMinutes(10));
        assertThat(done(store.markUsed("k", exp))).isTrue();
        clock.advance(Duration.ofMinutes(10).plusMillis(1));
        assertThat(done(store.markUsed("k", in(Duration.ofMinutes(10))))).isTrue();
    }

    @Test
    void secondMarkDoesNotExtendTheFirstExpiry() {
        assertThat(done(store.markUsed("k", in(Duration.ofMinutes(1))))).isTrue();
        assertThat(done(store.markUsed("k", in(Duration.ofDays(1))))).isFalse();
        clock.advance(Duration.ofMinutes(1).plusMillis(1));
        assertThat(done(store.markUsed("k", in(Duration.ofMinutes(1))))).isTrue();
    }

    @Test
    void fullStoreRefusesNewKeysRatherThanEvicting() throws Exception {
        MemoryReplayStore small = new MemoryReplayStore(clock, 2);
        long exp = in(Duration.ofHours(1));
        assertThat(done(small.markUsed("a", exp))).isTrue();
        assertThat(done(small.markUsed("b", exp))).isTrue();
        assertThat(failure(small.markUsed("c", exp))).isInstanceOf(MemoryReplayStore.StoreFullException.class);
        // nothing was evicted to make room: both old marks still stand
        assertThat(done(small.markUsed("a", exp))).isFalse();
        assertThat(done(small.markUsed("b", exp))).isFalse();
    }

    @Test
    void fullStoreStillReportsAReplayOfARecordedKey() {
        MemoryReplayStore small = new MemoryReplayStore(clock, 1);
        long exp = in(Duration.ofHours(1));
        assertThat(done(small.markUsed("a", exp))).isTrue();
        // A known jti is known to be replayed; failing here would let onStoreError=allow admit it.
        assertThat(done(small.markUsed("a", exp))).isFalse();
    }

    @Test
    void fullStoreAcceptsAgainOnceEntriesExpire() throws Exception {
        MemoryReplayStore small = new MemoryReplayStore(clock, 2);
        assertThat(done(small.markUsed("a", in(Duration.ofMinutes(1))))).isTrue();
        assertThat(done(small.markUsed("b", in(Duration.ofMinutes(1))))).isTrue();
        assertThat(failure(small.markUsed("c", in(Duration.ofMinutes(1)))))
                .isInstanceOf(MemoryReplayStore.StoreFullException.class);
        clock.advance(Duration.ofMinutes(2));
        assertThat(done(small.markUsed("c", in(Duration.ofMinutes(1))))).isTrue();
    }

    @Test
    void storeFullExceptionCarriesNoRequestData() throws Exception {
        MemoryReplayStore small = new MemoryReplayStore(clock, 1);
        assertThat(done(small.markUsed("5:issuerjti-secret", in(Duration.ofHours(1))))).isTrue();
        Throwable t = failure(small.markUsed("5:issuerjti-other", in(Duration.ofHours(1))));
        assertThat(t.getMessage()).doesNotContain("jti-other").doesNotContain("issuer");
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
        done(store.release("k", "s1"));
        assertThat(done(store.acquire("k", "s2", 1, LEASE, exp))).isTrue();
    }

    @Test
    void releasingAnUnknownLeaseIsHarmless() {
        long exp = in(Duration.ofHours(1));
        done(store.release("nothing", "s1"));
        assertThat(done(store.acquire("k", "s1", 1, LEASE, exp))).isTrue();
        done(store.release("k", "other"));
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
}
