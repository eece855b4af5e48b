package io.streamgate.gateway.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.streamgate.filters.Authorizer;
import io.streamgate.filters.replay.ReplayMode;
import io.streamgate.gateway.config.GatewayConfig;
import io.streamgate.gateway.edge.Answers;

/**
 * The admin listener's endpoints. Open to anyone who reaches the listener: {@code /metrics}
 * (Prometheus text), {@code /healthz} (the process is alive) and {@code /readyz} (keys loaded,
 * the warm start done, and the replay store reachable where replay protection is on; answered
 * asynchronously, a slow store never holds a thread). Every other endpoint is registered with
 * {@link #secured(String, Request.Handler)} and sits behind {@code admin.token}: when a token
 * is configured, a request without {@code Authorization: Bearer <admin.token>} is answered
 * {@code 401} JSON before the endpoint sees it.
 *
 * <p>Before any of that ({@link AdminAccess}): a request whose {@code Host} does not name the
 * listener is {@code 421 admin_host_not_allowed} (DNS rebinding), except {@code /healthz} and
 * {@code /readyz}, which reveal nothing and which probes (kubelet, load balancers) must reach
 * whatever name they use. A mutation of a secured endpoint from another site is
 * {@code 403 cross_site_request}; one whose body is not JSON is {@code 415
 * unsupported_media_type} (after the token check).
 */
public final class AdminHandler extends Handler.Abstract {
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    private static final Logger LOG = LoggerFactory.getLogger(AdminHandler.class);

    private final PrometheusMeterRegistry registry;
    private final Supplier<Authorizer> authorizer;
    private final java.util.function.BooleanSupplier warm;
    private final Supplier<GatewayConfig.Admin> settings;
    private final Map<String, Request.Handler> secured = new ConcurrentHashMap<>();
    /** The header naming an answer's request, as on the public listener. */
    public static final String REQUEST_ID = "X-Request-Id";

    /**
     * @param authorizer the authorizer in force (a reload replaces it)
     * @param warm       true once the warm start is done (see {@code warmup} in the config)
     * @param settings   the {@code admin} settings in force: {@code token} and {@code hosts} follow a reload
     */
    public AdminHandler(PrometheusMeterRegistry registry, Supplier<Authorizer> authorizer,
                        java.util.function.BooleanSupplier warm, Supplier<GatewayConfig.Admin> settings) {
        this.registry = registry;
        this.authorizer = authorizer;
        this.warm = warm;
        this.settings = settings;
    }

