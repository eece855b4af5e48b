package io.streamgate.gateway.proxy;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.client.ContentSourceRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.streamgate.filters.core.DenialReason;
import io.streamgate.filters.replay.Admission;
import io.streamgate.gateway.edge.Answers;
import io.streamgate.gateway.edge.Exchange;
import io.streamgate.gateway.metrics.GatewayMetrics;

/**
 * The upstream leg of an {@code http} or {@code hls} route, on Jetty's {@link HttpClient}
 * and core API: one final class for every route type, what a route type adds given as
 * {@link Hooks} (the {@code hls} route's: playlist rewrite, session headers, a lease that
 * outlives the request). The four legs —
 * <ul>
 *   <li>client→proxy: the target ({@link UpstreamRequest#target}: canonical path, token
 *       parameters removed);</li>
 *   <li>proxy→server: headers ({@link UpstreamRequest#copyHeaders}, the claim headers,
 *       {@link Hooks#addHeaders});
 *       the body streamed as a {@link Content.Source};</li>
 *   <li>server→proxy: status and headers; the {@link Admission} is committed when the
 *       origin answered &lt; 500 and released otherwise; {@link Hooks#transform} may buffer a
 *       body (a playlist) up to a bound and rewrite it;</li>
 *   <li>proxy→client: chunks written with back-pressure (the next upstream chunk is
 *       demanded when the viewer took the previous one).</li>
 * </ul>
 * Failures map in one place ({@link UpstreamFailures}): upstream unreachable 502
 * {@code upstream_unavailable}, silent 504 {@code upstream_timeout}, queue full 503
 * {@code upstream_overloaded} with {@code Retry-After}, a broken request body 400.
 *
 * <p>Why not Jetty's {@code ProxyHandler}: it logs every request URI and header set at
 * DEBUG (the token with them), and its hooks leave no place to settle an admission or to
 * bound a rewrite; this class is what it does for a reverse proxy, in fewer hand-offs.
 */
public final class UpstreamProxy {
    private static final Logger LOG = LoggerFactory.getLogger(UpstreamProxy.class);

    /** Origin headers that do not describe a rewritten body. */
    public static final java.util.Set<HttpHeader> REWRITTEN_AWAY = java.util.Collections.unmodifiableSet(
            java.util.EnumSet.of(HttpHeader.CONTENT_LENGTH, HttpHeader.ETAG, HttpHeader.LAST_MODIFIED,
                    HttpHeader.CONTENT_MD5, HttpHeader.ACCEPT_RANGES, HttpHeader.CONTENT_RANGE));

    /** A whole-body rewrite of one response (a playlist), bounded by {@link #maxBytes()}. */
    public interface Transform {
        int maxBytes();

        byte[] apply(byte[] body, int length);

        /** The response headers of a rewritten answer, once the origin's are copied: e.g. its caching. */
        default void headers(HttpFields.Mutable response) {
        }
    }

    /** What a route type adds to the plain reverse proxy; every default is the plain proxy's. */
    public interface Hooks {
        /** The plain reverse proxy (an {@code http} route). */
        Hooks NONE = new Hooks() {
        };

        /** proxy→server: headers added after the viewer's and the claim headers. */
        default void addHeaders(Exchange ex, Request request, HttpFields.Mutable headers) {
        }

        /** server→proxy: a rewrite of this 200 answer of {@code contentType}, or null to stream it untouched. */
        default Transform transform(Exchange ex, Request request, String contentType) {
            return null;
        }

        /**
         * Whether the admission outlives this request: an HLS playlist that opened a session
         * whose lease rides in the credential. Otherwise a session lease ({@code replay.mode:
         * limit}) ends with the request.
         */
        default boolean keepsAdmission(Exchange ex) {
            return false;
        }

        /**
         * True when this request's body may be rewritten ({@link #transform}): a HEAD for it is
         * sent upstream as a GET so that the viewer's {@code Content-Length} is the rewritten one.
         */
        default boolean rewritesBody(Exchange ex) {
            return false;
        }
    }

    private final String routeName;
    private final HttpClient client;
    private final UpstreamRequest upstream;
    private final GatewayMetrics metrics;
    private final long idleTimeoutMillis;
    private final Hooks hooks;

    /** A plain reverse proxy (an {@code http} route). */
    public UpstreamProxy(String routeName, HttpClient client, UpstreamRequest upstream, GatewayMetrics metrics,
                         long idleTimeoutMillis) {
        this(routeName, client, upstream, metrics, idleTimeoutMillis, Hooks.NONE);
    }

