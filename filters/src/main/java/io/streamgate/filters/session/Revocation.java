package io.streamgate.filters.session;

import java.util.Locale;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One revocation: every token or session matching {@link #kind} = {@link #value} (and
 * {@link #iss} when set) is refused until {@link #untilMillis}. {@code ISSUED_BEFORE} matches
 * tokens whose {@code iat} is before {@code value} (epoch seconds), and tokens without an
 * {@code iat} (their issue time is unknown, so before any instant). Evictions are not
 * revocations: they are session state ({@link SessionState#EVICTED}).
 */
public record Revocation(String id, Kind kind, String value, String iss, long untilMillis, String reason,
                         long createdMillis) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public enum Kind {
        JTI("jti"), SUB("sub"), SID("sid"), ISSUED_BEFORE("issuedBefore");

        private final String field;

        Kind(String field) {
            this.field = field;
        }

        /** The JSON field naming this kind in the admin API. */
        public String field() {
            return field;
        }
    }

    /** The admin API's view (and the stored form). */
    public ObjectNode toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", id);
        if (kind == Kind.ISSUED_BEFORE) {
            o.put(kind.field(), Long.parseLong(value));
        } else {
            o.put(kind.field(), value);
        }
        if (iss != null) {
            o.put("iss", iss);
        }
        o.put("until", untilMillis / 1000);
        if (reason != null) {
            o.put("reason", reason);
        }
        o.put("created", createdMillis / 1000);
        return o;
    }

    /** The stored form: the admin view with millisecond times. */
    public String encode() {
        ObjectNode o = toJson();
        o.put("untilMs", untilMillis);
        o.put("createdMs", createdMillis);
        return o.toString();
    }

    /** Reads the stored form; null when it is not one (a foreign or damaged entry is skipped, never fatal). */
    public static Revocation decode(String text) {
        try {
            JsonNode o = JSON.readTree(text);
            for (Kind k : Kind.values()) {
                JsonNode v = o.get(k.field());
                if (v != null) {
                    return new Revocation(o.path("id").asText(), k, v.asText(), o.hasNonNull("iss") ? o.get("iss").asText() : null,
                            o.path("untilMs").asLong(), o.hasNonNull("reason") ? o.get("reason").asText() : null,
                            o.path("createdMs").asLong());
                }
            }
            return null;
        } catch (JsonProcessingException | RuntimeException e) {
            return null;
        }
    }

    /** For logs: what is revoked, never a token (a jti, sub or sid is an identifier, not a credential). */
    @Override
    public String toString() {
        return "Revocation[" + id + ", " + kind.name().toLowerCase(Locale.ROOT) + "]";
    }
}
