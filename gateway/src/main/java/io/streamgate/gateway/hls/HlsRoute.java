package io.streamgate.gateway.hls;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import io.streamgate.filters.core.DenialReason;
import io.streamgate.filters.core.QueryString;
import io.streamgate.filters.metrics.StreamGateMetrics;
import io.streamgate.filters.replay.ReplayGuard;
import io.streamgate.filters.replay.ReplayMode;
import io.streamgate.filters.session.SessionState;
import io.streamgate.filters.verify.Claims;
import io.streamgate.gateway.config.GatewayConfig;
import io.streamgate.gateway.dash.MpdRewriter;
import io.streamgate.gateway.edge.Answers;
import io.streamgate.gateway.edge.Authorization;
import io.streamgate.gateway.edge.Exchange;
import io.streamgate.gateway.edge.RouteHandler;
import io.streamgate.gateway.metrics.GatewayMetrics;
import io.streamgate.gateway.proxy.UpstreamProxy;
import io.streamgate.gateway.proxy.UpstreamRequest;
import io.streamgate.gateway.session.SessionCredentials;

/**
 * An {@code hls} route. A request carrying a valid session credential ({@code sg_session})
 * is admitted on an HMAC check alone — no signature verification, no replay check, since
 * the token's use was counted when it opened the session; an invalid credential is refused
 * with its reason unless the request also carries a token, which then decides as usual.
 * Playlists are rewritten (a bounded whole-body transform around the pure
 * {@link PlaylistRewriter}; MPEG-DASH manifests around {@link MpdRewriter}) so that child playlists, segments, keys and the rest carry a
 * credential: issued from the token that opened the playlist, renewed (sliding) on every
 * playlist a session fetches. The credential never reaches the origin; segments stream.
 *
 * <p>Composed of the route's {@link UpstreamProxy} (with {@link PlaylistHooks}: rewrite, session
 * headers, a session lease that outlives the playlist request), the {@link PlaylistShield}
 * (one upstream fetch for every viewer asking for a playlist at once) and the rewriters.
 */
public final class HlsRoute implements RouteHandler {
    private final GatewayConfig.Route route;
    private final HttpClient client;
    private final UpstreamRequest upstream;
    private final GatewayMetrics metrics;
    private final long idleTimeoutMillis;
    private final UpstreamProxy proxy;
    private final Authorization authorization;
    private final SessionCredentials credentials;
    private final int maxPlaylistBytes;
    private final ReplayGuard replay;
    private final StreamGateMetrics.RouteMeters decisions;
    private final PlaylistShield shield;
    private final GatewayMetrics.RouteMeters meters;
    private final io.streamgate.filters.session.Sessions sessions;
    /** Sessions that fetched a playlist within the session TTL: the live HLS sessions gauge (process-long, per route). */
    private final com.github.benmanes.caffeine.cache.Cache<String, Boolean> live;
    /**
     * Leased sessions whose lease this replica renewed within a third of the lease period: a
     * segment of one of them costs no store call; the first after that renews the lease (the
     * heartbeat rides on segment traffic too, so a segment-only viewer keeps its place, and
     * one that lost it learns so at its next request).
     */
    private final com.github.benmanes.caffeine.cache.Cache<String, Boolean> beats;

    /**
     * @param authorization null on an {@code auth: none} route
     * @param shield        the route's origin shield, or null when off
     */
    public HlsRoute(GatewayConfig.Route route, HttpClient client, UpstreamRequest upstream, GatewayMetrics metrics,
                    Authorization authorization, SessionCredentials credentials, int maxPlaylistBytes,
                    ReplayGuard replay, StreamGateMetrics decisions, long idleTimeoutMillis, PlaylistShield shield) {
        this.route = route;
        this.client = client;
        this.upstream = upstream;
        this.metrics = metrics;
        this.idleTimeoutMillis = idleTimeoutMillis;
        this.proxy = new UpstreamProxy(route.name(), client, upstream, metrics, idleTimeoutMillis, hooks);
        this.authorization = authorization;
        this.credentials = credentials;
        this.maxPlaylistBytes = maxPlaylistBytes;
        this.replay = replay;
        this.decisions = decisions.route(route.name());
        this.shield = shield;
        this.meters = metrics.route(route.name());
        this.sessions = authorization == null ? null : authorization.authorizer().sessions();
        this.live = meters.liveHls(credentials.ttl());
        this.beats = com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumSize(500_000)
                .expireAfterWrite(java.time.Duration.ofMillis(Math.max(100, replay.lease().toMillis() / 3)))
                .ticker(() -> java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(credentials.nowMillis()))
                .executor(Runnable::run).build();
    }

