package io.streamgate.filters.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * What every {@link SessionStore} does, run against the memory store and a real
 * {@code redis-server}: atomic state changes, caps that only move forward, final states,
 * bounded indexes, and a change log replicas read from where they stopped.
 */
public abstract class SessionStoreContract {
    /** A store with room for {@code maxRevocations} revocations. */
    protected abstract SessionStore store(int maxRevocations);

    protected abstract SessionStore store();

    protected static <T> T get(CompletionStage<T> s) throws Exception {
        return s.toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    protected static String sid() {
        return UUID.randomUUID().toString();
    }

    protected static SessionRecord record(String sid, String jti, long cap) {
        return SessionRecord.opened(sid, "hls", "live", "/live/a/", "https://issuer", "viewer|1", jti, cap, 1_000,
                -1);
    }

    @Test
    void aRecordReadsBackAsWritten() throws Exception {
        SessionStore s = store();
        String sid = sid();
        SessionRecord r = new SessionRecord(sid, "websocket", "ws", "/ws/x?a=1", null, "sub \"quoted\"",
                List.of("j1"), 2_000, 1_000, SessionState.OPEN, 900);
        get(s.open(r, "tk-" + sid, 60_000));
        assertThat(get(s.get(sid))).isEqualTo(r);
        assertThat(get(s.get(sid()))).isNull();
    }

    @Test
    void openNeverOverwritesASession() throws Exception {
        SessionStore s = store();
        String sid = sid();
        get(s.open(record(sid, "j1", 2_000), null, 60_000));
        get(s.end(sid, SessionState.EVICTED));
        get(s.open(record(sid, "j2", 9_000), null, 60_000));
        SessionRecord r = get(s.get(sid));
        assertThat(r.state()).isEqualTo(SessionState.EVICTED);
        assertThat(r.chain()).containsExactly("j1");
    }

    @Test
    void renewalMovesTheCapForwardOnlyAndAppendsTheJtiToTheChain() throws Exception {
        SessionStore s = store();
        String sid = sid();
        get(s.open(record(sid, "j1", 2_000), "tk1", 60_000));
        SessionRecord later = get(s.renew(sid, 3_000, "j2", "tk2", 60_000));
        assertThat(later.cap()).isEqualTo(3_000);
        assertThat(later.chain()).containsExactly("j1", "j2");
        SessionRecord earlier = get(s.renew(sid, 2_500, "j3", "tk3", 60_000));
        assertThat(earlier.cap()).isEqualTo(3_000);
        assertThat(earlier.chain()).containsExactly("j1", "j2", "j3");
        assertThat(get(s.renew(sid(), 5_000, "j4", "tk4", 60_000))).isNull();
    }

    @Test
    void theChainKeepsTheOpeningJtiAndTheNewest() throws Exception {
        SessionStore s = store();
        String sid = sid();
        get(s.open(record(sid, "open", 2_000), null, 60_000));
        for (int i = 0; i < 40; i++) {
            get(s.renew(sid, 2_000 + i, "r" + i, null, 60_000));
        }
        List<String> chain = get(s.get(sid)).chain();
        assertThat(chain).hasSize(SessionRecord.MAX_CHAIN).startsWith("open").endsWith("r39");
    }

    @Test
    void concurrentRenewalsNeverLowerACap() throws Exception {
        SessionStore s = store();
        String sid = sid();
        get(s.open(record(sid, "j", 1_000), null, 60_000));
        List<CompletableFuture<SessionRecord>> all = new ArrayList<>();
        List<Long> caps = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            caps.add(1_000L + (i * 7919L) % 5000);
        }
        caps.parallelStream().forEach(c -> {
            synchronized (all) {
                all.add(s.renew(sid, c, "j" + c, null, 60_000).toCompletableFuture());
            }
        });
        for (CompletableFuture<SessionRecord> f : all) {
            f.get(10, TimeUnit.SECONDS);
        }
        assertThat(get(s.get(sid)).cap()).isEqualTo(caps.stream().mapToLong(Long::longValue).max().orElseThrow());
    }

    @Test
    void anEndedSessionIsNeitherRenewedNorRevived() throws Exception {
        SessionStore s = store();
        String sid = sid();
        get(s.open(record(sid, "j1", 2_000), null, 60_000));
        assertThat(get(s.end(sid, SessionState.EVICTED))).isEqualTo(SessionState.OPEN);
        SessionRecord r = get(s.renew(sid, 9_000, "j2", "tk", 60_000));
        assertThat(r.state()).isEqualTo(SessionState.EVICTED);
        assertThat(r.cap()).isEqualTo(2_000);
        assertThat(r.chain()).containsExactly("j1");
        // the first final state stays
        assertThat(get(s.end(sid, SessionState.REVOKED))).isEqualTo(SessionState.EVICTED);
        assertThat(get(s.get(sid)).state()).isEqualTo(SessionState.EVICTED);
    }

