package io.streamgate.filters.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.assertj.core.api.SoftAssertions;
import org.jose4j.json.JsonUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.streamgate.filters.RoutePolicy;
import io.streamgate.filters.core.DenialReason;
import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.rules.RouteRules;
import io.streamgate.filters.testing.MutableClock;
import io.streamgate.filters.testing.TestKeys;
import io.streamgate.filters.testing.Tokens;
import io.streamgate.filters.verify.VerifyPolicy;

/**
 * The product contract ("Decisions", "Methods, preflight, stripping", "One-time use is
 * transactional"; summarised in the README's "Decisions") as one suite, run against every
 * adapter of the verification core: the servlet {@code StreamGateFilter} and the gateway.
 * It talks only HTTP to {@link #start}'s base URI and reads what the {@link RecordingBackend}
 * behind the adapter saw.
 *
 * <p>A subclass starts its adapter in front of {@link Setup#backend()} configured as
 * {@link Setup} describes (one key, one route {@code /live/} with a rule, {@code once} replay,
 * the default token sources), with the backend seeing the same path as the viewer
 * ({@code /live/...}).
 */
public abstract class AdapterContract {
    /** The browser player's origin, sent on every request unless a test says otherwise. */
    protected static final String PLAYER = "https://player.example";
    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    /**
     * How the adapter under test is configured. Equivalent gateway YAML:
     * <pre>
     * verify: {algorithms: [ES256], leeway: 30s, maxLifetime: 366d, issuers: [ISSUER],
     *          audiences: [AUDIENCE], requiredClaims: [exp]}
     * tokens: {from: [query:token, query:jwtoken, header:Authorization, cookie:sg_token,
     *          websocket-protocol], maxLength: MAX_TOKEN_LENGTH}
     * replay: {mode: once, store: memory}
     * routes: [{name: live, path: /live/, methods: [GET, HEAD],
     *           require: [{claim: "roles[].eventId", contains: "{path.0}"}]}]
     * </pre>
     */
    public record Setup(TestKeys key, MutableClock clock, RecordingBackend backend) {
        public static final String ISSUER = "https://idp.example";
        public static final String AUDIENCE = "player";
        public static final int MAX_TOKEN_LENGTH = 2048;
        public static final Duration LEEWAY = Duration.ofSeconds(30);
        public static final Duration MAX_LIFETIME = Duration.ofDays(366);
        public static final String ROUTE = "live";
        public static final String PREFIX = "/live/";
        public static final List<String> METHODS = List.of("GET", "HEAD");
        /** The route's rule: the first path segment after the prefix is one of the token's events. */
        public static final Map<String, Object> RULE = Map.of("claim", "roles[].eventId", "contains", "{path.0}");

        public VerifyPolicy verifyPolicy() {
            return VerifyPolicy.builder().algorithms(Set.of(JwsAlgorithm.ES256)).leeway(LEEWAY)
                    .maxLifetime(MAX_LIFETIME).issuers(Set.of(ISSUER)).audiences(Set.of(AUDIENCE))
                    .requiredClaims(List.of("exp")).maxTokenLength(MAX_TOKEN_LENGTH).build();
        }

        public RoutePolicy routePolicy() {
            return new RoutePolicy(ROUTE, PREFIX, RouteRules.compile(List.of(RULE), "routes[0].require"));
        }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    protected final MutableClock clock = new MutableClock(Instant.now());
    protected final TestKeys key = TestKeys.es256("contract-k1");
    protected final RecordingBackend backend = new RecordingBackend();
    private URI base;

    /** Starts the adapter as {@code setup} describes, in front of its backend; returns the base URI. */
    protected abstract URI start(Setup setup) throws Exception;

    /** Stops what {@link #start} started. */
    protected abstract void stop() throws Exception;

    /**
     * Revokes every token whose {@code field} ({@code jti}, {@code sub}) is {@code value}, the
     * way an operator would with this adapter, and returns once it is in force.
     */
    protected abstract void revoke(String field, String value) throws Exception;

    @BeforeEach
    void startAdapter() throws Exception {
        base = start(new Setup(key, clock, backend));
    }

    @AfterEach
    void stopAdapter() throws Exception {
        stop();
    }

    // ---- helpers ----

    /** A token the setup accepts for {@code /live/ev1/...}. */
    protected Tokens token() {
        return Tokens.signedBy(key, clock).claim("iss", Setup.ISSUER).claim("aud", Setup.AUDIENCE)
                .claim("roles", List.of(Map.of("name", "ROLE_ATTENDEE", "eventId", "ev1")));
    }