    /**
     * Playlists go through the origin shield (one upstream request for all viewers asking at
     * once); everything else, and every playlist when the shield is off, is proxied as is.
     */
    private void forward(Exchange ex, Request request, Response response, Callback callback) {
        String method = request.getMethod();
        if (shield == null || !("GET".equals(method) || "HEAD".equals(method)) || !isPlaylistPath(ex.path())
                || upstream.isPersonal(request)) {
            proxy.forward(ex, request, response, callback);
            return;
        }
        String target = upstream.target(ex.path(), request.getHttpURI().getQuery());
        // viewers share a fetch only when the origin would see the same request from each: the
        // same view of the gateway, and the same values of the headers its answer varied by
        String key = target + '\n' + upstream.forwardedView(request);
        java.util.List<String> varies = shield.varies(target);
        if (!varies.isEmpty()) {
            HttpFields sent = shieldHeaders(ex, request);
            StringBuilder k = new StringBuilder(key);
            for (String name : varies) {
                k.append('\n').append(name).append(':').append(sent.getValuesList(name));
            }
            key = k.toString();
        }
        PlaylistShield.Lookup lookup = shield.get(key, () -> fetch(ex, request, target));
        meters.shield(lookup.outcome().ordinal());
        boolean initiator = lookup.outcome() == PlaylistShield.Outcome.FETCHED;
        java.util.concurrent.CompletableFuture<PlaylistShield.Fetched> f = lookup.fetch();
        if (f.isDone()) {
            answer(ex, request, response, callback, f, initiator);
        } else {
            f.whenComplete((x, e) -> request.getComponents().getExecutor().execute(() ->
                    answer(ex, request, response, callback, f, initiator)));
        }
    }

    private static final HttpHeader[] CONDITIONAL = {HttpHeader.IF_NONE_MATCH, HttpHeader.IF_MODIFIED_SINCE,
        HttpHeader.IF_MATCH, HttpHeader.IF_UNMODIFIED_SINCE, HttpHeader.IF_RANGE, HttpHeader.RANGE};

    /**
     * The headers the shield's upstream request carries for this viewer: its own (stripped), the
     * claim and session headers, and no conditional one (one answer for everybody, not the first
     * viewer's 304). Also what a viewer who joined a fetch is compared by when the answer varies.
     */
    private HttpFields shieldHeaders(Exchange ex, Request request) {
        HttpFields.Mutable h = HttpFields.build();
        upstream.copyHeaders(request, h, false);
        if (ex.verdict() != null) {
            upstream.claimHeaders(ex.verdict().token().claims(), h);
        }
        hooks.addHeaders(ex, request, h);
        for (HttpHeader c : CONDITIONAL) {
            h.remove(c);
        }
        return h;
    }

    /** The one upstream request for a playlist, sent with the first viewer's (stripped) headers. */
    private java.util.concurrent.CompletableFuture<PlaylistShield.Fetched> fetch(Exchange ex, Request request,
                                                                                 String target) {
        long start = System.nanoTime();
        org.eclipse.jetty.client.Request up = client.newRequest(target).method("GET")
                .idleTimeout(idleTimeoutMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
        HttpFields sent = shieldHeaders(ex, request);
        up.headers(h -> {
            h.clear();
            h.add(sent);
        });
        // the size cap, ours to detect: the answer is refused by its Content-Length, or once its
        // body passes the cap (chunked); the buffer behind it allows twice the cap, so it never
        // refuses first (and never holds more than that)
        long[] received = {0};
        up.onResponseHeaders(r -> {
            if (r.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH) > maxPlaylistBytes) {
                r.abort(new UpstreamProxy.BodyTooLarge(maxPlaylistBytes));
            }
        }).onResponseContent((r, chunk) -> {
            received[0] += chunk.remaining();
            if (received[0] > maxPlaylistBytes) {
                r.abort(new UpstreamProxy.BodyTooLarge(maxPlaylistBytes));
            }
        });
        int buffer = (int) Math.min(Integer.MAX_VALUE - 8, 2L * maxPlaylistBytes + 1);
        return new org.eclipse.jetty.client.CompletableResponseListener(up, buffer).send()
                .handle((r, failure) -> {
                    meters.upstream(r == null ? 0 : r.getStatus(), System.nanoTime() - start);
                    if (failure != null) {
                        throw failure instanceof java.util.concurrent.CompletionException c ? c
                                : new java.util.concurrent.CompletionException(failure);
                    }
                    shield.answered(target, r.getHeaders());
                    return PlaylistShield.fetched(r, sent);
                });
    }