    @Test
    void endingIsLoggedOnceAndEvenForASessionTheStoreDoesNotKnow() throws Exception {
        SessionStore s = store();
        String cursor = latest(s);
        String known = sid();
        String unknown = sid();
        get(s.open(record(known, "j", 2_000), null, 60_000));
        get(s.end(known, SessionState.REVOKED));
        get(s.end(known, SessionState.EVICTED));
        assertThat(get(s.end(unknown, SessionState.EVICTED))).isNull();
        SessionStore.Changes c = get(s.changesSince(cursor, 100));
        assertThat(c.changes()).containsExactly(SessionChange.ended(known, SessionState.REVOKED),
                SessionChange.ended(unknown, SessionState.EVICTED));
        assertThat(get(s.changesSince(c.cursor(), 100)).changes()).isEmpty();
    }

    /** A cursor after every change so far. */
    protected static String latest(SessionStore s) throws Exception {
        String c = get(s.cursorBefore(0));
        for (SessionStore.Changes page = get(s.changesSince(c, 1000)); !page.changes().isEmpty();
             page = get(s.changesSince(c, 1000))) {
            c = page.cursor();
        }
        return c;
    }

    @Test
    void indexesHoldTheNewestSessionsOfATokenAndOfAJti() throws Exception {
        SessionStore s = store();
        String tk = "tk-" + sid();
        String jti = "jti-" + sid();
        List<String> sids = new ArrayList<>();
        for (int i = 0; i < SessionStore.MAX_PER_INDEX + 10; i++) {
            String sid = sid();
            sids.add(sid);
            get(s.open(record(sid, i == 0 ? jti : "other" + i, 2_000), tk, 60_000));
        }
        List<String> of = get(s.sessionsOf(tk, 1000));
        assertThat(of).hasSize(SessionStore.MAX_PER_INDEX);
        assertThat(of.get(0)).isEqualTo(sids.get(sids.size() - 1));
        assertThat(of).doesNotContain(sids.get(0));
        // a renewing jti indexes the session too
        String renewing = "renewing-" + sid();
        get(s.renew(sids.get(1), 3_000, renewing, "tk2-" + sid(), 60_000));
        assertThat(get(s.sessionsWithJti(renewing, 10))).containsExactly(sids.get(1));
        assertThat(get(s.sessionsWithJti(jti, 10))).containsExactly(sids.get(0));
    }

    @Test
    void revocationsAreStoredListedLiftedAndLogged() throws Exception {
        SessionStore s = store();
        String cursor = latest(s);
        Revocation r = new Revocation("r-" + sid(), Revocation.Kind.SUB, "viewer|1", null, Long.MAX_VALUE / 4, "x", 5);
        get(s.addRevocation(r));
        assertThat(get(s.revocations())).contains(r);
        assertThat(get(s.removeRevocation(r.id()))).isTrue();
        assertThat(get(s.removeRevocation(r.id()))).isFalse();
        assertThat(get(s.revocations())).doesNotContain(r);
        SessionStore.Changes c = get(s.changesSince(cursor, 100));
        assertThat(c.changes()).containsExactly(SessionChange.added(r), SessionChange.lifted(r.id()));
    }

    @Test
    void theChangeLogIsReadInPagesFromWhereAReaderStopped() throws Exception {
        SessionStore s = store();
        String cursor = latest(s);
        for (int i = 0; i < 25; i++) {
            get(s.end("page-" + i + "-" + sid(), SessionState.EVICTED));
        }
        int seen = 0;
        for (int round = 0; round < 10; round++) {
            SessionStore.Changes c = get(s.changesSince(cursor, 10));
            assertThat(c.changes()).hasSizeLessThanOrEqualTo(10);
            seen += c.changes().size();
            cursor = c.cursor();
        }
        assertThat(seen).isEqualTo(25);
        // a window reaching back over them replays them
        assertThat(get(s.changesSince(get(s.cursorBefore(60_000)), 1000)).changes()).hasSizeGreaterThanOrEqualTo(25);
    }

    @Test
    void revocationsAreBoundedInCount() throws Exception {
        SessionStore s = store(3);
        for (int i = 0; i < 3; i++) {
            get(s.addRevocation(new Revocation("b" + i, Revocation.Kind.JTI, "j" + i, null, Long.MAX_VALUE / 4, null, 1)));
        }
        assertThatThrownBy(() -> get(s.addRevocation(new Revocation("b9", Revocation.Kind.JTI, "j9", null,
                Long.MAX_VALUE / 4, null, 1)))).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(SessionStore.FullException.class);
        // replacing one it holds is not a new one
        get(s.addRevocation(new Revocation("b0", Revocation.Kind.JTI, "j0", null, Long.MAX_VALUE / 4, "again", 1)));
    }

    @Test
    void aSessionThatEndedByItselfIsFinalButNotLogged() throws Exception {
        SessionStore s = store();
        String cursor = latest(s);
        String sid = sid();
        get(s.open(record(sid, "j", 2_000), null, 60_000));
        assertThat(get(s.end(sid, SessionState.ENDED))).isEqualTo(SessionState.OPEN);
        assertThat(get(s.renew(sid, 9_000, "j2", null, 60_000)).state()).isEqualTo(SessionState.ENDED);
        assertThat(get(s.changesSince(cursor, 100)).changes()).isEmpty();
    }
}
