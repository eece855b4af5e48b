package io.streamgate.gateway.websocket;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.streamgate.filters.core.DenialReason;
import io.streamgate.filters.replay.Admission;
import io.streamgate.filters.replay.ReplayGuard;
import io.streamgate.filters.verify.Claims;

/**
 * One WebSocket session's lease under {@code replay.mode: limit}: taken by the decision
 * (its {@link Admission}), renewed every third of the lease period while the session lives,
 * released when it ends. A replica that dies stops renewing, so its sessions' leases lapse.
 */
final class SessionLease {
    private static final Logger LOG = LoggerFactory.getLogger(SessionLease.class);

    private final ReplayGuard guard;
    private final java.util.function.LongSupplier cap;
    private final Admission admission;
    private final ScheduledExecutorService scheduler;
    private final AtomicBoolean released = new AtomicBoolean();
    private volatile ScheduledFuture<?> renewal;

    /** @param cap the session's current cap in epoch seconds (moved by renewals), or {@link Claims#ABSENT} */
    SessionLease(ReplayGuard guard, java.util.function.LongSupplier cap, Admission admission,
                 ScheduledExecutorService scheduler) {
        this.guard = guard;
        this.cap = cap;
        this.admission = admission;
        this.scheduler = scheduler;
    }

    /** Renews periodically; {@code lost} runs when another session took the lease meanwhile. */
    void keepAlive(Runnable lost) {
        long period = Math.max(100, guard.lease().toMillis() / 3);
        renewal = scheduler.scheduleAtFixedRate(() -> guard.renewLease(admission.limitKey(), cap.getAsLong(), admission.leaseId()).whenComplete((r, e) -> {
            if (r == DenialReason.SESSION_LIMIT) {
                LOG.debug("session lease lost; closing the session");
                lost.run();
            }
            // A store error keeps the session: a Redis blip must not disconnect viewers.
        }), period, period, TimeUnit.MILLISECONDS);
        if (released.get()) {
            renewal.cancel(false); // released while we were scheduling: never renew a released lease
        }
    }

    void release() {
        if (released.compareAndSet(false, true)) {
            ScheduledFuture<?> r = renewal;
            if (r != null) {
                r.cancel(false);
            }
            admission.release();
        }
    }
}