    private void answer(Exchange ex, Request request, Response response, Callback callback,
                        java.util.concurrent.CompletableFuture<PlaylistShield.Fetched> f, boolean initiator) {
        io.streamgate.filters.replay.Admission admission = ex.verdict() == null
                ? io.streamgate.filters.replay.Admission.NONE : ex.verdict().admission();
        PlaylistShield.Fetched fetched;
        try {
            fetched = f.join();
        } catch (RuntimeException e) {
            admission.release();
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            DenialReason reason = io.streamgate.gateway.proxy.UpstreamFailures.of(cause);
            if (cause instanceof UpstreamProxy.BodyTooLarge) {
                org.slf4j.LoggerFactory.getLogger(HlsRoute.class).warn(
                        "route {}: playlist larger than hls.maxPlaylistBytes ({} bytes): answered 502", route.name(),
                        maxPlaylistBytes);
                reason = DenialReason.UPSTREAM_UNAVAILABLE;
            }
            Answers.deny(request, response, callback, reason, ex.requestId());
            return;
        }
        if (!initiator && !fetched.sharedWith(() -> shieldHeaders(ex, request))) {
            // the origin marked it private, or it varies by a header this viewer's request differs
            // in (Vary): whoever joined gets a fetch of its own
            proxy.forward(ex, request, response, callback);
            return;
        }
        UpstreamProxy.Transform t = fetched.status() == 200
                ? hooks.transform(ex, request, fetched.headers().get(HttpHeader.CONTENT_TYPE))
                : null;
        byte[] body = fetched.body();
        if (t != null) {
            try {
                body = t.apply(body, body.length);
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(HlsRoute.class).error("route {}: playlist rewrite failed (request {})",
                        route.name(), ex.requestId(), e);
                admission.release();
                Answers.serverError(request, response, callback, ex.requestId());
                return;
            }
        }
        if (UpstreamProxy.accepts(admission, fetched.status())) {
            admission.commit();
        } else {
            admission.release();
        }
        if (fetched.status() / 100 == 2) {
            ex.accepted();
        }
        response.setStatus(fetched.status());
        HttpFields.Mutable out = response.getHeaders();
        for (org.eclipse.jetty.http.HttpField h : fetched.headers()) {
            org.eclipse.jetty.http.HttpField kept = UpstreamProxy.filterResponseField(h);
            if (kept != null && kept.getHeader() != HttpHeader.CONTENT_LENGTH
                    && (t == null || !UpstreamProxy.REWRITTEN_AWAY.contains(kept.getHeader()))
                    && (initiator || PlaylistShield.sharedHeader(kept))) {
                out.add(kept);
            }
        }
        if (t != null) {
            t.headers(out);
        }
        out.put(HttpHeader.CONTENT_LENGTH, body.length);
        if (!hooks.keepsAdmission(ex) || fetched.status() / 100 != 2) {
            // a request-long lease ends here, and so does the lease of an answer that opened no
            // session (404, 304, 5xx); no-op for a committed one-time use
            admission.release();
        }
        // a HEAD is answered from the same fetch (the origin sees a GET either way), without the body
        response.write(true, "HEAD".equals(request.getMethod()) ? org.eclipse.jetty.util.BufferUtil.EMPTY_BUFFER
                : java.nio.ByteBuffer.wrap(body), callback);
    }

