package io.streamgate.gateway.edge;

import java.util.List;
import java.util.Locale;

import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import io.streamgate.filters.core.ClientAddress;
import io.streamgate.filters.core.DenialReason;
import io.streamgate.filters.core.QueryString;
import io.streamgate.filters.http.Denial;
import io.streamgate.gateway.logging.AccessLog;
import io.streamgate.gateway.logging.Redactor;

/**
 * One public request from the edge to its end: the request the route handlers see (a
 * {@link Request.Wrapper}, so that {@link Answers#deny} finds it with
 * {@link Request#as(Request, Class)} and records the denial reason) and the callback they
 * complete — the one place where every request finishes, whichever route, denial or relay
 * answered it. There it writes the access line (when enabled) and the rate-limited denial
 * line, then completes Jetty's callback.
 *
 * <p>One object per request; the line's fields are computed only when access lines are on.
 * Nothing here decides anything: it only observes.
 */
public final class AccessRecord extends Request.Wrapper implements Callback {
    /**
     * What an edge needs to write lines: the log, the query parameters that are credentials
     * (compared decoded and in any letter case), the client rule.
     */
    public record Settings(AccessLog log, List<String> credentialParams, ClientAddress clientAddress) {
        public Settings {
            credentialParams = credentialParams.stream().map(n -> n.toLowerCase(Locale.ROOT)).distinct().toList();
        }
    }

    private final Response response;
    private final Callback callback;
    private final Settings settings;
    private final long startNanos = System.nanoTime();
    private String requestId;
    private RouteEntry route;
    private String path; // canonical, or null when the request's path was malformed
    private DenialReason reason;
    private boolean serverError;

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

    /** This request's id, made on first use: the denial's {@code X-Request-Id} and the access line's. */
    public String requestId() {
        if (requestId == null) {
            requestId = Denial.newRequestId();
        }
        return requestId;
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
        String routeName = route == null ? "-" : route.name();
        try {
            if (reason != null) {
                settings.log().denied(reason, routeName, requestId());
            }
            if (settings.log().enabled()) {
                String why = reason != null ? reason.code() : serverError ? "internal"
                        : failure != null ? "aborted" : AccessLog.NO_REASON;
                settings.log().request(requestId(), routeName, getMethod(), loggedPath(), response.getStatus(), why,
                        client(), (System.nanoTime() - startNanos) / 1_000_000, Response.getContentBytesWritten(response));
            }
        } catch (RuntimeException e) {
            // a line that cannot be written never fails the request
        }
    }

    private String client() {
        String c = settings.clientAddress().resolve(new CoreRequestView(this, path == null ? "/" : path));
        return c == null ? "-" : c;
    }

    /**
     * The canonical path with the query minus every credential parameter (the configured
     * token parameters and {@code sg_session}, whatever the letter case or percent-encoding
     * of their names: {@code SG_SESSION}, {@code sg%5Fsession}); a query that cannot be
     * parsed, or that still looks like it carries a token under another name, is left out
     * whole.
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
        if (Redactor.carriesCredential(kept)) {
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
