package io.streamgate.filters.verify;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;

/**
 * Tokens whose signature already verified, keyed by the raw token. Bounded in entries;
 * an entry never outlives its token's {@code exp} (plus leeway); a token without {@code exp}
 * is kept at most {@code maxAgeWithoutExp}; very large tokens are not cached. A hit skips only
 * the signature: time claims, route rules and replay still run on every request.
 */
public final class VerifiedTokenCache {
    /** Tokens longer than this are verified every time rather than cached. */
    public static final int MAX_CACHED_TOKEN_LENGTH = 4096;

    private final Cache<String, VerifiedToken> cache;

    public VerifiedTokenCache(long maximumSize, Duration leeway, Duration maxAgeWithoutExp, Clock clock) {
        long leewayMillis = leeway.toMillis();
        long maxAgeNanos = maxAgeWithoutExp.toNanos();
        this.cache = Caffeine.newBuilder()
                .maximumSize(maximumSize)
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .executor(Runnable::run)
                .expireAfter(new Expiry<String, VerifiedToken>() {
                    @Override
                    public long expireAfterCreate(String key, VerifiedToken value, long currentTime) {
                        long exp = value.claims().exp();
                        if (exp == Claims.ABSENT) {
                            return maxAgeNanos;
                        }
                        long remainingMillis = exp * 1000 + leewayMillis - clock.millis();
                        return Math.max(0, TimeUnit.MILLISECONDS.toNanos(remainingMillis));
                    }

                    @Override
                    public long expireAfterUpdate(String key, VerifiedToken value, long currentTime, long currentDuration) {
                        return expireAfterCreate(key, value, currentTime);
                    }

                    @Override
                    public long expireAfterRead(String key, VerifiedToken value, long currentTime, long currentDuration) {
                        return currentDuration;
                    }
                })
                .build();
    }

    /** The cached verification of this exact token, or null. */
    public VerifiedToken get(String token) {
        return token.length() > MAX_CACHED_TOKEN_LENGTH ? null : cache.getIfPresent(token);
    }

    public void put(String token, VerifiedToken verified) {
        if (token.length() <= MAX_CACHED_TOKEN_LENGTH) {
            cache.put(token, verified);
        }
    }
}
