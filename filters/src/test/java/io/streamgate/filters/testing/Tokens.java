package io.streamgate.filters.testing;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import org.jose4j.json.JsonUtil;

import io.streamgate.filters.crypto.JwsSigner;

/**
 * Builds signed test tokens. Defaults: header {@code {"alg","typ":"JWT","kid"}}, claims
 * {@code sub}, {@code jti} (random), {@code iat} = {@code nbf} = now, {@code exp} = now + 1h,
 * all relative to the given clock.
 */
public final class Tokens {
    private final TestKeys key;
    private final Map<String, Object> header = new LinkedHashMap<>();
    private final Map<String, Object> claims = new LinkedHashMap<>();

    private Tokens(TestKeys key, long nowSeconds) {
        this.key = key;
        header.put("alg", key.alg().jwaName());
        header.put("typ", "JWT");
        header.put("kid", key.kid());
        claims.put("sub", "viewer-1");
        claims.put("jti", UUID.randomUUID().toString());
        claims.put("iat", nowSeconds);
        claims.put("nbf", nowSeconds);
        claims.put("exp", nowSeconds + 3600);
    }

    public static Tokens signedBy(TestKeys key, MutableClock clock) {
        return new Tokens(key, clock.epochSeconds());
    }

    public static Tokens signedBy(TestKeys key, long nowSeconds) {
        return new Tokens(key, nowSeconds);
    }

    public Tokens header(String name, Object value) {
        if (value == null) {
            header.remove(name);
        } else {
            header.put(name, value);
        }
        return this;
    }

    /** Sets a claim; null removes it. */
    public Tokens claim(String name, Object value) {
        if (value == null) {
            claims.remove(name);
        } else {
            claims.put(name, value);
        }
        return this;
    }

    public String headerJson() {
        return JsonUtil.toJson(header);
    }

    public String payloadJson() {
        return JsonUtil.toJson(claims);
    }

    public String sign() {
        return JwsSigner.sign(headerJson(), payloadJson(), key.alg(), key.pair().getPrivate());
    }

    /** Signs raw JSON strings exactly as given (for malformed-claim tests). */
    public static String signRaw(TestKeys key, String headerJson, String payloadJson) {
        return JwsSigner.sign(headerJson, payloadJson, key.alg(), key.pair().getPrivate());
    }
}
