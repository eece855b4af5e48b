package io.streamgate.gateway.edge;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.streamgate.filters.Authorizer;
import io.streamgate.filters.Verdict;

/**
 * Runs the {@link Authorizer} for a request and continues with the route's next step, or
 * writes the denial. Usually the decision is complete on return and the next step runs on
 * the same thread; when it is not (a JWKS refetch, a remote replay store), the next step is
 * handed to the server's executor, never continued on a client or timer thread, and a
 * backstop timeout answers a decision that never completes.
 */
public final class Authorization {
    private static final Logger LOG = LoggerFactory.getLogger(Authorization.class);

    /** The step after an allowed decision; the verdict is on the exchange. */
    @FunctionalInterface
    public interface Next {
        void run(Exchange exchange, Request request, Response response, Callback callback);
    }

    private final Authorizer authorizer;
    private final Executor executor;
    private final long backstopMillis;

    public Authorization(Authorizer authorizer, Executor executor, Duration backstop) {
        this.authorizer = authorizer;
        this.executor = executor;
        this.backstopMillis = backstop.toMillis();
    }

    public Authorizer authorizer() {
        return authorizer;
    }

    public void authorize(Exchange ex, Request request, Response response, Callback callback, Next next) {
        CompletableFuture<Verdict> decision;
        try {
            decision = authorizer.authorize(ex.route().policy(), ex.view()).toCompletableFuture();
        } catch (RuntimeException e) {
            decision = CompletableFuture.failedFuture(e);
        }
        if (decision.isDone()) {
            act(ex, request, response, callback, next, decision);
            return;
        }
        CompletableFuture<Verdict> pending = decision;
        // the backstop times out a copy: the decision itself may still complete, and is undone then
        decision.copy().orTimeout(backstopMillis, TimeUnit.MILLISECONDS).whenComplete((v, e) -> executor.execute(() ->
                act(ex, request, response, callback, next, pending)));
    }

    private void act(Exchange ex, Request request, Response response, Callback callback, Next next,
                     CompletableFuture<Verdict> decision) {
        Verdict verdict;
        try {
            verdict = decision.getNow(null);
        } catch (RuntimeException e) {
            verdict = null;
        }
        if (verdict == null) {
            // A bug or an infrastructure call that never answered: not the viewer's fault.
            LOG.error("route {}: the decision failed or did not complete (request {})", ex.route().name(),
                    ex.requestId());
            decision.thenAccept(late -> late.admission().release()); // if it ever completes, undo it
            Answers.serverError(request, response, callback, ex.requestId());
            return;
        }
        if (!verdict.allowed()) {
            AccessRecord record = AccessRecord.of(request);
            if (record != null) {
                record.decisionCounted(); // the Authorizer counts its own verdicts
            }
            Answers.deny(request, response, callback, verdict.reason(), ex.requestId());
            return;
        }
        ex.verdict(verdict);
        try {
            next.run(ex, request, response, callback);
        } catch (RuntimeException e) {
            verdict.admission().release();
            LOG.error("route {}: failed to forward (request {})", ex.route().name(), ex.requestId(), e);
            Answers.serverError(request, response, callback, ex.requestId());
        }
    }
}