    @Override
    public void handle(Exchange ex, Request request, Response response, Callback callback) {
        if (authorization == null) {
            forward(ex, request, response, callback);
            return;
        }
        String credential = QueryString.first(request.getHttpURI().getQuery(), SessionCredentials.PARAM);
        if (credential == null) {
            authorization.authorize(ex, request, response, callback, this::forward);
            return;
        }
        SessionCredentials.Check check = credentials.check(credential, route.name(), ex.path());
        if (check.session() != null) {
            ex.belongsTo(check.session().sid(), check.session().sub()); // sid on the access line
        }
        if (check.capReached() && sessions != null) {
            // Past the cap it was issued with: admitted if a renewal (at any replica) moved the cap.
            SessionCredentials.Session lapsed = check.session();
            sessions.current(lapsed.sid()).whenComplete((rec, e) ->
                    request.getComponents().getExecutor().execute(() -> {
                        if (e != null) {
                            // the store cannot say whether it was renewed: onStoreError decides
                            DenialReason r = replay.storeError(e);
                            if (r != null) {
                                refuse(ex, request, response, callback, r);
                            } else {
                                checked(ex, lapsed, request, response, callback);
                            }
                        } else if (rec != null && rec.state() != SessionState.OPEN) {
                            refuse(ex, request, response, callback, rec.state().denial());
                        } else if (rec != null && rec.cap() * 1000 > credentials.nowMillis()) {
                            checked(ex, lapsed.withCap(rec.cap()), request, response, callback);
                        } else {
                            refuse(ex, request, response, callback, DenialReason.EXPIRED);
                        }
                    }));
            return;
        }
        if (check.failure() != null) {
            if (authorization.authorizer().extractor().extract(ex.view()) != null) {
                metrics.hlsSession(route.name(), "rejected");
                authorization.authorize(ex, request, response, callback, this::forward); // the token decides
                return;
            }
            refuse(ex, request, response, callback, check.failure());
            return;
        }
        checked(ex, check.session(), request, response, callback);
    }

    private void refuse(Exchange ex, Request request, Response response, Callback callback, DenialReason r) {
        metrics.hlsSession(route.name(), "rejected");
        Answers.deny(request, response, callback, r, ex.requestId()); // counted in decisions where it finishes (AccessRecord)
    }

    /**
     * A credential that opened: its session not ended nor revoked (local lookups), its binding,
     * then under {@code replay.mode: limit} its lease — renewed by every playlist and, at most
     * once per third of the lease period, by a segment.
     */
    private void checked(Exchange ex, SessionCredentials.Session s, Request request, Response response,
                         Callback callback) {
        if (sessions != null) {
            DenialReason r = io.streamgate.filters.session.SessionState.denialOf(sessions.refusal(s.sid(), s.iss(), s.sub(), s.jti(), s.iat()));
            if (r != null) {
                authorization.authorizer().metrics().revocationApplied("hls", r != DenialReason.REVOKED);
                refuse(ex, request, response, callback, r);
                return;
            }
        }
        if (!s.binding().isEmpty() && !s.binding().equals(binding(ex))) {
            // opened under a rule reading {client.ip} / {origin.host}: the credential stays with those values
            refuse(ex, request, response, callback, DenialReason.FORBIDDEN);
            return;
        }
        boolean playlist = isPlaylistPath(ex.path());
        if (playlist) {
            live.put(s.sid(), Boolean.TRUE);
        }
        if (s.leased() && replay.mode() == ReplayMode.LIMIT && (playlist || beats.getIfPresent(s.sid()) == null)) {
            long cap = s.tokenExpiresAt() == Long.MAX_VALUE ? Claims.ABSENT : s.tokenExpiresAt();
            replay.renewLease(s.limitKey(), cap, s.sid()).whenComplete((lost, e) ->
                    request.getComponents().getExecutor().execute(() -> {
                        if (lost == DenialReason.SESSION_LIMIT && sessions != null) {
                            sessions.evict(s.sid()); // its place went to another session: ended on every replica
                        }
                        if (lost != null || e != null) {
                            DenialReason r = lost != null ? lost : replay.storeError(e);
                            if (r != null) {
                                refuse(ex, request, response, callback, r);
                                return;
                            }
                        } else {
                            beats.put(s.sid(), Boolean.TRUE);
                        }
                        admit(ex, s, request, response, callback);
                    }));
            return;
        }
        admit(ex, s, request, response, callback);
    }

    private void admit(Exchange ex, SessionCredentials.Session s, Request request, Response response, Callback callback) {
        metrics.hlsSession(route.name(), "accepted");
        decisions.allowed();
        ex.session(s);
        forward(ex, request, response, callback);
    }