    public UpstreamProxy(String routeName, HttpClient client, UpstreamRequest upstream, GatewayMetrics metrics,
                         long idleTimeoutMillis, Hooks hooks) {
        this.routeName = routeName;
        this.client = client;
        this.upstream = upstream;
        this.metrics = metrics;
        this.idleTimeoutMillis = idleTimeoutMillis;
        this.hooks = hooks;
    }

    /** Forwards an authorised request; completes {@code callback} when the viewer has the whole answer. */
    public void forward(Exchange ex, Request request, Response response, Callback callback) {
        Admission admission = ex.verdict() == null ? Admission.NONE : ex.verdict().admission();
        org.eclipse.jetty.client.Request up;
        try {
            boolean head = "HEAD".equals(request.getMethod());
            up = client.newRequest(upstream.target(ex.path(), request.getHttpURI().getQuery()))
                    .method(head && hooks.rewritesBody(ex) ? "GET" : request.getMethod())
                    .idleTimeout(idleTimeoutMillis, TimeUnit.MILLISECONDS);
        } catch (IllegalArgumentException e) {
            admission.release();
            Answers.deny(request, response, callback, DenialReason.MALFORMED_REQUEST, ex.requestId());
            return;
        }
        up.headers(h -> {
            h.clear();
            upstream.copyHeaders(request, h, false);
            if (ex.verdict() != null) {
                upstream.claimHeaders(ex.verdict().token().claims(), h);
            }
            hooks.addHeaders(ex, request, h);
        });
        if (hasContent(request)) {
            up.body(new ContentSourceRequestContent(request, request.getHeaders().get(HttpHeader.CONTENT_TYPE)));
        }
        up.send(new Leg(ex, request, response, callback, admission));
    }

    /** A response header of the origin's that the viewer gets, or null to drop it. */
    public static HttpField filterResponseField(HttpField f) {
        String lower = f.getLowerCaseName();
        if (UpstreamRequest.HOP_BY_HOP.contains(lower) || lower.startsWith("access-control-")
                || lower.equals("date") || lower.equals("server") || lower.equals("x-request-id")) {
            return null; // our CORS headers stand; the gateway's own Date and X-Request-Id are sent
        }
        return f;
    }

