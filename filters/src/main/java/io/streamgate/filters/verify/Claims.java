package io.streamgate.filters.verify;

import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * A verified token's claims: the JSON object as parsed (read-only), plus the registered
 * claims already type-checked. Numeric dates must be finite JSON numbers within ±10^10
 * seconds; a string, boolean, {@code 1e300} or {@code Long.MAX_VALUE} is a malformed token,
 * not a date far away. {@code iss}, {@code jti} and {@code aud} must be strings (or, for aud,
 * an array of strings).
 */
public final class Claims {
    /** Marks an absent numeric date. */
    public static final long ABSENT = Long.MIN_VALUE;
    private static final double MAX_SECONDS = 1e10;

    private final Map<String, Object> map;
    private final long exp;
    private final long nbf;
    private final long iat;
    private final String iss;
    private final String jti;
    private final String sub;
    private final List<String> aud;

    private Claims(Map<String, Object> map, long exp, long nbf, long iat, String iss, String jti, String sub,
                   List<String> aud) {
        this.map = map;
        this.exp = exp;
        this.nbf = nbf;
        this.iat = iat;
        this.iss = iss;
        this.jti = jti;
        this.sub = sub;
        this.aud = aud;
    }

    /** Type-checks registered claims; null when any is of the wrong type (the token is malformed). */
    static Claims of(Map<String, Object> map) {
        long exp = numericDate(map.get("exp"));
        long nbf = numericDate(map.get("nbf"));
        long iat = numericDate(map.get("iat"));
        if ((exp == INVALID) | (nbf == INVALID) | (iat == INVALID)) {
            return null;
        }
        Object iss = map.get("iss");
        Object jti = map.get("jti");
        Object sub = map.get("sub");
        if ((iss != null && !(iss instanceof String)) || (jti != null && !(jti instanceof String))) {
            return null;
        }
        if (sub != null && !(sub instanceof String || sub instanceof Number)) {
            return null;
        }
        Object audValue = map.get("aud");
        List<String> aud;
        if (audValue == null) {
            aud = List.of();
        } else if (audValue instanceof String s) {
            aud = List.of(s);
        } else if (audValue instanceof List<?> l && l.stream().allMatch(String.class::isInstance)) {
            @SuppressWarnings("unchecked")
            List<String> strings = (List<String>) l;
            aud = List.copyOf(strings);
        } else {
            return null;
        }
        return new Claims(Collections.unmodifiableMap(map), exp, nbf, iat, (String) iss, (String) jti,
                sub == null ? null : sub.toString(), aud);
    }

    private static final long INVALID = Long.MIN_VALUE + 1;

    private static long numericDate(Object v) {
        if (v == null) {
            return ABSENT;
        }
        if (v instanceof Long l) {
            return Math.abs(l) <= (long) MAX_SECONDS ? l : INVALID;
        }
        if (v instanceof Number n) {
            double d = n.doubleValue();
            return Double.isFinite(d) && Math.abs(d) <= MAX_SECONDS ? (long) Math.floor(d) : INVALID;
        }
        return INVALID;
    }

    /** A claim's value: String, Long, Double, Boolean, List, Map, or null when absent. */
    public Object get(String name) {
        return map.get(name);
    }

    public boolean has(String name) {
        return map.get(name) != null;
    }

    public Map<String, Object> asMap() {
        return map;
    }

    /** Seconds since the epoch, or {@link #ABSENT}. */
    public long exp() {
        return exp;
    }

    public long nbf() {
        return nbf;
    }

    public long iat() {
        return iat;
    }

    public String iss() {
        return iss;
    }

    public String jti() {
        return jti;
    }

    public String sub() {
        return sub;
    }

    public List<String> aud() {
        return aud;
    }
}
