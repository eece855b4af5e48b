package io.streamgate.gateway.edge;

import org.eclipse.jetty.server.Request;

import io.streamgate.filters.Verdict;
import io.streamgate.filters.core.RequestView;
import io.streamgate.filters.http.Denial;

/**
 * One request's typed state on its way through the gateway: the route it matched, the
 * canonical path everything uses, and what authorised it (a {@link Verdict} with its
 * admission, or a session). Handlers pass it along as a parameter; nothing travels in string
 * request attributes.
 */
public final class Exchange {
    private final RouteEntry route;
    private final String path;
    private final CoreRequestView view;
    private final long startNanos;
    private final AccessRecord record; // null for an exchange made outside the edge
    private String requestId;
    private Verdict verdict;
    private Object session;
    private Runnable onAccepted;

    Exchange(RouteEntry route, Request request, String canonicalPath) {
        this.route = route;
        this.path = canonicalPath;
        this.view = new CoreRequestView(request, canonicalPath);
        this.record = AccessRecord.of(request);
        this.startNanos = record != null ? record.startNanos() : System.nanoTime();
    }

    public RouteEntry route() {
        return route;
    }

    /** The canonical path (see {@link io.streamgate.filters.core.PathSafety#canonical}). */
    public String path() {
        return path;
    }

    /** The path after the route's prefix, starting with {@code /} or empty. */
    public String pathInRoute() {
        String prefix = route.prefix();
        return path.length() > prefix.length() ? path.substring(prefix.length()) : "";
    }

    public RequestView view() {
        return view;
    }

    public long startNanos() {
        return startNanos;
    }

    /** This request's id, made on first use (denials carry it as {@code X-Request-Id}). */
    public String requestId() {
        if (record != null) {
            return record.requestId();
        }
        if (requestId == null) {
            requestId = Denial.newRequestId();
        }
        return requestId;
    }

    /** The allowed verdict, or null (an {@code auth: none} route, or a session credential). */
    public Verdict verdict() {
        return verdict;
    }

    public void verdict(Verdict v) {
        this.verdict = v;
        if (record != null && v != null && v.token() != null) {
            record.subject(v.token().claims().sub());
        }
    }

    /**
     * This request belongs to a known session: {@code sid} goes on its access line, {@code
     * sub} on its denial line (see {@link AccessRecord#session}).
     */
    public void belongsTo(String sid, String sub) {
        if (record != null) {
            record.session(sid, sub);
        }
    }

    /** The route type's session state that admitted the request (an HLS session), or null. */
    @SuppressWarnings("unchecked")
    public <T> T session() {
        return (T) session;
    }

    public void session(Object s) {
        this.session = s;
    }

    /**
     * What to do once the origin's answer goes to the viewer as a 2xx (e.g. record the HLS
     * session a playlist opened); nothing happens for any other answer.
     */
    public void whenAccepted(Runnable r) {
        this.onAccepted = r;
    }

    /** The origin's 2xx answer is going to the viewer: runs what {@link #whenAccepted} asked, once. */
    public void accepted() {
        Runnable r = onAccepted;
        onAccepted = null;
        if (r != null) {
            r.run();
        }
    }
}
