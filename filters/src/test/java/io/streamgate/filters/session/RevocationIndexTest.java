package io.streamgate.filters.session;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The per-request revocation check, kept current change by change. */
class RevocationIndexTest {
    private static Revocation r(String id, Revocation.Kind kind, String value, String iss, long until) {
        return new Revocation(id, kind, value, iss, until, null, 0);
    }

    @Test
    void eachKindMatchesItsIdentifierAndIssuerScopeHolds() {
        RevocationIndex i = new RevocationIndex();
        i.add(r("1", Revocation.Kind.JTI, "j", null, 100));
        i.add(r("2", Revocation.Kind.SUB, "s", "only-this-iss", 100));
        i.add(r("3", Revocation.Kind.SID, "sid", null, 100));
        assertThat(i.match("a", "x", "j", null, 5, 50)).isNotNull();
        assertThat(i.match("a", "s", "x", null, 5, 50)).isNull();
        assertThat(i.match("only-this-iss", "s", "x", null, 5, 50)).isNotNull();
        assertThat(i.match("a", "x", "x", "sid", 5, 50)).isNotNull();
        assertThat(i.match("a", "x", "j", null, 5, 100)).isNull(); // lapsed
    }

    @Test
    void removeAndPruneUndoOnlyWhatTheyName() {
        RevocationIndex i = new RevocationIndex();
        i.add(r("1", Revocation.Kind.JTI, "j", null, 100));
        i.add(r("2", Revocation.Kind.JTI, "j", null, 200));
        assertThat(i.remove("1")).isTrue();
        assertThat(i.match(null, null, "j", null, 0, 150)).extracting(Revocation::id).isEqualTo("2");
        assertThat(i.prune(199)).isZero();
        assertThat(i.prune(200)).isEqualTo(1);
        assertThat(i.size()).isZero();
        assertThat(i.match(null, null, "j", null, 0, 150)).isNull();
    }

    @Test
    void issuedBeforeMatchesOlderTokensAndThoseWithoutIat() {
        RevocationIndex i = new RevocationIndex();
        i.add(r("b", Revocation.Kind.ISSUED_BEFORE, "1000", null, 5_000_000));
        assertThat(i.match("a", "s", "j", null, 999, 1)).isNotNull();
        assertThat(i.match("a", "s", "j", null, -1, 1)).isNotNull();
        assertThat(i.match("a", "s", "j", null, 1000, 1)).isNull();
        assertThat(RevocationIndex.matches(i.all().get(0), "a", "s", "j", null, -1, 1)).isTrue();
        i.remove("b");
        assertThat(i.match("a", "s", "j", null, -1, 1)).isNull();
    }

    @Test
    void replacingARevocationByIdReindexesIt() {
        RevocationIndex i = new RevocationIndex();
        i.add(r("1", Revocation.Kind.JTI, "old", null, 100));
        i.add(r("1", Revocation.Kind.JTI, "new", null, 100));
        assertThat(i.match(null, null, "old", null, 0, 1)).isNull();
        assertThat(i.match(null, null, "new", null, 0, 1)).isNotNull();
        assertThat(i.size()).isEqualTo(1);
    }
}
