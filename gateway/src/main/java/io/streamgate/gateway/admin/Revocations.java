package io.streamgate.gateway.admin;

import java.time.Clock;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.streamgate.filters.replay.ReplayGuard;
import io.streamgate.filters.session.Revocation;
import io.streamgate.filters.session.Sessions;
import io.streamgate.gateway.config.Durations;

/**
 * The revocation API of the admin listener:
 * <ul>
 * <li>{@code POST /revocations} {@code {"jti"|"sub"|"sid": "...", "iss": "...", "ttl": "24h",
 *     "reason": "..."}} or {@code {"issuedBefore": <epoch seconds>, ...}} → {@code 201 {"id": ...}};</li>
 * <li>{@code GET /revocations} → {@code 200 {"revocations": [...]}}, each with its epoch-second fields
 *     ({@code until}, {@code created}, {@code issuedBefore}) followed by the same instant as ISO-8601 UTC
 *     ({@code untilIso}, {@code createdIso}, {@code issuedBeforeIso});</li>
 * <li>{@code DELETE /revocations/{id}} → {@code 204}, or {@code 404} when there is no such one.</li>
 * </ul>
 * A revocation is stored in the replay store (memory: until restart; Redis: until its ttl)
 * and in force on every replica sharing it within a second. When the store fails,
 * {@code onStoreError: deny} answers {@code 503} and changes nothing; {@code allow} applies it
 * on this replica only and says so ({@code "scope": "local"}). Bad bodies (not one strict JSON
 * object: a field twice or content after it included; unknown fields, none or two of the kinds,
 * a bad ttl, more than 16 KiB) are {@code 400 malformed_request} with what is wrong in
 * {@code detail}, and change nothing. A {@code POST} without {@code Content-Type:
 * application/json} is {@code 415} ({@link AdminAccess}).
 */
public final class Revocations {
    public static final String PATH = "/revocations";
    private static final Logger LOG = LoggerFactory.getLogger(Revocations.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BODY = 16 * 1024;
    private static final Set<String> FIELDS = Set.of("jti", "sub", "sid", "issuedBefore", "iss", "ttl", "reason");
    private static final Duration DEFAULT_TTL = Duration.ofHours(24);
    private static final Duration MAX_TTL = Duration.ofDays(366);

    private final Sessions sessions;
    private final java.util.function.Supplier<ReplayGuard> replay;
    private final Executor executor;
    private final Clock clock;

    /** @param replay the replay guard in force (its {@code onStoreError}; a reload may change it) */
    public Revocations(Sessions sessions, java.util.function.Supplier<ReplayGuard> replay, Executor executor, Clock clock) {
        this.sessions = sessions;
        this.replay = replay;
        this.executor = executor;
        this.clock = clock;
    }

    /** Serves {@code /revocations} and {@code /revocations/{id}} (behind {@code admin.token}, see {@link AdminHandler#secured}). */
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        String method = request.getMethod();
        if (path.equals(PATH) && "POST".equals(method)) {
            if (!AdminAccess.declaresJson(request)) {
                // a revocation always has a body, and only a JSON one (no form or text/plain post from a web page)
                AdminHandler.unsupportedMediaType(response, callback);
                return true;
            }
            if (request.getLength() > MAX_BODY) {
                io.streamgate.gateway.edge.Answers.drainThen(request,
                        () -> bad(response, callback, "the body is larger than 16 KiB"));
                return true;
            }
            Content.Source.asByteArrayAsync(request, MAX_BODY).whenComplete((bytes, e) -> run(response, callback, () -> {
                if (e != null) {
                    bad(response, callback, "the body is larger than 16 KiB or unreadable");
                } else {
                    create(bytes, response, callback);
                }
            }));
        } else if (path.equals(PATH) && "GET".equals(method)) {
            list(response, callback);
        } else if (path.startsWith(PATH + "/") && "DELETE".equals(method) && path.length() > PATH.length() + 1
                && path.indexOf('/', PATH.length() + 1) < 0) {
            lift(path.substring(PATH.length() + 1), response, callback);
        } else {
            response.getHeaders().put(HttpHeader.ALLOW, path.equals(PATH) ? "GET, POST" : "DELETE");
            AdminHandler.error(response, callback, 405, "invalid_request", "method_not_allowed");
        }
        return true;
    }

