package io.streamgate.filters.verify;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.streamgate.filters.keys.KeyRegistry;
import io.streamgate.filters.testing.Fixture;
import io.streamgate.filters.testing.MutableClock;
import io.streamgate.filters.testing.TestKeys;
import io.streamgate.filters.testing.Tokens;

/** The verified-token cache: bounded by estimated bytes, never past exp + leeway, on the injected ticker. */
class VerifiedTokenCacheTest {
    private static final Duration LEEWAY = Duration.ofSeconds(30);
    private final MutableClock clock = MutableClock.fixed();
    private final TestKeys key = TestKeys.es256("cache-k1");
    private final KeyRegistry keys = Fixture.registry(key);
    private final TokenVerifier verifier = new TokenVerifier(VerifyPolicy.defaults(), Fixture.crypto());

    @AfterEach
    void close() {
        keys.close();
    }

    private VerifiedToken verified(String token) {
        DecodedToken d = verifier.decode(token);
        assertThat(d.failure()).isNull();
        Verification v = verifier.verify(d, keys.find(d.kid(), d.algorithm()));
        assertThat(v.ok()).isTrue();
        return v.token();
    }

    /** A token of about {@code length} characters: the padding claim makes up the rest. */
    private String tokenOfLength(int length) {
        String small = Tokens.signedBy(key, clock).claim("pad", "").sign();
        int pad = (length - small.length()) * 3 / 4 - 2;
        String t = Tokens.signedBy(key, clock).claim("pad", "x".repeat(Math.max(0, pad))).sign();
        assertThat(t.length()).isBetween(length - 10, length);
        return t;
    }

    /** Review finding: the cache was bounded by entries, so 100,000 large tokens could hold ~1 GiB. */
    @Test
    void largeTokensNeverPushTheEstimatedWeightPastTheByteBudget() {
        long budget = 512 * 1024;
        VerifiedTokenCache cache = new VerifiedTokenCache(budget, LEEWAY, Duration.ofMinutes(5), clock);
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            tokens.add(tokenOfLength(VerifiedTokenCache.MAX_CACHED_TOKEN_LENGTH));
        }
        for (String t : tokens) {
            cache.put(t, verified(t));
            cache.cleanUp();
            assertThat(cache.estimatedBytes()).isLessThanOrEqualTo(budget);
        }
        // Each entry weighs at least its string (2 B a char) and its padding claim, so at most
        // budget / (2 * 4096 + 2 * 2900) ≈ 37 fit; an entry count of 100,000 would have kept all 300.
        long entries = cache.entries();
        assertThat(entries).isBetween(1L, budget / (2L * 4096 + 2L * 2900));
        assertThat(cache.estimatedBytes()).isGreaterThan(budget / 2);
        assertThat(tokens.stream().filter(t -> cache.get(t) != null).count()).isEqualTo(entries);
    }

    @Test
    void anEntryWeighsAtLeastItsTokenAtTwoBytesACharAndItsClaims() {
        String small = Tokens.signedBy(key, clock).sign();
        String large = tokenOfLength(4000);
        int smallWeight = VerifiedTokenCache.weigh(small, verified(small));
        int largeWeight = VerifiedTokenCache.weigh(large, verified(large));
        assertThat(smallWeight).isGreaterThan(2 * small.length() + VerifiedTokenCache.ENTRY_OVERHEAD);
        assertThat(largeWeight).isGreaterThan(2 * large.length() + 2 * 2900);
        // Deep nesting costs per container, not per JSON byte.
        String nested = Tokens.signRaw(key, "{\"alg\":\"ES256\",\"kid\":\"cache-k1\"}",
                "{\"exp\":" + (clock.epochSeconds() + 60) + ",\"x\":" + "[".repeat(60) + "]".repeat(60) + "}");
        assertThat(VerifiedTokenCache.weigh(nested, verified(nested))).isGreaterThan(60 * 40);
    }

    @Test
    void defaultBudgetIs64MiB() {
        assertThat(VerifiedTokenCache.DEFAULT_MAX_BYTES).isEqualTo(64L * 1024 * 1024);
    }

    @Test
    void tokensLongerThanTheLimitAreNotCached() {
        VerifiedTokenCache cache = new VerifiedTokenCache(1 << 20, LEEWAY, Duration.ofMinutes(5), clock);
        String t = tokenOfLength(VerifiedTokenCache.MAX_CACHED_TOKEN_LENGTH + 200);
        assertThat(t.length()).isGreaterThan(VerifiedTokenCache.MAX_CACHED_TOKEN_LENGTH);
        cache.put(t, verified(t));
        cache.cleanUp();
        assertThat(cache.get(t)).isNull();
        assertThat(cache.entries()).isZero();
        assertThat(cache.estimatedBytes()).isZero();
    }

    @Test
    void noEntryOutlivesExpPlusLeewayOnTheInjectedTicker() {
        VerifiedTokenCache cache = new VerifiedTokenCache(1 << 20, LEEWAY, Duration.ofMinutes(5), clock);
        String t = Tokens.signedBy(key, clock).claim("exp", clock.epochSeconds() + 60).sign();
        cache.put(t, verified(t));
        clock.advance(Duration.ofSeconds(60).plus(LEEWAY).minusMillis(1));
        assertThat(cache.get(t)).isNotNull();
        clock.advance(Duration.ofMillis(1));
        assertThat(cache.get(t)).isNull();
        cache.cleanUp();
        assertThat(cache.estimatedBytes()).isZero();
    }

    @Test
    void tokenWithoutExpIsKeptAtMostMaxAge() {
        VerifiedTokenCache cache = new VerifiedTokenCache(1 << 20, LEEWAY, Duration.ofMinutes(5), clock);
        String t = Tokens.signedBy(key, clock).claim("exp", null).sign();
        cache.put(t, verified(t));
        clock.advance(Duration.ofMinutes(5).minusMillis(1));
        assertThat(cache.get(t)).isNotNull();
        clock.advance(Duration.ofMillis(1));
        assertThat(cache.get(t)).isNull();
    }

    @Test
    void aWallClockStepBackDoesNotKeepAnEntryPastItsLifetime() {
        VerifiedTokenCache cache = new VerifiedTokenCache(1 << 20, LEEWAY, Duration.ofMinutes(5), clock);
        String t = Tokens.signedBy(key, clock).claim("exp", clock.epochSeconds() + 60).sign();
        cache.put(t, verified(t));
        clock.set(clock.instant().minus(Duration.ofHours(1)));
        clock.advance(Duration.ofSeconds(60).plus(LEEWAY));
        assertThat(cache.get(t)).as("expiry runs on elapsed time once the entry is in").isNull();
    }

    @Test
    void claimsWeightCountsStringsMapsAndLists() {
        Claims c = Claims.of(new java.util.LinkedHashMap<>(Map.of("sub", "x".repeat(1000),
                "roles", List.of(Map.of("eventId", "y".repeat(500))))));
        assertThat(VerifiedTokenCache.claimsBytes(c)).isGreaterThan(2L * 1500);
    }
}
