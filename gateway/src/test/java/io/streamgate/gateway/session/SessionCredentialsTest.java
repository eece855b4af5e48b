package io.streamgate.gateway.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.streamgate.filters.core.DenialReason;
import io.streamgate.filters.testing.MutableClock;

class SessionCredentialsTest {
    private final MutableClock clock = MutableClock.fixed();
    private final SessionCredentials creds = new SessionCredentials("0123456789abcdef0123".getBytes(), Duration.ofMinutes(10), clock);
    private final long tokenExp = clock.epochSeconds() + 3600;

    private String issue() {
        return creds.issue("hls", "/live/ev1/", null, "viewer|1", "jti-1", "sid-1", 100, tokenExp, "", "");
    }

    @Test
    void validCredentialAdmitsPathsUnderItsPrefix() {
        SessionCredentials.Check c = creds.check(issue(), "hls", "/live/ev1/seg-1.ts");
        assertThat(c.failure()).isNull();
        assertThat(c.session().jti()).isEqualTo("jti-1");
        assertThat(c.session().sub()).isEqualTo("viewer|1");
        assertThat(c.session().sid()).isEqualTo("sid-1");
        assertThat(c.session().iat()).isEqualTo(100);
        assertThat(c.session().leased()).isFalse();
    }

    @Test
    void aCredentialPastItsCapComesBackWithItsSessionSoARenewalCanBeLookedUp() {
        String c = creds.issue("hls", "/live/ev1/", "iss", "sub", "j", "sid-9", -1, clock.epochSeconds() + 60, "", "");
        clock.advance(Duration.ofSeconds(61));
        SessionCredentials.Check lapsed = creds.check(c, "hls", "/live/ev1/x.ts");
        assertThat(lapsed.failure()).isEqualTo(DenialReason.EXPIRED);
        assertThat(lapsed.capReached()).isTrue();
        assertThat(lapsed.session().sid()).isEqualTo("sid-9");
        // a renewal moved the cap: the re-issued credential carries it
        String renewed = creds.renew(lapsed.session().withCap(clock.epochSeconds() + 60));
        assertThat(creds.check(renewed, "hls", "/live/ev1/x.ts").failure()).isNull();
        // a credential lapsed by its sliding TTL is not a cap question
        String slid = creds.issue("hls", "/live/ev1/", "iss", "sub", "j", "sid-9", -1, Long.MAX_VALUE, "", "");
        clock.advance(Duration.ofMinutes(11));
        assertThat(creds.check(slid, "hls", "/live/ev1/x.ts").capReached()).isFalse();
    }

    @Test
    void aSessionNeverOutlivesItsMaximumAgeHoweverOftenItSlides() {
        SessionCredentials limited = new SessionCredentials("0123456789abcdef0123".getBytes(), Duration.ofMinutes(10),
                Duration.ofMinutes(30), clock);
        String c = limited.issue("hls", "/live/ev1/", null, "v", "jti-1", "s", -1, clock.epochSeconds() + 86_400, "", "");
        for (int i = 0; i < 5; i++) { // a playlist reload every 5 minutes renews it
            clock.advance(Duration.ofMinutes(5));
            SessionCredentials.Check ok = limited.check(c, "hls", "/live/ev1/x.ts");
            assertThat(ok.failure()).as("after %d min", (i + 1) * 5).isNull();
            c = limited.renew(ok.session());
        }
        clock.advance(Duration.ofMinutes(5)); // 30 minutes after it opened
        assertThat(limited.check(c, "hls", "/live/ev1/x.ts").failure()).as("hls.sessionMaxAge").isEqualTo(DenialReason.EXPIRED);
    }

    @Test
    void aCredentialRevealsNoClaim() {
        // regression: the credential was readable base64 showing sub (often an e-mail), jti and iss
        String c = creds.issue("hls", "/live/ev1/", "https://issuer.example", "viewer@example.com", "jti-1", "sid-77",
                1_700_000_000, Long.MAX_VALUE, "jlease-7", "203.0.113.9 player.example");
        String opened = new String(java.util.Base64.getUrlDecoder().decode(c.substring(2)),
                java.nio.charset.StandardCharsets.ISO_8859_1);
        for (String secret : new String[] {"viewer", "example", "jti-1", "issuer", "/live/", "hls", "lease-7", "sid-77",
            "1700000000", "203.0.113", "player"}) {
            assertThat(c).doesNotContain(secret);
            assertThat(opened).doesNotContain(secret);
        }
        assertThat(creds.issue("hls", "/live/ev1/", null, "v", "jti-1", "s", -1, Long.MAX_VALUE, "", ""))
                .as("sealed with a fresh nonce each time").isNotEqualTo(creds.issue("hls", "/live/ev1/", null, "v",
                        "jti-1", "s", -1, Long.MAX_VALUE, "", ""));
    }

