package io.streamgate.gateway.admin;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.streamgate.filters.Authorizer;
import io.streamgate.filters.replay.ReplayMode;

/**
 * The admin listener's endpoints: {@code /metrics} (Prometheus text), {@code /healthz}
 * (the process is alive) and {@code /readyz} (keys loaded, the warm start done, and the
 * replay store reachable where replay protection is on). Readiness answers asynchronously: a slow store never
 * holds a thread.
 */
public final class AdminHandler extends Handler.Abstract {
    private final PrometheusMeterRegistry registry;
    private final Authorizer authorizer;
    private final java.util.function.BooleanSupplier warm;

    /** @param warm true once the warm start is done (see {@code warmup} in the config) */
    public AdminHandler(PrometheusMeterRegistry registry, Authorizer authorizer, java.util.function.BooleanSupplier warm) {
        this.registry = registry;
        this.authorizer = authorizer;
        this.warm = warm;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        switch (path) {
            case "/metrics" -> {
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
                Content.Sink.write(response, true, registry.scrape(), callback);
            }
            case "/healthz" -> send(response, callback, 200, "{\"status\":\"ok\"}");
            case "/readyz" -> ready().whenComplete((store, e) -> {
                boolean keys = authorizer.keys().ready();
                boolean storeOk = e == null && Boolean.TRUE.equals(store);
                boolean warmed = warm.getAsBoolean();
                boolean ok = keys && storeOk && warmed;
                send(response, callback, ok ? 200 : 503, "{\"status\":\"" + (ok ? "ready" : "not_ready")
                        + "\",\"keys\":" + keys + ",\"replayStore\":" + storeOk + ",\"warm\":" + warmed + "}");
            });
            default -> send(response, callback, 404, "{\"error\":\"not_found\"}");
        }
        return true;
    }

    private CompletableFuture<Boolean> ready() {
        if (authorizer.replay().mode() == ReplayMode.OFF || authorizer.replay().store() == null) {
            return CompletableFuture.completedFuture(true);
        }
        return authorizer.replay().store().ping().toCompletableFuture()
                .orTimeout(1, TimeUnit.SECONDS).thenApply(x -> true);
    }

    private static void send(Response response, Callback callback, int status, String json) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        Content.Sink.write(response, true, json, callback);
    }
}
