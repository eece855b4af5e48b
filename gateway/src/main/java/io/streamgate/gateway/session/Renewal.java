package io.streamgate.gateway.session;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
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

import io.streamgate.filters.Authorizer;
import io.streamgate.filters.Verdict;
import io.streamgate.filters.core.DenialReason;
import io.streamgate.filters.core.RequestView;
import io.streamgate.filters.http.CorsPolicy;
import io.streamgate.filters.http.Denial;
import io.streamgate.filters.session.SessionRecord;
import io.streamgate.filters.session.SessionState;
import io.streamgate.filters.session.Sessions;
import io.streamgate.filters.token.ExtractedToken;
import io.streamgate.filters.token.TokenSource;
import io.streamgate.filters.verify.Claims;
import io.streamgate.gateway.edge.AccessRecord;
import io.streamgate.gateway.edge.Answers;
import io.streamgate.gateway.edge.Authorization;
import io.streamgate.gateway.edge.CoreRequestView;
import io.streamgate.gateway.edge.Endpoint;
import io.streamgate.gateway.edge.RouteEntry;
import io.streamgate.gateway.edge.RouteTable;

/**
 * {@code POST /_streamgate/renew}: a session outlives its first token. The body names the
 * sessions by the token that opened or last renewed them ({@code previous}, whose signature
 * must verify; it may have expired) or one HLS session by its credential ({@code session}),
 * and brings a new token with the same {@code iss} and {@code sub}. The new token is checked
 * against <em>each</em> session it would extend — that session's route, path and rules — and
 * extends exactly those it grants; it must also pass every check of the first of them (time,
 * issuer, revocation; a one-time {@code jti} is consumed once). A session that cannot play
 * (revoked, evicted, ended, past {@code hls.sessionMaxAge}) is never renewed. Each extension is
 * one atomic store operation: the cap only moves forward, and only while the session is open;
 * the new {@code jti} joins the session's chain (revoking it ends the session). Every replica
 * reads the new cap when a session reaches its old one: a WebSocket with {@code onExpiry:
 * close} stays open, and every credential of an HLS session, old ones included, is honoured
 * up to the new cap.
 *
 * <p>Answer: {@code 200 {"sid", "expiresAt", "expiresAtIso", "sessions": [{"sid", "expiresAt",
 * "expiresAtIso"}], "refused": [{"sid", "reason"}]}} when at least one session was extended
 * ({@code sid} and {@code expiresAt} are the first one's and the latest cap, in epoch seconds;
 * each {@code expiresAtIso} is the same instant as ISO-8601 UTC, e.g. {@code
 * 2026-12-07T21:13:18Z}); {@code 403 forbidden} when the token
 * grants none of the playable ones; {@code 401} with the reason when none can play.
 *
 * <p>Bad input changes nothing and is answered 4xx: a body that is not one JSON object of
 * exactly these fields (a field twice, or anything after the object, included), larger than
 * 16 KiB, or not UTF-8 is {@code 400 malformed_request};
 * a bad {@code previous} or {@code session} is {@code 401} with its reason; no live session
 * is {@code 404 session_not_found}; another subject's token is {@code 403 forbidden}.
 */
public final class Renewal implements Endpoint {
    /** The renewal endpoint's path. */
    public static final String PATH = "/_streamgate/renew";
    private static final Logger LOG = LoggerFactory.getLogger(Renewal.class);
    private static final int MAX_BODY = 16 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> FIELDS = Set.of("token", "previous", "session");
    private static final List<String> METHODS = List.of("POST");
    private static final TokenSource BODY = TokenSource.parse("header:Authorization");

    /** The configuration in force as a renewal needs it: the routes and the HLS session credentials. */
    public interface Context extends RouteTable {
        /** The HLS session credentials of this configuration. */
        SessionCredentials credentials();
    }

    private final java.util.function.Supplier<? extends Context> runtime;
    private final Sessions sessions;
    private final Executor executor;
    private final Clock clock;

    /** @param runtime the configuration in force (read once per renewal: a reload may swap it) */
    public Renewal(java.util.function.Supplier<? extends Context> runtime, Sessions sessions, Executor executor, Clock clock) {
        this.runtime = runtime;
        this.sessions = sessions;
        this.executor = executor;
        this.clock = clock;
    }

    /** A renewal request as read from its body. */
    private record Body(String token, String previous, String session) {
    }