    private static boolean hasContent(Request request) {
        long length = request.getLength();
        return length > 0 || (length < 0 && request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING));
    }

    /** One upstream exchange: the server→proxy and proxy→client legs. */
    private final class Leg extends Callback.Completable implements org.eclipse.jetty.client.Response.Listener {
        private final Exchange ex;
        private final Request request;
        private final Response response;
        private final Callback callback;
        private final Admission admission;
        private Transform transform;
        private byte[] buffer;
        private int size;
        private boolean tooLarge;
        private int status;
        private boolean settled;

        Leg(Exchange ex, Request request, Response response, Callback callback, Admission admission) {
            this.ex = ex;
            this.request = request;
            this.response = response;
            this.callback = callback;
            this.admission = admission;
        }

        @Override
        public void onHeaders(org.eclipse.jetty.client.Response serverResponse) {
            status = serverResponse.getStatus();
            metrics.upstream(routeName, status, System.nanoTime() - ex.startNanos());
            response.setStatus(status);
            Transform t = status == 200
                    ? hooks.transform(ex, request, serverResponse.getHeaders().get(HttpHeader.CONTENT_TYPE)) : null;
            transform = t;
            HttpFields.Mutable out = response.getHeaders();
            for (HttpField f : serverResponse.getHeaders()) {
                HttpField kept = filterResponseField(f);
                if (kept == null || (t != null && REWRITTEN_AWAY.contains(kept.getHeader()))) {
                    continue; // a rewritten body has another length, and the origin's validators are not ours
                }
                out.add(kept);
            }
            if (transform != null) {
                transform.headers(out);
                long length = serverResponse.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
                if (length > transform.maxBytes()) {
                    tooLarge = true;
                    serverResponse.abort(new BodyTooLarge(transform.maxBytes()));
                    return;
                }
                buffer = new byte[(int) Math.max(1024, Math.min(length > 0 ? length : 8192, transform.maxBytes()))];
            }
        }

        @Override
        public void onContent(org.eclipse.jetty.client.Response serverResponse, Content.Chunk chunk, Runnable demander) {
            ByteBuffer bytes = chunk.getByteBuffer();
            if (transform != null) {
                int n = bytes.remaining();
                if (size + n > transform.maxBytes()) {
                    tooLarge = true;
                    serverResponse.abort(new BodyTooLarge(transform.maxBytes()));
                    return;
                }
                if (size + n > buffer.length) {
                    buffer = Arrays.copyOf(buffer, Math.min(transform.maxBytes(), Math.max(buffer.length * 2, size + n)));
                }
                bytes.get(buffer, size, n);
                size += n;
                demander.run();
                return;
            }
            chunk.retain();
            response.write(false, bytes, new Callback() {
                @Override
                public void succeeded() {
                    chunk.release();
                    settle(); // the viewer has the origin's answer under way
                    demander.run();
                }

                @Override
                public void failed(Throwable x) {
                    chunk.release();
                    serverResponse.abort(x); // the viewer is gone: stop reading the origin
                }

                @Override
                public InvocationType getInvocationType() {
                    return InvocationType.NON_BLOCKING;
                }
            });
        }

        @Override
        public void onSuccess(org.eclipse.jetty.client.Response serverResponse) {
            if (transform != null) {
                byte[] out;
                try {
                    out = transform.apply(buffer, size);
                } catch (RuntimeException e) {
                    LOG.error("route {}: playlist rewrite failed (request {})", routeName, ex.requestId(), e);
                    admission.release();
                    settled = true;
                    Answers.serverError(request, response, this, ex.requestId());
                    return;
                }
                response.getHeaders().put(HttpHeader.CONTENT_LENGTH, out.length);
                settle();
                // a HEAD was fetched as a GET to learn the rewritten length; it gets no body
                response.write(true, "HEAD".equals(request.getMethod()) ? null : ByteBuffer.wrap(out), this);
            } else {
                settle();
                response.write(true, BufferUtil.EMPTY_BUFFER, this);
            }
        }

        /**
         * The origin's answer is going to the viewer: commit the admission when the origin
         * accepted (status &lt; 500), release it otherwise. Not before: an answer the gateway
         * replaces with its own 5xx (an oversized playlist, an origin failing before the
         * first byte) consumes nothing.
         */
        private void settle() {
            if (!settled) {
                settled = true;
                if (accepts(admission, status)) {
                    admission.commit();
                } else {
                    admission.release();
                }
                if (status / 100 == 2) {
                    ex.accepted();
                }
            }
        }

        @Override
        public void onComplete(Result result) {
            if (result.isSucceeded()) {
                whenComplete((r, failure) -> {
                    end();
                    if (failure == null) {
                        callback.succeeded();
                    } else {
                        callback.failed(failure);
                    }
                });
                return;
            }
            if (!settled) {
                settled = true;
                admission.release(); // the viewer gets the gateway's own answer: nothing consumed
            }
            end();
            if (response.isCommitted()) {
                callback.failed(result.getFailure()); // mid-body: abort the viewer's response
                return;
            }
            DenialReason reason;
            if (tooLarge) {
                LOG.warn("route {}: playlist larger than hls.maxPlaylistBytes ({} bytes): answered 502", routeName,
                        transform == null ? 0 : transform.maxBytes());
                reason = DenialReason.UPSTREAM_UNAVAILABLE;
            } else {
                reason = UpstreamFailures.of(result);
                // the viewer's own broken or too slow body is not an upstream failure
                if (reason != DenialReason.MALFORMED_REQUEST
                        && (result.getResponse() == null || result.getResponse().getStatus() == 0)) {
                    metrics.upstream(routeName, 0, System.nanoTime() - ex.startNanos());
                }
                if (LOG.isDebugEnabled()) {
                    LOG.debug("route {}: upstream failed ({}), request {}", routeName,
                            result.getFailure().getClass().getSimpleName(), ex.requestId());
                }
            }
            response.reset(); // none of the origin's headers on our answer
            Answers.cors(request, response);
            Answers.deny(request, response, callback, reason, ex.requestId());
        }

        private void end() {
            if (!hooks.keepsAdmission(ex) || status / 100 != 2) {
                // ends a request-long session lease, and any lease of an answer that opened no
                // session (404, 304, 5xx); no-op for a committed one-time use
                admission.release();
            }
        }
    }

    /**
     * Whether the origin's answer settles an admission as accepted: a one-time use is consumed
     * by any answer below 500 (the origin saw the token); a session lease opens a session only
     * on a 2xx (a 404 or 304 plays nothing, and must displace nobody under {@code evict-oldest}).
     */
    public static boolean accepts(Admission admission, int status) {
        return admission.leaseId() != null ? status / 100 == 2 : status < 500;
    }

    /** An answer to be rewritten is larger than its {@link Transform#maxBytes()} ({@code hls.maxPlaylistBytes}). */
    public static final class BodyTooLarge extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public BodyTooLarge(int max) {
            super("playlist larger than hls.maxPlaylistBytes (" + max + " bytes)", null, false, false);
        }
    }
}
