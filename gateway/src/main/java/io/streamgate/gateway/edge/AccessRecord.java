package io.streamgate.gateway.edge;

import java.util.List;
import java.util.Locale;

import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import io.streamgate.filters.core.ClientAddress;
import io.streamgate.filters.core.DenialReason;
import io.streamgate.filters.core.QueryString;
import io.streamgate.filters.metrics.StreamGateMetrics;
import io.streamgate.gateway.logging.AccessLog;
import io.streamgate.gateway.logging.Redactor;

/**
 * One public request from the edge to its end: the request the route handlers see (a
 * {@link Request.Wrapper}, so that {@link Answers#deny} finds it with
 * {@link Request#as(Request, Class)} and records the denial reason) and the callback they
 * complete — the one place where every request finishes, whichever route, denial or relay
 * answered it. There it counts a denial in {@code streamgate_decisions_total} (unless the
 * {@code Authorizer} counted it already), writes the access line (when enabled) and the
 * rate-limited denial line, then completes Jetty's callback.
 *
 * <p>What one request carries for its lines, decided once here: its id (the
 * {@code X-Request-Id} of its answer, whatever answered it, and {@code requestId} on its
 * lines), its W3C {@code traceparent} (see {@link TraceContext}), the session it belongs to
 * ({@code sid}) and the token's {@code sub} when known. The gateway's own warm-up requests
 * are {@link #quiet()}: no line, no count.
 *
 * <p>One object per request; the line's fields are computed only when a line is written.
 */
public final class AccessRecord extends Request.Wrapper implements Callback {
    /** The header naming a request, on every answer. */
    public static final String REQUEST_ID = "X-Request-Id";

    /**
     * What an edge needs to write lines and count denials: the log, the query parameters that
     * are credentials (compared in lower case, decoded), the client rule, the decision meters.
     */
    public record Settings(AccessLog log, List<String> credentialParams, ClientAddress clientAddress,
                           StreamGateMetrics decisions) {
        public Settings {
            credentialParams = credentialParams.stream().map(n -> n.toLowerCase(Locale.ROOT)).distinct().toList();
        }
    }

    private final Response response;
    private final Callback callback;
    private final Settings settings;
    private final long startNanos = System.nanoTime();
    private final String requestId = io.streamgate.filters.http.Denial.newRequestId();
    private RouteEntry route;
    private String path; // canonical, or null when the request's path was malformed
    private DenialReason reason;
    private boolean serverError;
    private boolean decisionCounted;
    private boolean quiet;
    private String traceparent;
    private boolean traceContinued;
    private String sid;
    private String sub;

    AccessRecord(Request request, Response response, Callback callback, Settings settings) {
        super(request);
        this.response = response;
        this.callback = callback;
        this.settings = settings;
    }

    /** The record wrapped around {@code request}, or null (a request that did not come through the edge). */
    public static AccessRecord of(Request request) {
        return Request.as(request, AccessRecord.class);
    }

    /** This request's id: its answer's {@code X-Request-Id} and its lines' {@code requestId}. */
    public String requestId() {
        return requestId;
    }

    /**
     * The {@code traceparent} the origin receives: the viewer's when valid, else a new one;
     * decided on first use, the same for every upstream request this request makes.
     */
    public String traceparent() {
        if (traceparent == null) {
            String viewers = TraceContext.accept(getHeaders());
            traceContinued = viewers != null;
            traceparent = traceContinued ? viewers : TraceContext.make();
        }
        return traceparent;
    }

    /** True when {@link #traceparent()} is the viewer's own (its {@code tracestate} goes along). */
    boolean traceContinued() {
        return traceContinued;
    }

    /**
     * The request belongs to a known session (an HLS session credential, a session a token
     * opened, a relayed WebSocket session): {@code sid} on its access line, {@code sub} on its
     * denial line. Nulls leave what is known.
     */
    public void session(String sid, String sub) {
        if (sid != null) {
            this.sid = sid;
        }
        subject(sub);
    }

    /** The verified token's subject: named on a denial line (an upstream failure after the decision). */
    void subject(String sub) {
        if (sub != null) {
            this.sub = sub;
        }
    }

    /** The denial about to be answered was counted in {@code streamgate_decisions_total} by the decision itself. */
    public void decisionCounted() {
        this.decisionCounted = true;
    }

    /** The gateway's own request (warm-up): no access line, no denial line, not counted. */
    void quiet() {
        this.quiet = true;
    }

    long startNanos() {
        return startNanos;
    }

    void route(RouteEntry r) {
        this.route = r;
    }

    void path(String canonical) {
        this.path = canonical;
    }

