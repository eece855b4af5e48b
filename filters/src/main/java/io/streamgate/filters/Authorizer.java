package io.streamgate.filters;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

import io.streamgate.filters.core.ClientAddress;
import io.streamgate.filters.core.DenialReason;
import io.streamgate.filters.core.RequestView;
import io.streamgate.filters.crypto.SignatureVerifier;
import io.streamgate.filters.keys.KeyRegistry;
import io.streamgate.filters.keys.VerificationKey;
import io.streamgate.filters.metrics.StreamGateMetrics;
import io.streamgate.filters.replay.Admission;
import io.streamgate.filters.replay.ReplayDecision;
import io.streamgate.filters.replay.ReplayGuard;
import io.streamgate.filters.rules.RuleInput;
import io.streamgate.filters.token.ExtractedToken;
import io.streamgate.filters.token.TokenExtractor;
import io.streamgate.filters.token.TokenSource;
import io.streamgate.filters.verify.Claims;
import io.streamgate.filters.verify.DecodedToken;
import io.streamgate.filters.verify.TokenVerifier;
import io.streamgate.filters.verify.Verification;
import io.streamgate.filters.verify.VerifiedToken;
import io.streamgate.filters.verify.VerifiedTokenCache;
import io.streamgate.filters.verify.VerifyPolicy;

/**
 * The verification pipeline: for one request and route, extract → size and shape → header
 * → key by kid → signature → time claims → issuer/audience → required claims → route rules
 * → replay. Each step can only deny with its own {@link DenialReason}; nothing is reserved
 * for a token that failed an earlier step (replay protection runs last).
 *
 * <p>An allowed {@link Verdict} carries the {@link io.streamgate.filters.replay.Admission}
 * of replay protection (a one-time reservation or a session lease): whoever forwards the
 * request commits it when the origin accepted the request (status &lt; 500, or {@code 101})
 * and releases it otherwise. A {@code HEAD} ({@link RequestView#method()}) takes nothing: a
 * one-time token is checked but not used ({@code replayed} once it was), and no lease is
 * held ({@link ReplayGuard#peek}).
 *
 * <p>The result is usually complete on return (no thread switch, no blocking); it completes
 * later only when an unknown kid triggers a JWKS refetch or a remote replay store answers,
 * and then continues on the {@link Builder#executor(Executor) executor}.
 */