    protected HttpResponse<String> send(String method, String pathAndQuery, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(pathAndQuery)).timeout(TIMEOUT)
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A GET from the player's origin. */
    protected HttpResponse<String> get(String pathAndQuery, String... headers) throws Exception {
        String[] all = Arrays.copyOf(new String[] {"Origin", PLAYER}, 2 + headers.length);
        System.arraycopy(headers, 0, all, 2, headers.length);
        return send("GET", pathAndQuery, all);
    }

    private static Map<String, Object> json(HttpResponse<String> r) {
        try {
            return JsonUtil.parseJson(r.body());
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + r.body(), e);
        }
    }

    private static Map<String, Object> jsonOrNull(HttpResponse<String> r) {
        try {
            return JsonUtil.parseJson(r.body());
        } catch (Exception e) {
            return null;
        }
    }

    private static Set<String> list(String headerValue) {
        return Arrays.stream(headerValue.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .collect(Collectors.toSet());
    }

    /** The contract's denial: status, JSON body, {@code WWW-Authenticate}, content type and CORS. */
    protected static void assertDenied(HttpResponse<String> r, DenialReason reason, String origin) {
        String what = reason.code();
        assertThat(r.statusCode()).as("status of %s (body %s)", what, r.body()).isEqualTo(reason.status());
        assertThat(r.headers().firstValue("Content-Type")).as("Content-Type of %s", what)
                .hasValueSatisfying(ct -> assertThat(ct).startsWith("application/json"));
        Map<String, Object> body = json(r);
        assertThat(body).as("body of %s", what).containsOnlyKeys("error", "reason", "requestId")
                .containsEntry("error", reason.error()).containsEntry("reason", reason.code());
        assertThat(body.get("requestId")).as("requestId of %s", what).isInstanceOf(String.class);
        assertThat((String) body.get("requestId")).as("requestId of %s", what).isNotBlank();
        String challenge = r.headers().firstValue("WWW-Authenticate").orElse(null);
        switch (reason.status()) {
            case 401 -> assertThat(challenge).as("WWW-Authenticate of %s", what).isEqualTo(
                    reason == DenialReason.MISSING_TOKEN
                            ? "Bearer realm=\"streamgate\""
                            : "Bearer realm=\"streamgate\", error=\"invalid_token\", error_description=\""
                            + reason.code() + "\"");
            case 403 -> assertThat(challenge).as("WWW-Authenticate of %s", what)
                    .startsWith("Bearer realm=\"streamgate\"").contains("error=\"insufficient_scope\"");
            default -> assertThat(challenge).as("WWW-Authenticate of %s", what).isNull();
        }
        assertCors(r, origin);
    }

    protected static void assertDenied(HttpResponse<String> r, DenialReason reason) {
        assertDenied(r, reason, PLAYER);
    }

    /** {@code Access-Control-Allow-Origin} is the request's origin (or {@code *}), {@code WWW-Authenticate} exposed. */
    protected static void assertCors(HttpResponse<String> r, String origin) {
        assertThat(r.headers().allValues("Access-Control-Allow-Origin")).as("Access-Control-Allow-Origin")
                .containsExactly(origin == null ? "*" : origin);
        assertThat(r.headers().firstValue("Access-Control-Expose-Headers")).as("Access-Control-Expose-Headers")
                .hasValueSatisfying(v -> assertThat(v).containsIgnoringCase("WWW-Authenticate"));
    }

    /** The backend never saw a request. */
    protected void assertNothingReachedTheBackend() {
        assertThat(backend.seen()).as("requests that reached the backend").isEmpty();
    }

    /** The backend never saw the token, nor its payload or signature, anywhere it could read. */
    protected void assertBackendNeverSaw(String... tokens) {
        assertThat(backend.seen()).as("requests that reached the backend").isNotEmpty();
        for (RecordingBackend.Seen s : backend.seen()) {
            String all = s.everything();
            for (String t : tokens) {
                String[] parts = t.split("\\.");
                assertThat(all).as("what the backend saw").doesNotContain(t).doesNotContain(parts[1])
                        .doesNotContain(parts[2]);
            }
        }
    }

    // ---- every token denial reason ----

    @Test
    void missingToken() throws Exception {
        assertDenied(get("/live/ev1/index.m3u8"), DenialReason.MISSING_TOKEN);
        assertNothingReachedTheBackend();
    }

    @Test
    void missingTokenWithoutOriginAllowsAnyOrigin() throws Exception {
        assertDenied(send("GET", "/live/ev1/index.m3u8"), DenialReason.MISSING_TOKEN, null);
    }

    @Test
    void malformedToken() throws Exception {
        assertDenied(get("/live/ev1/index.m3u8?token=garbage"), DenialReason.MALFORMED_TOKEN);
        assertNothingReachedTheBackend();
    }

    @Test
    void tokenTooLarge() throws Exception {
        String t = token().claim("pad", "x".repeat(Setup.MAX_TOKEN_LENGTH)).sign();
        assertDenied(get("/live/ev1/index.m3u8?token=" + t), DenialReason.TOKEN_TOO_LARGE);
        assertNothingReachedTheBackend();
    }

    @Test
    void unsupportedAlgorithm() throws Exception {
        String t = Tokens.signedBy(TestKeys.rs256(key.kid()), clock).claim("iss", Setup.ISSUER)
                .claim("aud", Setup.AUDIENCE).claim("roles", List.of(Map.of("eventId", "ev1"))).sign();
        assertDenied(get("/live/ev1/index.m3u8?token=" + t), DenialReason.UNSUPPORTED_ALGORITHM);
        assertNothingReachedTheBackend();
    }

    @Test
    void unknownKey() throws Exception {
        String t = Tokens.signedBy(TestKeys.es256("contract-other"), clock).claim("iss", Setup.ISSUER)
                .claim("aud", Setup.AUDIENCE).claim("roles", List.of(Map.of("eventId", "ev1"))).sign();
        assertDenied(get("/live/ev1/index.m3u8?token=" + t), DenialReason.UNKNOWN_KEY);
        assertNothingReachedTheBackend();
    }

    @Test
    void badSignature() throws Exception {
        String t = token().sign();
        int at = t.lastIndexOf('.') + 10;
        String tampered = t.substring(0, at) + (t.charAt(at) == 'A' ? 'B' : 'A') + t.substring(at + 1);
        assertDenied(get("/live/ev1/index.m3u8?token=" + tampered), DenialReason.BAD_SIGNATURE);
        assertNothingReachedTheBackend();
    }

    @Test
    void expired() throws Exception {
        String t = token().claim("iat", clock.epochSeconds() - 3600).claim("nbf", clock.epochSeconds() - 3600)
                .claim("exp", clock.epochSeconds() - Setup.LEEWAY.toSeconds() - 60).sign();
        assertDenied(get("/live/ev1/index.m3u8?token=" + t), DenialReason.EXPIRED);
        assertNothingReachedTheBackend();
    }

    @Test
    void notYetValid() throws Exception {
        String t = token().claim("nbf", clock.epochSeconds() + Setup.LEEWAY.toSeconds() + 60).sign();
        assertDenied(get("/live/ev1/index.m3u8?token=" + t), DenialReason.NOT_YET_VALID);
        assertNothingReachedTheBackend();
    }

    @Test
    void lifetimeTooLong() throws Exception {
        String t = token().claim("exp", clock.epochSeconds() + Setup.MAX_LIFETIME.toSeconds() + 86_400).sign();
        assertDenied(get("/live/ev1/index.m3u8?token=" + t), DenialReason.LIFETIME_TOO_LONG);
        assertNothingReachedTheBackend();
    }

    @Test
    void issuerNotAllowed() throws Exception {
        String t = token().claim("iss", "https://evil.example").sign();
        assertDenied(get("/live/ev1/index.m3u8?token=" + t), DenialReason.ISSUER_NOT_ALLOWED);
        assertNothingReachedTheBackend();
    }

    @Test
    void audienceNotAllowed() throws Exception {
        String t = token().claim("aud", "admin").sign();
        assertDenied(get("/live/ev1/index.m3u8?token=" + t), DenialReason.AUDIENCE_NOT_ALLOWED);
        assertNothingReachedTheBackend();
    }

    @Test
    void missingClaim() throws Exception {
        String t = token().claim("exp", null).sign();
        assertDenied(get("/live/ev1/index.m3u8?token=" + t), DenialReason.MISSING_CLAIM);
        assertNothingReachedTheBackend();
    }

    @Test
    void replayed() throws Exception {
        String t = token().sign();
        assertThat(get("/live/ev1/index.m3u8?token=" + t).statusCode()).isEqualTo(200);
        assertDenied(get("/live/ev1/index.m3u8?token=" + t), DenialReason.REPLAYED);
        assertThat(backend.seen()).hasSize(1);
    }

    @Test
    void revoked() throws Exception {
        String watching = token().claim("sub", "refunded@example.com").sign();
        assertThat(get("/live/ev1/index.m3u8?token=" + watching).statusCode()).isEqualTo(200);
        revoke("sub", "refunded@example.com");
        assertDenied(get("/live/ev1/index.m3u8?token=" + token().claim("sub", "refunded@example.com").sign()),
                DenialReason.REVOKED);
        Tokens other = token();
        String otherJti = (String) JsonUtil.parseJson(other.payloadJson()).get("jti");
        String otherToken = other.sign();
        revoke("jti", otherJti);
        assertDenied(get("/live/ev1/index.m3u8?token=" + otherToken), DenialReason.REVOKED);
        assertThat(backend.seen()).hasSize(1);
        assertThat(get("/live/ev1/index.m3u8?token=" + token().sign()).statusCode()).as("others pass").isEqualTo(200);
    }

    @Test
    void forbidden() throws Exception {
        String t = token().sign();
        assertDenied(get("/live/ev2/index.m3u8?token=" + t), DenialReason.FORBIDDEN);
        assertNothingReachedTheBackend();
        assertThat(get("/live/ev1/index.m3u8?token=" + t).statusCode()).as("a forbidden token is not consumed")
                .isEqualTo(200);
    }

    @Test
    void aDeniedHeadRequestHasNoBody() throws Exception {
        HttpResponse<String> r = send("HEAD", "/live/ev1/index.m3u8", "Origin", PLAYER);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).isEmpty();
        assertCors(r, PLAYER);
    }

