package io.streamgate.filters.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What the shared store keeps of a session, for renewal: which route and path it plays (the
 * new token must pass that route's rules for that path), whose it is (a renewal keeps
 * {@code iss} and {@code sub}), and its cap (epoch seconds: the newest token's {@code exp},
 * never past {@code openedAt + sessionMaxAge}).
 *
 * @param kind  {@code hls} or {@code websocket}
 * @param path  the canonical path (and, for a WebSocket, the query without token parameters)
 *              the session was opened on
 * @param cap   epoch seconds, or {@link Long#MAX_VALUE} for a token without {@code exp}
 */
public record SessionRecord(String sid, String kind, String route, String path, String iss, String sub, String jti,
                            long cap, long openedAt) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public SessionRecord withCap(long newCap, String newJti) {
        return new SessionRecord(sid, kind, route, path, iss, sub, newJti, newCap, openedAt);
    }

    String encode() {
        ObjectNode o = JSON.createObjectNode();
        o.put("sid", sid).put("kind", kind).put("route", route).put("path", path).put("cap", cap)
                .put("openedAt", openedAt);
        if (iss != null) {
            o.put("iss", iss);
        }
        if (sub != null) {
            o.put("sub", sub);
        }
        if (jti != null) {
            o.put("jti", jti);
        }
        return o.toString();
    }

    static SessionRecord decode(String text) {
        if (text == null) {
            return null;
        }
        try {
            JsonNode o = JSON.readTree(text);
            return new SessionRecord(o.path("sid").asText(), o.path("kind").asText(), o.path("route").asText(),
                    o.path("path").asText(), text(o, "iss"), text(o, "sub"), text(o, "jti"), o.path("cap").asLong(),
                    o.path("openedAt").asLong());
        } catch (Exception e) {
            return null;
        }
    }

    private static String text(JsonNode o, String f) {
        return o.hasNonNull(f) ? o.get(f).asText() : null;
    }
}