    /** What a playlist route adds to the plain proxy: see {@link UpstreamProxy.Hooks}. */
    private final class PlaylistHooks implements UpstreamProxy.Hooks {
        @Override
        public void addHeaders(Exchange ex, Request request, HttpFields.Mutable headers) {
            headers.remove(HttpHeader.ACCEPT_ENCODING); // playlists are rewritten as text: ask for them uncompressed
            SessionCredentials.Session s = ex.session();
            if (s != null) {
                // A session request: only the token's sub and jti are known.
                upstream.claimHeaderNames().forEach((claim, header) -> {
                    String v = "sub".equals(claim) ? s.sub() : "jti".equals(claim) ? s.jti() : null;
                    if (v != null && !v.isEmpty()) {
                        upstream.claimHeader(header, v, headers);
                    }
                });
            }
        }

        @Override
        public boolean rewritesBody(Exchange ex) {
            return isPlaylistPath(ex.path());
        }

        @Override
        public boolean keepsAdmission(Exchange ex) {
            // Under limit, a token opening a playlist starts a viewer session: its lease rides in
            // the credential and playlist reloads renew it; it lapses by itself when they stop.
            return ex.verdict() != null && ex.verdict().admission().leaseId() != null && isPlaylistPath(ex.path());
        }

        @Override
        public UpstreamProxy.Transform transform(Exchange ex, Request request, String contentType) {
            return playlistTransform(ex, request, contentType);
        }
    }

    private final PlaylistHooks hooks = new PlaylistHooks();

    private UpstreamProxy.Transform playlistTransform(Exchange ex, Request request, String contentType) {
        if (!isPlaylist(ex.path(), contentType)) {
            return null;
        }
        String credential = credentialFor(ex, "HEAD".equals(request.getMethod()));
        if (credential == null) {
            return null;
        }
        String param = SessionCredentials.PARAM + "=" + credential;
        String host = request.getHeaders().get(HttpHeader.HOST);
        String path = ex.path();
        // an MPEG-DASH manifest: the same credential, its own rewriter (an added Location keeps the query)
        boolean mpd = MpdRewriter.isManifest(path, contentType);
        String mpdQuery = mpd ? upstream.stripQuery(request.getHttpURI().getQuery()) : null;
        return new UpstreamProxy.Transform() {
            @Override
            public int maxBytes() {
                return maxPlaylistBytes;
            }

            @Override
            public void headers(HttpFields.Mutable response) {
                privateCaching(response);
            }

            @Override
            public byte[] apply(byte[] body, int length) {
                if (mpd) {
                    return mpd(body, length, path, mpdQuery, host, param);
                }
                String text = new String(body, 0, length, StandardCharsets.UTF_8);
                PlaylistRewriter.Result r = PlaylistRewriter.rewrite(text, path, host, route.path(), param);
                metrics.hlsRewrite(route.name());
                return r.playlist().getBytes(StandardCharsets.UTF_8);
            }
        };
    }

    private byte[] mpd(byte[] body, int length, String path, String query, String host, String param) {
        MpdRewriter.Bytes r = MpdRewriter.rewrite(body, length, path, query, host, route.path(), param);
        metrics.hlsRewrite(route.name());
        if (r.outcome() != MpdRewriter.Outcome.REWRITTEN) {
            org.slf4j.LoggerFactory.getLogger(HlsRoute.class).warn(
                    "route {}: DASH manifest passed on without credentials ({})", route.name(), r.outcome());
        }
        return r.body();
    }

    /** Caching headers aimed at shared caches (CDNs) alone, which a rewritten answer must not keep. */
    private static final String[] SHARED_CACHE_CONTROLS = {"Surrogate-Control", "CDN-Cache-Control",
        "Cloudflare-CDN-Cache-Control", "Edge-Control"};