    // ---- path ----

    /** Dot segments and {@code ;} parameters. */
    @Test
    void malformedPath() throws Exception {
        assertMalformedPath("/live/ev1/../ev2/x", "/live/ev1/..", "/live/./ev1/x", "/live/ev1/x;y");
    }

    /**
     * Forms a container may call ambiguous: an empty segment, an encoded dot segment, an encoded
     * slash. The contract's {@code 400 malformed_path} answer all the same. Protected so that an
     * adapter's subclass can disable it with a reason.
     */
    @Test
    protected void ambiguousPathIsMalformedPath() throws Exception {
        assertMalformedPath("/live//ev1/x", "/live/ev1/%2e%2e/ev2/x", "/live/ev1%2fx");
    }

    private void assertMalformedPath(String... paths) throws Exception {
        String t = token().sign();
        SoftAssertions soft = new SoftAssertions();
        for (String path : paths) {
            HttpResponse<String> r = get(path + "?token=" + t);
            soft.assertThat(r.statusCode()).as("status of %s", path).isEqualTo(400);
            soft.assertThat(jsonOrNull(r)).as("body of %s: %s", path, r.body()).isNotNull()
                    .containsOnlyKeys("error", "reason", "requestId")
                    .containsEntry("error", "invalid_request").containsEntry("reason", "malformed_path");
            soft.assertThat(r.headers().firstValue("Content-Type")).as("Content-Type of %s", path)
                    .hasValueSatisfying(ct -> assertThat(ct).startsWith("application/json"));
            soft.assertThat(r.body()).as("body of %s", path).doesNotContain(t);
            soft.assertThat(r.headers().allValues("Access-Control-Allow-Origin")).as("CORS of %s", path)
                    .containsExactly(PLAYER);
        }
        soft.assertAll();
        assertNothingReachedTheBackend();
    }