    /** Parses a revocation, or throws {@link IllegalArgumentException} saying what is wrong. */
    Revocation parse(byte[] bytes) {
        JsonNode o;
        try {
            o = io.streamgate.gateway.edge.StrictJson.parse(bytes); // no field twice, nothing after the object
        } catch (io.streamgate.gateway.edge.StrictJson.MalformedException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        if (!o.isObject()) {
            throw new IllegalArgumentException("the body is not a JSON object");
        }
        for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) {
                throw new IllegalArgumentException("unknown field \"" + f + "\" (fields: jti, sub, sid, issuedBefore, "
                        + "iss, ttl, reason)");
            }
        }
        Revocation.Kind kind = null;
        String value = null;
        for (Revocation.Kind k : Revocation.Kind.values()) {
            JsonNode v = o.get(k.field());
            if (v == null) {
                continue;
            }
            if (kind != null) {
                throw new IllegalArgumentException("give one of jti, sub, sid, issuedBefore; not several");
            }
            kind = k;
            if (k == Revocation.Kind.ISSUED_BEFORE) {
                if (!v.canConvertToLong() || !v.isIntegralNumber() || v.asLong() <= 0) {
                    throw new IllegalArgumentException("issuedBefore: epoch seconds expected");
                }
                value = Long.toString(v.asLong());
            } else {
                if (!v.isTextual() || v.asText().isEmpty() || v.asText().length() > 1024) {
                    throw new IllegalArgumentException(k.field() + ": a non-empty string expected");
                }
                value = v.asText();
            }
        }
        if (kind == null) {
            throw new IllegalArgumentException("give one of jti, sub, sid, issuedBefore");
        }
        String iss = optionalText(o, "iss");
        String reason = optionalText(o, "reason");
        if ("session_limit".equals(reason)) {
            // reserved: an eviction's reason, never an operator's revocation (viewers would be told "session_limit")
            throw new IllegalArgumentException("reason: \"session_limit\" is reserved for evictions");
        }
        Duration ttl = DEFAULT_TTL;
        if (o.has("ttl")) {
            try {
                ttl = o.get("ttl").isTextual() ? Durations.parse(o.get("ttl").asText()) : null;
            } catch (RuntimeException e) {
                ttl = null;
            }
            if (ttl == null) {
                throw new IllegalArgumentException("ttl: not a duration (e.g. 30m, 24h, 7d)");
            }
            if (ttl.isZero() || ttl.isNegative() || ttl.compareTo(MAX_TTL) > 0) {
                throw new IllegalArgumentException("ttl: must be positive and at most 366d");
            }
        }
        long now = clock.millis();
        return new Revocation(sessions.newSid(), kind, value, iss, now + ttl.toMillis(), reason, now);
    }

    private static String optionalText(JsonNode o, String f) {
        JsonNode v = o.get(f);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual() || v.asText().length() > 1024) {
            throw new IllegalArgumentException(f + ": a string expected");
        }
        return v.asText();
    }

    private void create(byte[] bytes, Response response, Callback callback) {
        Revocation r;
        try {
            r = parse(bytes);
        } catch (IllegalArgumentException e) {
            bad(response, callback, e.getMessage());
            return;
        }
        sessions.revoke(r).whenComplete((x, e) -> run(response, callback, () -> {
            if (e == null) {
                LOG.info("revocation {} added: {}{} (request {})", r.id(), r.kind().field(),
                        r.iss() == null ? "" : " (issuer-scoped)", response.getHeaders().get(AdminHandler.REQUEST_ID));
                AdminHandler.send(response, callback, 201, JSON.createObjectNode().put("id", r.id()).toString());
            } else if (unwrap(e) instanceof io.streamgate.filters.session.SessionStore.FullException) {
                LOG.warn("revocation refused: the store holds as many revocations as it may (request {})",
                        response.getHeaders().get(AdminHandler.REQUEST_ID));
                unavailable(response, callback); // nothing changed, here or anywhere
            } else if (replay.get().storeError(unwrap(e)) == null) {
                // onStoreError: allow — in force here (until its ttl) before the answer goes out
                sessions.revokeLocally(r).whenComplete((y, e2) -> run(response, callback, () -> {
                    LOG.warn("revocation {} applied on this replica only: the store failed (request {})", r.id(),
                            response.getHeaders().get(AdminHandler.REQUEST_ID));
                    AdminHandler.send(response, callback, 201, JSON.createObjectNode().put("id", r.id())
                            .put("scope", "local").toString());
                }));
            } else {
                unavailable(response, callback);
            }
        }));
    }

    private void list(Response response, Callback callback) {
        sessions.revocations().whenComplete((list, e) -> run(response, callback, () -> {
            ObjectNode out = JSON.createObjectNode();
            List<Revocation> shown = list;
            if (e != null) {
                // the store failed: what this replica enforces
                shown = sessions.index().all();
                out.put("scope", "local");
            }
            ArrayNode a = out.putArray("revocations");
            for (Revocation r : shown) {
                a.add(withIso(r.toJson()));
            }
            AdminHandler.send(response, callback, 200, out.toString());
        }));
    }

    /** Epoch-second fields of a revocation's JSON, each followed by the same instant as ISO-8601 UTC. */
    private static final Set<String> EPOCH_FIELDS = Set.of("until", "created", "issuedBefore");

    /**
     * The revocation's JSON with {@code untilIso}, {@code createdIso} (and {@code issuedBeforeIso})
     * beside the epoch seconds, e.g. {@code "until":1796764398,"untilIso":"2026-12-07T21:13:18Z"}:
     * fields are only added, the epoch ones stay as they are.
     */
    static ObjectNode withIso(ObjectNode json) {
        ObjectNode out = JSON.createObjectNode();
        for (Iterator<java.util.Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
            java.util.Map.Entry<String, JsonNode> f = it.next();
            out.set(f.getKey(), f.getValue());
            if (EPOCH_FIELDS.contains(f.getKey()) && f.getValue().canConvertToLong()) {
                try {
                    out.put(f.getKey() + "Iso", java.time.Instant.ofEpochSecond(f.getValue().asLong()).toString());
                } catch (java.time.DateTimeException e) {
                    // out of Instant's range: the epoch field alone
                }
            }
        }
        return out;
    }

    private void lift(String id, Response response, Callback callback) {
        sessions.lift(id).whenComplete((removed, e) -> run(response, callback, () -> {
            if (e != null) {
                unavailable(response, callback);
            } else if (Boolean.TRUE.equals(removed)) {
                LOG.info("revocation {} lifted (request {})", id, response.getHeaders().get(AdminHandler.REQUEST_ID));
                response.setStatus(204);
                callback.succeeded();
            } else {
                AdminHandler.error(response, callback, 404, "not_found", "revocation_not_found");
            }
        }));
    }

    /** Continues on the server's pool; a bug answers 500 (JSON, nothing of the request) instead of leaving the request hanging. */
    private void run(Response response, Callback callback, Runnable step) {
        executor.execute(() -> {
            try {
                step.run();
            } catch (RuntimeException e) {
                LOG.error("revocation API failed", e);
                if (!response.isCommitted()) {
                    AdminHandler.error(response, callback, 500, "server_error", "internal");
                } else {
                    callback.failed(e);
                }
            }
        });
    }

    private static Throwable unwrap(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }

    private static void bad(Response response, Callback callback, String detail) {
        ObjectNode o = JSON.createObjectNode().put("error", "invalid_request").put("reason", "malformed_request")
                .put("detail", detail);
        AdminHandler.send(response, callback, 400, o.toString());
    }

    private static void unavailable(Response response, Callback callback) {
        AdminHandler.error(response, callback, 503, "temporarily_unavailable", "replay_store_unavailable");
    }
}