public final class Authorizer implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Authorizer.class);
    private final TokenExtractor extractor;
    private final TokenVerifier verifier;
    private final KeyRegistry keys;
    private final VerifiedTokenCache cache;
    private final ReplayGuard replay;
    private final ClientAddress clientAddress;
    private final Clock clock;
    private final StreamGateMetrics metrics;
    private final Executor executor;
    private final io.streamgate.filters.session.Sessions sessions;

    private Authorizer(Builder b) {
        this.sessions = b.sessions;
        this.extractor = new TokenExtractor(b.tokenSources);
        this.verifier = new TokenVerifier(b.policy, b.signatures);
        this.keys = b.keys;
        this.cache = b.shareCacheOf != null && b.shareCacheOf.policy().equals(b.policy)
                ? b.shareCacheOf.cache
                : new VerifiedTokenCache(b.cacheBytes, b.policy.leeway(), Duration.ofMinutes(5), b.clock);
        this.replay = b.replay;
        this.clientAddress = b.clientAddress;
        this.clock = b.clock;
        this.metrics = b.metrics;
        this.executor = b.executor;
    }

    public static Builder builder(KeyRegistry keys, SignatureVerifier signatures) {
        return new Builder(keys, signatures);
    }

    public TokenExtractor extractor() {
        return extractor;
    }

    public KeyRegistry keys() {
        return keys;
    }

    public ReplayGuard replay() {
        return replay;
    }

    /** Sessions and revocations, or null when this authorizer checks none. */
    public io.streamgate.filters.session.Sessions sessions() {
        return sessions;
    }

    /**
     * Checks only a token's signature against the configured keys (not its time, issuer or
     * rules): for a renewal's {@code previous}, which may have expired. Allowed with
     * {@link Admission#NONE}, or denied with the reason.
     */
    public Verdict verifySignature(ExtractedToken extracted) {
        VerifiedToken cached = cache.get(extracted.token());
        if (cached != null && keys.contains(cached.key())) {
            return Verdict.allow(cached, extracted);
        }
        DecodedToken decoded = verifier.decode(extracted.token());
        if (decoded.failure() != null) {
            return Verdict.deny(decoded.failure());
        }
        VerificationKey[] candidates = keys.find(decoded.kid(), decoded.algorithm());
        if (candidates.length == 0) {
            return Verdict.deny(unknownKey());
        }
        Verification v = verifier.verify(decoded, candidates);
        if (!v.ok()) {
            return Verdict.deny(v.failure());
        }
        // a verified signature is what the cache holds (each hit still checks time and rules):
        // a renewal checks its new token's signature first, then authorises it, once each
        cache.put(extracted.token(), v.token());
        return Verdict.allow(v.token(), extracted);
    }

    public ClientAddress clientAddress() {
        return clientAddress;
    }

    public VerifyPolicy policy() {
        return verifier.policy();
    }

    public StreamGateMetrics metrics() {
        return metrics;
    }

    /**
     * Whether a route's rules grant verified claims for a request (nothing else is checked,
     * nothing recorded): a renewal asks it for each session it would extend.
     */
    public boolean permits(RoutePolicy route, RequestView request, Claims claims) {
        return route.rules().isEmpty() || route.rules().test(claims, new RuleInput(request, route.pathPrefix(),
                clientAddress));
    }

    /** Decides one request on one route. The stage never completes exceptionally for bad input. */
    public CompletionStage<Verdict> authorize(RoutePolicy route, RequestView request) {
        StreamGateMetrics.RouteMeters meters = metrics.route(route.name());
        ExtractedToken extracted = extractor.extract(request);
        if (extracted == null) {
            return done(meters, Verdict.deny(DenialReason.MISSING_TOKEN));
        }
        return authorizeToken(route, request, extracted, meters, true);
    }

    /** Decides a request whose token was already extracted (e.g. by the CLI's verify). */
    public CompletionStage<Verdict> authorize(RoutePolicy route, RequestView request, ExtractedToken extracted) {
        return authorizeToken(route, request, extracted, metrics.route(route.name()), true);
    }

    /**
     * Decides a token that renews a session already open (a renewal): every check as usual,
     * one-time use consumed as usual, but under {@code replay.mode: limit} no session lease is
     * taken — the session renewed already holds one, and a renewal must neither be refused
     * by its own session nor evict it.
     */
    public CompletionStage<Verdict> authorizeRenewal(RoutePolicy route, RequestView request, ExtractedToken extracted) {
        return authorizeToken(route, request, extracted, metrics.route(route.name()),
                replay.mode() != io.streamgate.filters.replay.ReplayMode.LIMIT);
    }

    private CompletionStage<Verdict> authorizeToken(RoutePolicy route, RequestView request, ExtractedToken extracted,
                                                    StreamGateMetrics.RouteMeters meters, boolean admit) {
        long start = System.nanoTime();
        String token = extracted.token();
        VerifiedToken cached = cache.get(token);
        if (cached != null && keys.contains(cached.key())) {
            metrics.tokenCache(true);
            CompletionStage<Verdict> v = afterSignature(route, request, extracted, cached, meters, admit);
            metrics.verification(true).record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
            return v;
        }
        metrics.tokenCache(false);
        DecodedToken decoded = verifier.decode(token);
        if (decoded.failure() != null) {
            return done(meters, Verdict.deny(decoded.failure()));
        }
        VerificationKey[] candidates = keys.find(decoded.kid(), decoded.algorithm());
        if (candidates.length == 0) {
            CompletableFuture<Void> refetch = keys.refetchForUnknownKid();
            if (refetch == null) {
                return done(meters, Verdict.deny(unknownKey()));
            }
            // Composed, never awaited: no request thread waits on the identity provider.
            CompletableFuture<Object> fetched = refetch.handle((x, e) -> null);
            java.util.function.Function<Object, CompletionStage<Verdict>> resume = x -> {
                VerificationKey[] again = keys.find(decoded.kid(), decoded.algorithm());
                if (again.length == 0) {
                    return done(meters, Verdict.deny(unknownKey()));
                }
                return verified(route, request, extracted, decoded, again, meters, start, admit);
            };
            return fetched.isDone() ? fetched.thenCompose(resume) : fetched.thenComposeAsync(resume, executor);
        }
        return verified(route, request, extracted, decoded, candidates, meters, start, admit);
    }

    private DenialReason unknownKey() {
        return keys.anySourceFailing() ? DenialReason.KEY_SOURCE_UNAVAILABLE : DenialReason.UNKNOWN_KEY;
    }

    private CompletionStage<Verdict> verified(RoutePolicy route, RequestView request, ExtractedToken extracted,
                                              DecodedToken decoded, VerificationKey[] candidates,
                                              StreamGateMetrics.RouteMeters meters, long start, boolean admit) {
        Verification v = verifier.verify(decoded, candidates);
        if (!v.ok()) {
            return done(meters, Verdict.deny(v.failure()));
        }
        cache.put(extracted.token(), v.token());
        CompletionStage<Verdict> result = afterSignature(route, request, extracted, v.token(), meters, admit);
        metrics.verification(false).record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
        return result;
    }

    private CompletionStage<Verdict> afterSignature(RoutePolicy route, RequestView request, ExtractedToken extracted,
                                                    VerifiedToken token, StreamGateMetrics.RouteMeters meters, boolean admit) {
        long now = clock.millis();
        DenialReason r = verifier.checkClaims(token.claims(), now);
        if (r != null) {
            return done(meters, Verdict.deny(r));
        }
        if (!route.rules().isEmpty()) {
            RuleInput input = new RuleInput(request, route.pathPrefix(), clientAddress);
            if (!route.rules().test(token.claims(), input)) {
                if (LOG.isDebugEnabled()) {
                    // the rule's config path only: no claim or request value reaches a log
                    LOG.debug("forbidden on route {}: {} does not hold", route.name(),
                            route.rules().failingRule(token.claims(), input));
                }
                return done(meters, Verdict.deny(DenialReason.FORBIDDEN));
            }
        }
        if (sessions != null) {
            Claims c = token.claims();
            if (sessions.index().match(c.iss(), c.sub(), c.jti(), null, c.iat() == Claims.ABSENT ? -1 : c.iat(), now)
                    != null) {
                metrics.revocationApplied("request", false);
                return done(meters, Verdict.deny(DenialReason.REVOKED));
            }
        }
        if (!admit) {
            return done(meters, Verdict.allow(token, extracted));
        }
        // a HEAD delivers no body: verified as usual, it uses nothing (a used token is still refused)
        CompletableFuture<ReplayDecision> f = ("HEAD".equals(request.method()) ? replay.peek(token.claims())
                : replay.admit(token.claims(), now)).toCompletableFuture();
        if (f.isDone()) {
            return done(meters, verdict(f.join(), token, extracted));
        }
        CompletableFuture<Verdict> later = f.thenApplyAsync(d -> record(meters, verdict(d, token, extracted)), executor);
        // Should the executor refuse the continuation, nothing would ever settle the admission.
        later.whenComplete((v, e) -> {
            if (e != null) {
                f.thenAccept(d -> d.admission().release());
            }
        });
        return later;
    }

    private static Verdict verdict(ReplayDecision d, VerifiedToken token, ExtractedToken extracted) {
        return d.allowed() ? Verdict.allow(token, extracted, d.admission()) : Verdict.deny(d.denied());
    }

    private static CompletableFuture<Verdict> done(StreamGateMetrics.RouteMeters meters, Verdict v) {
        return CompletableFuture.completedFuture(record(meters, v));
    }

    private static Verdict record(StreamGateMetrics.RouteMeters meters, Verdict v) {
        if (v.allowed()) {
            meters.allowed();
        } else {
            meters.denied(v.reason());
        }
        return v;
    }

    @Override
    public void close() {
        keys.close();
        if (sessions != null) {
            sessions.close();
        }
        if (replay.store() != null) {
            replay.store().close();
        }
    }

    /** Assembles an authorizer; defaults follow the contract. */
    public static final class Builder {
        private final KeyRegistry keys;
        private final SignatureVerifier signatures;
        private VerifyPolicy policy = VerifyPolicy.defaults();
        private List<TokenSource> tokenSources = TokenExtractor.DEFAULT_SOURCES;
        private ReplayGuard replay = ReplayGuard.off();
        private ClientAddress clientAddress = ClientAddress.trustingNone();
        private Clock clock = Clock.systemUTC();
        private StreamGateMetrics metrics = StreamGateMetrics.noop();
        private long cacheBytes = VerifiedTokenCache.DEFAULT_MAX_BYTES;
        private Executor executor = Runnable::run;
        private Authorizer shareCacheOf;
        private io.streamgate.filters.session.Sessions sessions;

        private Builder(KeyRegistry keys, SignatureVerifier signatures) {
            this.keys = keys;
            this.signatures = signatures;
        }

        public Builder policy(VerifyPolicy v) {
            policy = v;
            return this;
        }

        public Builder tokenSources(List<TokenSource> v) {
            tokenSources = List.copyOf(v);
            return this;
        }

        public Builder replay(ReplayGuard v) {
            replay = v;
            return this;
        }

        public Builder clientAddress(ClientAddress v) {
            clientAddress = v;
            return this;
        }

        public Builder clock(Clock v) {
            clock = v;
            return this;
        }

        public Builder metrics(StreamGateMetrics v) {
            metrics = v;
            return this;
        }

        /** Budget for the verified-token cache's estimated retained bytes (default 64 MiB). */
        public Builder cacheBytes(long v) {
            cacheBytes = v;
            return this;
        }

        /**
         * Where a decision continues after an asynchronous step (a remote replay store answered,
         * a JWKS refetch finished), so that the rest of the request never runs on the store
         * client's or the HTTP client's thread. Default: the completing thread. A decision that
         * is complete at once never switches threads.
         */
        public Builder executor(Executor v) {
            executor = java.util.Objects.requireNonNull(v);
            return this;
        }

        /**
         * The authorizer this one replaces (a configuration reload): when both have the same
         * {@link VerifyPolicy}, they share one verified-token cache, so tokens verified with a
         * key the new one still holds (keys compare by value) skip the signature check again.
         * With another policy (algorithms, issuers...) the cache starts empty: a hit skips the
         * header checks too.
         */
        public Builder replacing(Authorizer previous) {
            shareCacheOf = previous;
            return this;
        }

        /** Sessions and revocations: a revoked token is refused ({@code revoked}) before its admission. */
        public Builder sessions(io.streamgate.filters.session.Sessions v) {
            sessions = v;
            return this;
        }

        public Authorizer build() {
            return new Authorizer(this);
        }
    }
}