    // ---- allowed requests, CORS on every response ----

    @Test
    void aValidTokenReachesTheBackendWithCors() throws Exception {
        HttpResponse<String> r = get("/live/ev1/index.m3u8?token=" + token().sign());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("ok");
        assertCors(r, PLAYER);
        assertThat(backend.last().method()).isEqualTo("GET");
        assertThat(backend.last().requestUri()).isEqualTo("/live/ev1/index.m3u8");
    }

    // ---- preflight ----

    @Test
    void preflightIsAnsweredWithoutToken() throws Exception {
        HttpResponse<String> r = send("OPTIONS", "/live/ev1/index.m3u8", "Origin", PLAYER,
                "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "authorization");
        assertThat(r.statusCode()).isEqualTo(204);
        assertThat(r.headers().allValues("Access-Control-Allow-Origin")).containsExactly(PLAYER);
        assertThat(r.headers().firstValue("Access-Control-Allow-Methods"))
                .hasValueSatisfying(v -> assertThat(list(v)).containsExactlyInAnyOrderElementsOf(Setup.METHODS));
        assertThat(r.headers().firstValue("Access-Control-Allow-Headers"))
                .hasValueSatisfying(v -> assertThat(v).containsIgnoringCase("Authorization"));
        assertThat(r.headers().firstValue("Access-Control-Max-Age"))
                .hasValueSatisfying(v -> assertThat(Long.parseLong(v.trim())).isPositive());
        assertNothingReachedTheBackend();
    }

    // ---- methods ----

    @Test
    void aMethodOutsideTheRoutesIs405WithAllowBeforeAnyTokenCheck() throws Exception {
        String t = token().sign();
        for (String method : List.of("POST", "PUT", "DELETE", "PATCH", "OPTIONS")) {
            HttpResponse<String> r = send(method, "/live/ev1/index.m3u8?token=" + t, "Origin", PLAYER);
            assertThat(r.statusCode()).as(method).isEqualTo(405);
            assertThat(r.headers().firstValue("Allow")).as("Allow on " + method)
                    .hasValueSatisfying(v -> assertThat(list(v)).containsExactlyInAnyOrderElementsOf(Setup.METHODS));
            assertThat(json(r)).as(method).containsOnlyKeys("error", "reason", "requestId")
                    .containsEntry("error", "invalid_request").containsEntry("reason", "method_not_allowed");
            assertThat(r.headers().firstValue("Content-Type")).as(method)
                    .hasValueSatisfying(ct -> assertThat(ct).startsWith("application/json"));
            assertCors(r, PLAYER);
        }
        HttpResponse<String> r = send("DELETE", "/live/ev1/index.m3u8", "Origin", PLAYER);
        assertThat(r.statusCode()).as("405 before missing_token").isEqualTo(405);
        assertNothingReachedTheBackend();
        assertThat(get("/live/ev1/index.m3u8?token=" + t).statusCode()).as("nothing consumed").isEqualTo(200);
    }

    @Test
    void headIsAllowed() throws Exception {
        HttpResponse<String> r = send("HEAD", "/live/ev1/index.m3u8?token=" + token().sign(), "Origin", PLAYER);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(backend.last().method()).isEqualTo("HEAD");
    }

    // ---- stripping ----

    @Test
    void tokenFromQueryTokenIsStripped() throws Exception {
        String t = token().sign();
        assertThat(get("/live/ev1/index.m3u8?a=1&token=" + t + "&b=2").statusCode()).isEqualTo(200);
        assertBackendNeverSaw(t);
        assertThat(backend.last().queryString()).isEqualTo("a=1&b=2");
        assertThat(backend.last().parameters()).containsOnlyKeys("a", "b");
    }

    @Test
    void tokenFromQueryJwtokenIsStripped() throws Exception {
        String t = token().sign();
        assertThat(get("/live/ev1/index.m3u8?jwtoken=" + t + "&a=1").statusCode()).isEqualTo(200);
        assertBackendNeverSaw(t);
        assertThat(backend.last().queryString()).isEqualTo("a=1");
        assertThat(backend.last().parameters()).containsOnlyKeys("a");
    }

    @Test
    void tokenFromAuthorizationHeaderIsStripped() throws Exception {
        String t = token().sign();
        assertThat(get("/live/ev1/index.m3u8", "Authorization", "Bearer " + t).statusCode()).isEqualTo(200);
        assertBackendNeverSaw(t);
        assertThat(backend.last().header("Authorization")).isEmpty();
    }

    @Test
    void tokenFromCookieIsStripped() throws Exception {
        String t = token().sign();
        assertThat(get("/live/ev1/index.m3u8", "Cookie", "lang=de; sg_token=" + t + "; theme=dark").statusCode())
                .isEqualTo(200);
        assertBackendNeverSaw(t);
        assertThat(backend.last().cookies()).containsExactly("lang=de", "theme=dark");
        assertThat(String.join("; ", backend.last().header("Cookie"))).doesNotContain("sg_token");
    }

    @Test
    void tokenFromWebSocketProtocolIsStripped() throws Exception {
        String t = token().sign();
        assertThat(get("/live/ev1/index.m3u8", "Sec-WebSocket-Protocol", "h5live, " + t).statusCode()).isEqualTo(200);
        assertBackendNeverSaw(t);
        assertThat(String.join(",", backend.last().header("Sec-WebSocket-Protocol"))).doesNotContain(".");
    }

    @Test
    void everyTokenSourceIsStrippedNotOnlyTheOneUsed() throws Exception {
        String used = token().sign();
        String q = token().sign();
        String h = token().sign();
        String c = token().sign();
        String p = token().sign();
        HttpResponse<String> r = get("/live/ev1/index.m3u8?a=1&token=" + used + "&jwtoken=" + q + "&b=2",
                "Authorization", "Bearer " + h, "Cookie", "lang=de; sg_token=" + c, "Sec-WebSocket-Protocol",
                "h5live, " + p, "Referer", "https://player.example/event?token=" + used + "&x=1");
        assertThat(r.statusCode()).isEqualTo(200);
        assertBackendNeverSaw(used, q, h, c, p);
        RecordingBackend.Seen s = backend.last();
        assertThat(s.queryString()).isEqualTo("a=1&b=2");
        assertThat(s.parameters()).containsOnlyKeys("a", "b");
        assertThat(s.header("Authorization")).isEmpty();
        assertThat(s.cookies()).containsExactly("lang=de");
        assertThat(s.header("Referer")).allSatisfy(v -> assertThat(v).doesNotContain("token="));
    }

    @Test
    void methodOverrideHeadersNeverReachTheOrigin() throws Exception {
        // an origin framework honouring one of these would run a DELETE the route never allowed
        HttpResponse<String> r = get("/live/ev1/index.m3u8?token=" + token().sign(), "X-HTTP-Method-Override",
                "DELETE", "X-HTTP-Method", "PUT", "x-method-override", "PATCH", "X-Other", "kept");
        assertThat(r.statusCode()).isEqualTo(200);
        RecordingBackend.Seen s = backend.last();
        assertThat(s.method()).isEqualTo("GET");
        for (String h : List.of("X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override")) {
            assertThat(s.header(h)).as(h).isEmpty();
        }
        assertThat(s.headers()).as("header names the backend can list").doesNotContainKeys(
                "x-http-method-override", "x-http-method", "x-method-override");
        assertThat(s.everything()).doesNotContain("DELETE").doesNotContain("PUT").doesNotContain("PATCH");
        assertThat(s.header("X-Other")).containsExactly("kept");
    }

    // ---- one-time use is transactional ----

    @Test
    void aOneTimeTokenIsConsumedOnlyWhenTheBackendAccepted() throws Exception {
        String t = token().sign();
        assertThat(get("/live/ev1/status/502?token=" + t).statusCode()).as("the backend failed").isEqualTo(502);
        assertThat(get("/live/ev1/status/503?token=" + t).statusCode()).as("still unused").isEqualTo(503);
        assertThat(get("/live/ev1/index.m3u8?token=" + t).statusCode()).as("the retry works").isEqualTo(200);
        assertDenied(get("/live/ev1/index.m3u8?token=" + t), DenialReason.REPLAYED);
        assertThat(backend.seen()).hasSize(3);
    }

    @Test
    void headNeverConsumesAOneTimeToken() throws Exception {
        // a HEAD delivers no body (a player's or a link checker's probe): it must not use the viewer's token
        String t = token().sign();
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> head = send("HEAD", "/live/ev1/index.m3u8?token=" + t, "Origin", PLAYER);
            assertThat(head.statusCode()).as("HEAD " + i).isEqualTo(200);
            assertThat(backend.last().method()).isEqualTo("HEAD");
        }
        // regression: the HEAD consumed the one-time token and the viewer's GET was refused as replayed
        assertThat(get("/live/ev1/index.m3u8?token=" + t).statusCode()).as("the GET plays").isEqualTo(200);
        HttpResponse<String> used = send("HEAD", "/live/ev1/index.m3u8?token=" + t, "Origin", PLAYER);
        assertThat(used.statusCode()).as("a used token is still refused on a HEAD").isEqualTo(401);
        assertThat(used.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v)
                .contains("replayed"));
        assertDenied(get("/live/ev1/index.m3u8?token=" + t), DenialReason.REPLAYED);
        assertThat(backend.seen()).hasSize(3);
    }

    @Test
    void aClientErrorOfTheBackendConsumesTheToken() throws Exception {
        String t = token().sign();
        assertThat(get("/live/ev1/status/404?token=" + t).statusCode()).isEqualTo(404);
        assertDenied(get("/live/ev1/index.m3u8?token=" + t), DenialReason.REPLAYED);
    }
}