    @Override
    public void handle(Request request, Response response, Callback callback) {
        Context rt = runtime.get();
        Authorizer authorizer = rt.authorizer();
        // the access line's id, so X-Request-Id and the line name the same request
        AccessRecord line = AccessRecord.of(request);
        String requestId = line != null ? line.requestId() : Denial.newRequestId();
        String method = request.getMethod();
        if (CorsPolicy.isPreflight(method, request.getHeaders().get(HttpHeader.ORIGIN),
                request.getHeaders().get(HttpHeader.ACCESS_CONTROL_REQUEST_METHOD))) {
            Answers.preflight(request, response, callback, METHODS);
            return;
        }
        if (!"POST".equals(method)) {
            Answers.deny(request, response, callback, DenialReason.METHOD_NOT_ALLOWED, requestId, METHODS);
            return;
        }
        if (request.getLength() > MAX_BODY) {
            Answers.drainThen(request, () -> Answers.deny(request, response, callback, DenialReason.MALFORMED_REQUEST,
                    requestId));
            return;
        }
        Content.Source.asByteArrayAsync(request, MAX_BODY).whenComplete((bytes, failure) -> run(request, response,
                callback, requestId, () -> {
            Body body = failure == null ? parse(bytes) : null;
            if (body == null) {
                Answers.deny(request, response, callback, DenialReason.MALFORMED_REQUEST, requestId);
                return;
            }
            new Attempt(rt, authorizer).renew(request, body).whenComplete((answer, e) -> run(request, response, callback, requestId, () -> {
                if (e != null) {
                    LOG.warn("renewal failed (request {}): {}", requestId, e.getClass().getSimpleName());
                    Answers.serverError(request, response, callback, requestId);
                } else if (answer.denial() != null) {
                    authorizer.metrics().sessionRenewal(answer.denial().code());
                    if (answer.counted() && line != null) {
                        line.decisionCounted();
                    }
                    Answers.deny(request, response, callback, answer.denial(), requestId);
                } else {
                    authorizer.metrics().sessionRenewal("renewed");
                    response.getHeaders().put("X-Request-Id", requestId);
                    Answers.json(response, callback, 200, answer.json());
                }
            }));
        }));
    }

    /** Continues on the server's pool; a bug answers 500 (JSON) instead of leaving the request hanging. */
    private void run(Request request, Response response, Callback callback, String requestId, Runnable step) {
        executor.execute(() -> {
            try {
                step.run();
            } catch (RuntimeException e) {
                LOG.error("renewal failed (request {})", requestId, e);
                Answers.serverError(request, response, callback, requestId);
            }
        });
    }