    /**
     * Adds an endpoint behind {@code admin.token}: it serves {@code path} and everything under
     * it ({@code /revocations} also gets {@code /revocations/abc}), only for requests that
     * passed the token check. It must complete the callback and never block.
     */
    public AdminHandler secured(String path, Request.Handler endpoint) {
        secured.put(path, endpoint);
        return this;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String path = Request.getPathInContext(request);
        // every admin answer names its request; audit lines (revocations, reloads) carry the same id
        response.getHeaders().put(REQUEST_ID, io.streamgate.filters.http.Denial.newRequestId());
        GatewayConfig.Admin admin = settings.get();
        // probes reach health whatever Host they send; everything else only under a name of this listener
        if (!path.equals("/healthz") && !path.equals("/readyz") && !AdminAccess.hostNamesListener(request, admin)) {
            refuse(request, response, callback, 421, "misdirected_request", "admin_host_not_allowed");
            return true;
        }
        switch (path) {
            case "/metrics" -> {
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
                Content.Sink.write(response, true, registry.scrape(), callback);
            }
            case "/healthz" -> send(response, callback, 200, JSON.createObjectNode().put("status", "ok").toString());
            case "/readyz" -> ready().whenComplete((store, e) -> {
                boolean keys = authorizer.get().keys().ready();
                boolean storeOk = e == null && Boolean.TRUE.equals(store);
                boolean warmed = warm.getAsBoolean();
                boolean ok = keys && storeOk && warmed;
                send(response, callback, ok ? 200 : 503, JSON.createObjectNode().put("status", ok ? "ready" : "not_ready")
                        .put("keys", keys).put("replayStore", storeOk).put("warm", warmed).toString());
            });
            default -> {
                Request.Handler endpoint = endpoint(path);
                boolean mutation = AdminAccess.isMutation(request.getMethod());
                String crossSite = mutation ? AdminAccess.crossSite(request) : null;
                String unauthenticated = endpoint == null || crossSite != null ? null
                        : unauthenticated(request, admin.token());
                if (endpoint == null) {
                    refuse(request, response, callback, 404, "not_found", null);
                } else if (crossSite != null) {
                    refuse(request, response, callback, 403, "forbidden", crossSite);
                } else if (unauthenticated != null) {
                    response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"streamgate-admin\"");
                    refuse(request, response, callback, 401, "unauthorized", unauthenticated);
                } else if (mutation && !AdminAccess.jsonOrNoBody(request)) {
                    Answers.drainThen(request, () -> unsupportedMediaType(response, callback));
                } else {
                    try {
                        if (!endpoint.handle(request, response, callback)) {
                            error(response, callback, 404, "not_found", null);
                        }
                    } catch (Exception e) {
                        LOG.error("admin endpoint {} failed", path, e);
                        error(response, callback, 500, "server_error", "internal");
                    }
                }
            }
        }
        return true;
    }

    private Request.Handler endpoint(String path) {
        Request.Handler h = secured.get(path);
        if (h != null) {
            return h;
        }
        int slash = path.indexOf('/', 1);
        return slash > 0 ? secured.get(path.substring(0, slash)) : null;
    }

    /**
     * The one check in front of every secured endpoint: null when no token is configured or
     * the request carries it, else the reason of the {@code 401}. Compared in constant time
     * (over SHA-256 digests, so not even the length leaks).
     */
    private static String unauthenticated(Request request, String expected) {
        if (expected == null || expected.isEmpty()) {
            return null;
        }
        String header = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        if (header == null || header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return "admin_token_required";
        }
        return MessageDigest.isEqual(sha256(header.substring(7).strip()), sha256(expected)) ? null
                : "admin_token_invalid";
    }

    /**
     * A refusal, answered once the request's body (if small) is read: a client that sent one
     * keeps its connection (Jetty closes a connection whose body was left unread, and a client
     * reusing it meets a reset instead of its next answer).
     */
    private static void refuse(Request request, Response response, Callback callback, int status, String error,
                               String reason) {
        Answers.drainThen(request, () -> error(response, callback, status, error, reason));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private CompletableFuture<Boolean> ready() {
        Authorizer a = authorizer.get();
        if (a.replay().mode() == ReplayMode.OFF || a.replay().store() == null) {
            return CompletableFuture.completedFuture(true);
        }
        return a.replay().store().ping().toCompletableFuture()
                .orTimeout(1, TimeUnit.SECONDS).thenApply(x -> true);
    }

    /** A JSON answer of an admin endpoint. */
    public record JsonReply(int status, String json) {
    }

    /**
     * An endpoint taking one method (others: {@code 405} with {@code Allow}) whose answer is
     * computed asynchronously, off the request's thread when {@code answer} says so.
     */
    public static Request.Handler json(String method, Supplier<CompletionStage<JsonReply>> answer) {
        return (request, response, callback) -> {
            if (!method.equals(request.getMethod())) {
                response.getHeaders().put(HttpHeader.ALLOW, method);
                refuse(request, response, callback, 405, "invalid_request", "method_not_allowed");
                return true;
            }
            if (request.getLength() == 0 || (request.getLength() < 0
                    && !request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING))) {
                answer(request, response, callback, answer);
                return true;
            }
            // a body (POST /reload takes none or JSON): read bounded, and it must be JSON
            if (request.getLength() > MAX_BODY) {
                io.streamgate.gateway.edge.Answers.drainThen(request,
                        () -> malformed(response, callback, "the body is larger than 16 KiB"));
                return true;
            }
            Content.Source.asByteArrayAsync(request, MAX_BODY).whenComplete((bytes, e) -> {
                if (e != null) {
                    malformed(response, callback, "the body is larger than 16 KiB or unreadable");
                    return;
                }
                if (bytes.length > 0) {
                    try {
                        io.streamgate.gateway.edge.StrictJson.parse(bytes);
                    } catch (io.streamgate.gateway.edge.StrictJson.MalformedException m) {
                        malformed(response, callback, m.getMessage());
                        return;
                    }
                }
                answer(request, response, callback, answer);
            });
            return true;
        };
    }

    /** The largest body an endpoint of {@link #json} reads. */
    private static final int MAX_BODY = 16 * 1024;

    private static void answer(Request request, Response response, Callback callback,
                               Supplier<CompletionStage<JsonReply>> answer) {
        answer.get().whenComplete((reply, e) -> {
            if (e != null) {
                LOG.error("admin endpoint {} failed", Request.getPathInContext(request), e);
                error(response, callback, 500, "server_error", "internal");
            } else {
                send(response, callback, reply.status(), reply.json());
            }
        });
    }

    private static void malformed(Response response, Callback callback, String detail) {
        send(response, callback, 400, JSON.createObjectNode().put("error", "invalid_request")
                .put("reason", "malformed_request").put("detail", detail).toString());
    }

    /** {@code 415}: a mutation's body must be JSON ({@code Content-Type: application/json}). */
    static void unsupportedMediaType(Response response, Callback callback) {
        send(response, callback, 415, JSON.createObjectNode().put("error", "invalid_request")
                .put("reason", "unsupported_media_type")
                .put("detail", "send the body as Content-Type: application/json").toString());
    }

    /** Writes an error answer: {@code {"error": error, "reason": reason}} (no reason when null), never cached. */
    public static void error(Response response, Callback callback, int status, String error, String reason) {
        com.fasterxml.jackson.databind.node.ObjectNode o = JSON.createObjectNode().put("error", error);
        if (reason != null) {
            o.put("reason", reason);
        }
        send(response, callback, status, o.toString());
    }

    /** Writes a JSON answer, never cached. */
    public static void send(Response response, Callback callback, int status, String json) {
        io.streamgate.gateway.edge.Answers.json(response, callback, status, json);
    }
}