    /**
     * A rewritten playlist or manifest carries its viewer's credential in its body: no shared
     * cache (a CDN in front of the gateway) may store it and hand it to another viewer. Its
     * {@code Cache-Control} becomes {@code private} with the origin's other directives
     * ({@code max-age}, {@code no-store}, {@code no-cache}...), without {@code public},
     * {@code s-maxage}, {@code proxy-revalidate} and any {@code private} of the origin's own; the
     * CDN-only controls ({@code Surrogate-Control}, {@code CDN-Cache-Control}...) are dropped, as
     * they override {@code Cache-Control} at the CDNs that read them. The origin's validators
     * ({@code ETag}, {@code Last-Modified}) are gone already: they describe another body
     * ({@link UpstreamProxy#REWRITTEN_AWAY}), so no revalidation can answer one viewer's copy
     * for another.
     */
    static void privateCaching(HttpFields.Mutable h) {
        StringBuilder cc = new StringBuilder("private");
        for (String directive : h.getCSV(HttpHeader.CACHE_CONTROL, false)) {
            String d = directive.trim();
            String lower = d.toLowerCase(Locale.ROOT);
            if (d.isEmpty() || lower.equals("public") || lower.equals("private") || lower.startsWith("private=")
                    || lower.startsWith("s-maxage") || lower.equals("proxy-revalidate")) {
                continue;
            }
            cc.append(", ").append(d);
        }
        h.put(HttpHeader.CACHE_CONTROL, cc.toString());
        for (String name : SHARED_CACHE_CONTROLS) {
            h.remove(name);
        }
    }

    /**
     * A credential for this response's session: a new one for a token, a renewed one for a
     * session. A {@code HEAD} (fetched upstream as a GET for the rewritten length) gets one that
     * opens nothing: no session recorded, none counted live or issued, and it never leaves the
     * gateway, as a HEAD answer has no body.
     */
    private String credentialFor(Exchange ex, boolean head) {
        if (ex.verdict() != null) {
            Claims c = ex.verdict().token().claims();
            String prefix = SessionCredentials.prefixFor(route.path(), ex.path());
            io.streamgate.filters.replay.Admission admission = ex.verdict().admission();
            String lease = admission.leaseId();
            if (lease == null && replay.mode() == ReplayMode.LIMIT && !head) {
                return null; // under limit, no session without a lease: the children must carry the token
            }
            String sid = lease != null ? lease : sessions.newSid();
            long now = credentials.nowMillis() / 1000;
            long cap = c.exp() == Claims.ABSENT ? Long.MAX_VALUE : c.exp();
            long iat = c.iat() == Claims.ABSENT ? -1 : c.iat();
            if (head) {
                return credentials.issue(route.name(), prefix, c.iss(), c.sub(), c.jti(), sid, iat, cap, "", "");
            }
            metrics.hlsSession(route.name(), "issued");
            String tokenKey = replay.tokenKey(c);
            io.streamgate.filters.session.SessionRecord opened = io.streamgate.filters.session.SessionRecord.opened(sid,
                    "hls", route.name(), prefix, c.iss(), c.sub(), c.jti(), sessions.cap(c.exp(), now), now, iat);
            // the session opens only if this answer goes out 2xx: then it is live and recorded
            ex.whenAccepted(() -> {
                ex.belongsTo(sid, c.sub());
                live.put(sid, Boolean.TRUE);
                sessions.opened(opened, tokenKey);
            });
            return credentials.issue(route.name(), prefix, c.iss(), c.sub(), c.jti(), sid, iat, cap,
                    lease == null ? "" : admission.limitKey(), route.rules().readsClientBinding() ? binding(ex) : "");
        }
        SessionCredentials.Session s = ex.session();
        return s == null ? null : credentials.renew(s);
    }

    /** The request values a bound session keeps: the client address and the origin host its rules read. */
    private String binding(Exchange ex) {
        String ip = authorization.authorizer().clientAddress().resolve(ex.view());
        String origin = io.streamgate.filters.rules.RuleInput.originHost(ex.view());
        return (ip == null ? "" : ip) + " " + (origin == null ? "" : origin);
    }

    /**
     * One playlist test for the shield, leases and renewals: the canonical path ends in .m3u8,
     * or .mpd (an MPEG-DASH manifest, shielded, rewritten and reloaded like a playlist), any case.
     */
    static boolean isPlaylistPath(String path) {
        String p = path.toLowerCase(Locale.ROOT);
        return p.endsWith(".m3u8") || p.endsWith(".mpd");
    }

    static boolean isPlaylist(String path, String contentType) {
        if (contentType != null) {
            String t = contentType.toLowerCase(Locale.ROOT);
            if (t.startsWith("application/vnd.apple.mpegurl") || t.startsWith("application/x-mpegurl")
                    || t.startsWith("audio/mpegurl") || t.startsWith("audio/x-mpegurl")
                    || t.startsWith(MpdRewriter.CONTENT_TYPE)) {
                return true;
            }
        }
        return isPlaylistPath(path);
    }
}