    /** Exactly the known fields, all strings; {@code token} and one of {@code previous}/{@code session}. */
    static Body parse(byte[] bytes) {
        try {
            // strict: a field twice ("token" twice: which one?) or anything after the object is malformed
            JsonNode o = io.streamgate.gateway.edge.StrictJson.parse(bytes);
            if (!o.isObject()) {
                return null;
            }
            for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!FIELDS.contains(f) || !o.get(f).isTextual() || o.get(f).asText().isEmpty()) {
                    return null;
                }
            }
            String token = text(o, "token");
            String previous = text(o, "previous");
            String session = text(o, "session");
            if (token == null || (previous == null) == (session == null)) {
                return null;
            }
            return new Body(token, previous, session);
        } catch (Exception e) {
            return null;
        }
    }

    private static String text(JsonNode o, String f) {
        return o.hasNonNull(f) ? o.get(f).asText() : null;
    }

    /**
     * The outcome: a JSON body, or a denial; {@code counted} when the denial is the
     * Authorizer's verdict, which it counted in {@code streamgate_decisions_total} itself (the
     * edge counts every other denial).
     */
    private record Answer(String json, DenialReason denial, boolean counted) {
        Answer(String json, DenialReason denial) {
            this(json, denial, false);
        }

        static Answer deny(DenialReason r) {
            return new Answer(null, r);
        }
    }

    /** The sessions to renew: whose they are and which. */
    private record Target(String iss, String sub, List<SessionRecord> sessions) {
    }

    /** A session the new token grants, with its route. */
    private record Granted(SessionRecord session, RouteEntry route, RequestView view) {
    }

    /** One renewal, on the configuration in force when it arrived. */
    private final class Attempt {
        private final Context runtime;
        private final Authorizer authorizer;
        private final SessionCredentials credentials;

        Attempt(Context rt, Authorizer authorizer) {
            this.runtime = rt;
            this.authorizer = authorizer;
            this.credentials = rt.credentials();
        }

        private CompletionStage<Answer> renew(Request request, Body body) {
            CompletionStage<Object> target = body.session() != null ? bySession(body.session()) : byPrevious(body.previous());
            return target.thenCompose(t -> {
                if (t instanceof DenialReason r) {
                    return CompletableFuture.completedFuture(Answer.deny(r));
                }
                return withNewToken(request, (Target) t, body.token());
            }).exceptionally(e -> Answer.deny(sessionsFailed(e)));
        }

        /** A store failure follows {@code onStoreError}; with {@code allow}, there is still nothing this replica could renew alone. */
        private DenialReason sessionsFailed(Throwable e) {
            DenialReason r = authorizer.replay().storeError(e);
            return r != null ? r : DenialReason.REPLAY_STORE_UNAVAILABLE;
        }

        private CompletionStage<Object> bySession(String credential) {
            SessionCredentials.Session s = credentials.open(credential);
            if (s == null) {
                return CompletableFuture.completedFuture(DenialReason.BAD_SIGNATURE);
            }
            // Only a stored record renews: it knows the state (an evicted session whose record was
            // lost must not come back from its credential) and a cap moved by an earlier renewal.
            return sessions.record(s.sid()).thenApply(stored -> stored == null ? DenialReason.SESSION_NOT_FOUND
                    : new Target(s.iss(), s.sub() == null || s.sub().isEmpty() ? null : s.sub(), List.of(stored)));
        }

        private CompletionStage<Object> byPrevious(String previous) {
            Verdict v = authorizer.verifySignature(new ExtractedToken(previous, BODY));
            if (!v.allowed()) {
                return CompletableFuture.completedFuture(v.reason());
            }
            Claims c = v.token().claims();
            String key = authorizer.replay().tokenKey(c);
            if (key == null) {
                return CompletableFuture.completedFuture(DenialReason.SESSION_NOT_FOUND);
            }
            return sessions.sessionsOf(key).thenCompose(sids -> {
                List<CompletableFuture<SessionRecord>> reads = new ArrayList<>();
                for (String sid : sids) {
                    reads.add(sessions.record(sid).toCompletableFuture());
                }
                return CompletableFuture.allOf(reads.toArray(new CompletableFuture[0])).thenApply(x -> {
                    List<SessionRecord> found = new ArrayList<>();
                    for (CompletableFuture<SessionRecord> r : reads) {
                        SessionRecord rec = r.join();
                        // under jtiScope: issuer two subjects may share a jti: only previous's own sessions
                        if (rec != null && runtime.route(rec.route()) != null
                                && java.util.Objects.equals(rec.iss(), c.iss())
                                && java.util.Objects.equals(rec.sub(), c.sub())) {
                            found.add(rec);
                        }
                    }
                    return found.isEmpty() ? DenialReason.SESSION_NOT_FOUND : new Target(c.iss(), c.sub(), found);
                });
            });
        }

        /** Why a session cannot play on, or null: its state, its age, a revocation of it or of any token of its chain. */
        private DenialReason unplayable(SessionRecord s, long nowMillis) {
            if (s.state() != SessionState.OPEN) {
                return s.state().denial();
            }
            DenialReason ended = io.streamgate.filters.session.SessionState.denialOf(sessions.refusal(s.sid(), s.iss(), s.sub(), s.jti(), s.iat()));
            if (ended != null) {
                return ended;
            }
            for (String jti : s.chain()) {
                if (sessions.index().matchJti(s.iss(), jti, nowMillis) != null) {
                    sessions.end(s.sid(), SessionState.REVOKED); // for good, as a request would have found
                    return DenialReason.REVOKED;
                }
            }
            if (nowMillis >= (s.openedAt() + sessions.maxAge().toSeconds()) * 1000) {
                return DenialReason.EXPIRED;
            }
            return null;
        }

        private CompletionStage<Answer> withNewToken(Request request, Target t, String token) {
            ExtractedToken extracted = new ExtractedToken(token, BODY);
            Verdict signed = authorizer.verifySignature(extracted);
            if (!signed.allowed()) {
                return CompletableFuture.completedFuture(Answer.deny(signed.reason()));
            }
            Claims c = signed.token().claims();
            if (!java.util.Objects.equals(c.iss(), t.iss()) || !java.util.Objects.equals(c.sub(), t.sub())) {
                return CompletableFuture.completedFuture(Answer.deny(DenialReason.FORBIDDEN));
            }
            long now = clock.millis();
            List<Granted> granted = new ArrayList<>();
            Map<String, DenialReason> refused = new java.util.LinkedHashMap<>();
            boolean forbidden = false;
            RequestView renewalView = new CoreRequestView(request, request.getHttpURI().getPath());
            for (SessionRecord s : t.sessions()) {
                RouteEntry route = runtime.route(s.route());
                if (route == null || route.policy() == null) {
                    refused.put(s.sid(), DenialReason.SESSION_NOT_FOUND);
                    continue;
                }
                DenialReason r = unplayable(s, now);
                if (r != null) {
                    refused.put(s.sid(), r);
                    continue;
                }
                RequestView view = at(renewalView, s.path());
                if (!authorizer.permits(route.policy(), view, c)) {
                    refused.put(s.sid(), DenialReason.FORBIDDEN);
                    forbidden = true;
                    continue;
                }
                granted.add(new Granted(s, route, view));
            }
            if (granted.isEmpty()) {
                DenialReason r = forbidden ? DenialReason.FORBIDDEN
                        : refused.isEmpty() ? DenialReason.SESSION_NOT_FOUND : refused.values().iterator().next();
                return CompletableFuture.completedFuture(Answer.deny(r));
            }
            Granted first = granted.get(0);
            // every check of the first granted session's route: time, issuer, revocation, one-time use
            return authorizer.authorizeRenewal(first.route().policy(), first.view(), extracted).thenCompose(v -> {
                if (!v.allowed()) {
                    return CompletableFuture.completedFuture(new Answer(null, v.reason(), true));
                }
                return extend(v, granted, refused);
            });
        }

        private CompletionStage<Answer> extend(Verdict v, List<Granted> granted, Map<String, DenialReason> refused) {
            Claims c = v.token().claims();
            String key = authorizer.replay().tokenKey(c);
            List<CompletableFuture<SessionRecord>> writes = new ArrayList<>();
            for (Granted g : granted) {
                SessionRecord s = g.session();
                long cap = sessions.cap(c.exp(), s.openedAt());
                writes.add(sessions.renew(s.sid(), cap, c.jti(), key, s.openedAt()).toCompletableFuture());
            }
            return CompletableFuture.allOf(writes.toArray(new CompletableFuture[0])).handle((x, failure) -> {
                com.fasterxml.jackson.databind.node.ArrayNode renewed = JSON.createArrayNode();
                String firstSid = null;
                long expiresAt = Long.MIN_VALUE;
                Throwable error = null;
                for (int i = 0; i < writes.size(); i++) {
                    SessionRecord s = granted.get(i).session();
                    SessionRecord rec;
                    try {
                        rec = writes.get(i).join();
                    } catch (RuntimeException e) {
                        error = e;
                        refused.put(s.sid(), sessionsFailed(e));
                        continue;
                    }
                    if (rec == null) {
                        refused.put(s.sid(), DenialReason.SESSION_NOT_FOUND); // lapsed meanwhile
                        continue;
                    }
                    if (rec.state() != SessionState.OPEN) {
                        refused.put(s.sid(), rec.state().denial()); // ended meanwhile: not revived
                        continue;
                    }
                    renewed.addObject().put("sid", rec.sid()).put("expiresAt", rec.cap())
                            .put("expiresAtIso", iso(rec.cap()));
                    firstSid = firstSid == null ? rec.sid() : firstSid;
                    expiresAt = Math.max(expiresAt, rec.cap());
                }
                if (renewed.isEmpty()) {
                    v.admission().release(); // nothing renewed: the new token stays usable
                    return error != null ? Answer.deny(sessionsFailed(error))
                            : Answer.deny(refused.values().iterator().next());
                }
                // one-time use is consumed by a renewal that took effect; a renewal holds no session lease
                if (v.admission().leaseId() != null) {
                    v.admission().release();
                } else {
                    v.admission().commit();
                }
                com.fasterxml.jackson.databind.node.ObjectNode out = JSON.createObjectNode().put("sid", firstSid)
                        .put("expiresAt", expiresAt).put("expiresAtIso", iso(expiresAt));
                out.set("sessions", renewed);
                com.fasterxml.jackson.databind.node.ArrayNode no = out.putArray("refused");
                refused.forEach((sid, r) -> no.addObject().put("sid", sid).put("reason", r.code()));
                return new Answer(out.toString(), null);
            });
        }
    }

    /** Epoch seconds as ISO-8601 UTC, e.g. {@code 2026-12-07T21:13:18Z}; null (JSON null) out of range. */
    private static String iso(long epochSeconds) {
        try {
            return java.time.Instant.ofEpochSecond(epochSeconds).toString();
        } catch (java.time.DateTimeException e) {
            return null;
        }
    }

    /** The renewal's own headers and client address, at the session's path and query. */
    private static RequestView at(RequestView renewalRequest, String pathAndQuery) {
        int q = pathAndQuery.indexOf('?');
        String path = q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
        String query = q < 0 ? null : pathAndQuery.substring(q + 1);
        return new RequestView() {
            @Override
            public String path() {
                return path;
            }

            @Override
            public String rawQuery() {
                return query;
            }

            @Override
            public String header(String name) {
                return renewalRequest.header(name);
            }

            @Override
            public List<String> headers(String name) {
                return renewalRequest.headers(name);
            }

            @Override
            public String remoteAddress() {
                return renewalRequest.remoteAddress();
            }
        };
    }
}
