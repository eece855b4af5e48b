package io.streamgate.filters.verify;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;

import io.streamgate.filters.core.Tickers;

/**
 * Tokens whose signature already verified, keyed by the raw token. Bounded in estimated
 * retained bytes, not entries: a cache of 100,000 small tokens and one of 100,000 tokens
 * carrying 3 KiB of claims differ by an order of magnitude in heap. An entry never outlives
 * its token's {@code exp} (plus leeway); a token without {@code exp} is kept at most
 * {@code maxAgeWithoutExp}; tokens longer than {@link #MAX_CACHED_TOKEN_LENGTH} are not
 * cached. A hit skips only the signature: time claims, route rules and replay still run on
 * every request.
 *
 * <p>Caffeine's time is a monotonic {@link Ticker} ({@link Tickers#of} the injected clock);
 * the wall clock is read only to turn a token's {@code exp} into a remaining duration.
 */
public final class VerifiedTokenCache {
    /** Tokens longer than this are verified every time rather than cached. */
    public static final int MAX_CACHED_TOKEN_LENGTH = 4096;
    /** Default budget for the estimated retained size of all entries. */
    public static final long DEFAULT_MAX_BYTES = 64L << 20;

    /**
     * Per entry, besides the token string and the claims: the VerifiedToken and Claims objects
     * (~100 B) and Caffeine's node with its hash-table slot, expiry and weight (~100 B).
     */
    static final int ENTRY_OVERHEAD = 200;
    private static final int STRING = 40;
    private static final int BOXED = 16;
    private static final int MAP = 64;
    private static final int MAP_ENTRY = 48;
    private static final int LIST = 40;
    private static final int REFERENCE = 8;

    private final Cache<String, VerifiedToken> cache;
    private final long maxBytes;

    /** With Caffeine's time from {@link Tickers#of}{@code (clock)}. */
    public VerifiedTokenCache(long maxBytes, Duration leeway, Duration maxAgeWithoutExp, Clock clock) {
        this(maxBytes, leeway, maxAgeWithoutExp, clock, Tickers.of(clock));
    }

    /**
     * @param maxBytes budget for the entries' estimated retained size ({@link #weigh})
     * @param clock    wall clock, for the remaining lifetime of a token's {@code exp}
     * @param ticker   monotonic time for Caffeine's expiry
     */
    public VerifiedTokenCache(long maxBytes, Duration leeway, Duration maxAgeWithoutExp, Clock clock, Ticker ticker) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes < 0: " + maxBytes);
        }
        this.maxBytes = maxBytes;
        long leewayMillis = leeway.toMillis();
        long maxAgeNanos = maxAgeWithoutExp.toNanos();
        this.cache = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher(VerifiedTokenCache::weigh)
                .ticker(ticker)
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

    public long maxBytes() {
        return maxBytes;
    }

    /** The estimated retained size of the entries now cached (pending maintenance aside). */
    public long estimatedBytes() {
        return cache.policy().eviction().map(e -> e.weightedSize().orElse(0L)).orElse(0L);
    }

    long entries() {
        return cache.estimatedSize();
    }

    /** Runs pending evictions now (they also run on the caller's thread during writes). */
    void cleanUp() {
        cache.cleanUp();
    }

    /**
     * Estimated bytes an entry keeps alive: the token string at two bytes a char (an upper
     * bound; Latin-1 strings take one), the parsed claims walked value by value, and a fixed
     * overhead. The key shared with the registry is not counted.
     */
    static int weigh(String token, VerifiedToken verified) {
        long bytes = ENTRY_OVERHEAD + STRING + 2L * token.length() + claimsBytes(verified.claims());
        return (int) Math.min(Integer.MAX_VALUE, bytes);
    }

    /** Walks the claims without recursion (nesting depth is the token's choice). */
    static long claimsBytes(Claims claims) {
        long bytes = 0;
        ArrayDeque<Object> pending = new ArrayDeque<>();
        pending.push(claims.asMap());
        bytes += LIST + (long) claims.aud().size() * REFERENCE; // aud: a copied list of the same strings
        while (!pending.isEmpty()) {
            Object v = pending.pop();
            if (v instanceof String s) {
                bytes += STRING + 2L * s.length();
            } else if (v instanceof Map<?, ?> m) {
                bytes += MAP + (long) m.size() * (MAP_ENTRY + REFERENCE * 2);
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    pending.push(e.getKey());
                    if (e.getValue() != null) {
                        pending.push(e.getValue());
                    }
                }
            } else if (v instanceof Collection<?> c) {
                bytes += LIST + (long) c.size() * REFERENCE;
                for (Object o : c) {
                    if (o != null) {
                        pending.push(o);
                    }
                }
            } else if (v instanceof java.math.BigInteger b) {
                bytes += BOXED + 24 + b.bitLength() / 8;
            } else if (!(v instanceof Boolean)) {
                bytes += BOXED;
            }
        }
        return bytes;
    }
}