    @Test
    void tamperedCredentialIsBadSignature() {
        String c = issue();
        String tampered = c.substring(0, 9) + (c.charAt(9) == 'A' ? 'B' : 'A') + c.substring(10);
        assertThat(creds.check(tampered, "hls", "/live/ev1/x.ts").failure()).isEqualTo(DenialReason.BAD_SIGNATURE);
        assertThat(creds.check("garbage", "hls", "/live/ev1/x.ts").failure()).isEqualTo(DenialReason.BAD_SIGNATURE);
        assertThat(creds.check("a.b", "hls", "/live/ev1/x.ts").failure()).isEqualTo(DenialReason.BAD_SIGNATURE);
        assertThat(creds.check(".", "hls", "/live/ev1/x.ts").failure()).isEqualTo(DenialReason.BAD_SIGNATURE);
    }

    @Test
    void anotherSecretsCredentialIsBadSignature() {
        SessionCredentials other = new SessionCredentials("another-secret-entirely".getBytes(), Duration.ofMinutes(10), clock);
        assertThat(creds.check(other.issue("hls", "/live/ev1/", null, "s", "j", "x", -1, tokenExp, "", ""), "hls", "/live/ev1/x.ts").failure())
                .isEqualTo(DenialReason.BAD_SIGNATURE);
    }

    @Test
    void foreignRouteIsBadSignature() {
        assertThat(creds.check(issue(), "other", "/live/ev1/x.ts").failure()).isEqualTo(DenialReason.BAD_SIGNATURE);
    }

    @Test
    void outsideThePrefixIsForbidden() {
        assertThat(creds.check(issue(), "hls", "/live/ev2/x.ts").failure()).isEqualTo(DenialReason.FORBIDDEN);
        assertThat(creds.check(issue(), "hls", "/live/ev1/../ev2/x.ts").failure()).isEqualTo(DenialReason.FORBIDDEN);
    }

    @Test
    void expiresAfterTheTtlAndRenewalSlides() {
        String c = issue();
        clock.advance(Duration.ofMinutes(9));
        SessionCredentials.Check ok = creds.check(c, "hls", "/live/ev1/x.ts");
        assertThat(ok.failure()).isNull();
        String renewed = creds.renew(ok.session());
        clock.advance(Duration.ofMinutes(2));
        assertThat(creds.check(c, "hls", "/live/ev1/x.ts").failure()).isEqualTo(DenialReason.EXPIRED);
        assertThat(creds.check(renewed, "hls", "/live/ev1/x.ts").failure()).isNull();
    }

    @Test
    void neverOutlivesTheToken() {
        String c = creds.issue("hls", "/live/ev1/", null, "s", "j", "x", -1, clock.epochSeconds() + 60, "", "");
        SessionCredentials.Check first = creds.check(c, "hls", "/live/ev1/x.ts");
        clock.advance(Duration.ofSeconds(59));
        String renewed = creds.renew(first.session());
        clock.advance(Duration.ofSeconds(1));
        assertThat(creds.check(renewed, "hls", "/live/ev1/x.ts").failure()).isEqualTo(DenialReason.EXPIRED);
    }

    @Test
    void aStreamWithoutAFolderOfItsOwnIsGrantedNoMoreThanItself() {
        assertThat(SessionCredentials.prefixFor("/live/", "/live/ev1/master.m3u8")).isEqualTo("/live/ev1/");
        String own = SessionCredentials.prefixFor("/live/", "/live/noext1");
        assertThat(own).isEqualTo("/live/noext1");
        assertThat(SessionCredentials.prefixFor("/live", "/live/noext1")).isEqualTo("/live/noext1");
        assertThat(SessionCredentials.grants(own, "/live/noext1")).isTrue();
        assertThat(SessionCredentials.grants(own, "/live/noext1/seg-1.ts")).isTrue();
        assertThat(SessionCredentials.grants(own, "/live/other/master.m3u8")).isFalse();
        assertThat(SessionCredentials.grants(own, "/live/noext12")).isFalse();
        assertThat(SessionCredentials.grants("/live/ev1/", "/live/ev1/seg-1.ts")).isTrue();
        assertThat(SessionCredentials.grants("/live/ev1/", "/live/ev2/seg-1.ts")).isFalse();
    }
}