    void denied(DenialReason r) {
        this.reason = r;
    }

    void serverError() {
        this.serverError = true;
    }

    @Override
    public void succeeded() {
        finish(null);
        callback.succeeded();
    }

    @Override
    public void failed(Throwable x) {
        finish(x);
        callback.failed(x);
    }

    @Override
    public InvocationType getInvocationType() {
        return callback.getInvocationType();
    }

    /** Before Jetty's callback completes: the request and response are still this request's. */
    private void finish(Throwable failure) {
        if (quiet) {
            return;
        }
        String routeName = route == null ? "-" : route.name();
        try {
            String client = null;
            String logged = null;
            // cut for a slow body: what the handler answered to its failed read is not the reason
            // (counted as streamgate_connections_refused_total{reason="min_body_rate"} instead)
            boolean cut = MinBodyRate.wasCut(this);
            if (reason != null && !cut) {
                if (!decisionCounted && isDecision(reason)) {
                    settings.decisions().route(routeName).denied(reason);
                }
                client = client();
                long held = settings.log().admitDenial(reason, client);
                if (held >= 0) {
                    logged = loggedPath();
                    settings.log().denied(reason, routeName, requestId, logged, client, sub, held);
                }
            }
            if (settings.log().enabled()) {
                String why = cut ? MinBodyRate.REASON : reason != null ? reason.code() : serverError ? "internal"
                        : failure != null ? "aborted" : AccessLog.NO_REASON;
                settings.log().request(requestId, routeName, getMethod(), logged != null ? logged : loggedPath(),
                        response.getStatus(), why, client != null ? client : client(),
                        (System.nanoTime() - startNanos) / 1_000_000, Response.getContentBytesWritten(response), sid,
                        traceId());
            }
        } catch (RuntimeException e) {
            // a line that cannot be written never fails the request
        }
    }

    /**
     * Whether a denial is an authorisation decision: every one but the origin's failures
     * (502, 504, a full upstream queue), which the upstream meters count.
     */
    private static boolean isDecision(DenialReason r) {
        return r != DenialReason.UPSTREAM_UNAVAILABLE && r != DenialReason.UPSTREAM_TIMEOUT
                && r != DenialReason.UPSTREAM_OVERLOADED;
    }

    /** The trace id the origin received, or the viewer's (valid) one on an answer that went nowhere; else null. */
    private String traceId() {
        String tp = traceparent != null ? traceparent : TraceContext.accept(getHeaders());
        return tp == null ? null : TraceContext.traceId(tp);
    }

    private String client() {
        String c = settings.clientAddress().resolve(new CoreRequestView(this, path == null ? "/" : path));
        return c == null ? "-" : c;
    }

    /**
     * The canonical path with the query minus every credential parameter (the configured
     * token parameters and {@code sg_session}, whatever the letter case or percent-encoding
     * of their names); a query that cannot be parsed, or that still looks like it carries a
     * token under another name (as it stands or percent-decoded), is left out whole.
     */
    String loggedPath() {
        if (path == null) {
            return "(malformed)";
        }
        String query = getHttpURI().getQuery();
        if (query == null || query.isEmpty() || !QueryString.isWellFormed(query)) {
            return path;
        }
        StringBuilder kept = new StringBuilder(query.length());
        int i = 0;
        int n = query.length();
        while (i <= n) {
            int amp = query.indexOf('&', i);
            int end = amp < 0 ? n : amp;
            int eq = query.indexOf('=', i);
            int nameEnd = eq >= 0 && eq < end ? eq : end;
            if (end > i && !isCredential(query.substring(i, nameEnd))) {
                if (kept.length() > 0) {
                    kept.append('&');
                }
                kept.append(query, i, end);
            }
            if (amp < 0) {
                break;
            }
            i = amp + 1;
        }
        if (kept.length() == 0) {
            return path;
        }
        // a token percent-encoded (%2E for its dots, %65 for the e of eyJ) has not the shape the
        // redaction looks for: the decoded query is checked too
        if (Redactor.carriesCredential(kept)
                || (kept.indexOf("%") >= 0 && Redactor.carriesCredential(QueryString.decodePath(kept.toString())))) {
            return path + "?(redacted)";
        }
        return path + "?" + kept;
    }

    private boolean isCredential(String rawName) {
        List<String> names = settings.credentialParams();
        if (names.isEmpty()) {
            return false;
        }
        String name = rawName.indexOf('%') >= 0 || rawName.indexOf('+') >= 0
                ? QueryString.decodePath(rawName.replace('+', ' ')) : rawName;
        for (String c : names) {
            if (c.equalsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }
}
