package io.streamgate.gateway.logging;

import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

import org.slf4j.LoggerFactory;
import org.slf4j.Marker;
import org.slf4j.helpers.MessageFormatter;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * The backstop behind "no token is ever logged": drops every log event whose message,
 * arguments or exception messages contain something shaped like a token or a session
 * credential, from any logger (StreamGate's, Jetty's, Lettuce's...) and before any appender
 * sees it. What counts:
 * <ul>
 *   <li>a base64url run starting {@code eyJ} (a JOSE header or payload: {@code {"} encoded),
 *       i.e. a JWS or any fragment of one that holds a whole encoded part;</li>
 *   <li>three base64url runs of 16 characters or more joined by dots (a JWS whose header does
 *       not start {@code {"});</li>
 *   <li>the session credential's parameter name {@code sg_session}, followed by {@code =}.</li>
 * </ul>
 * A dropped event is replaced by a warning that names only its logger and level (at most one
 * per {@link #REPORT_INTERVAL_NANOS}, with a count), so that a dropped line is noticed
 * without repeating what it carried.
 *
 * <p>Cost: a Logback turbo filter runs for every logging call, enabled or not, so it first
 * asks whether the logger is enabled for the level and returns {@code NEUTRAL} (no work)
 * when it is not; only events that would be written are formatted and scanned.
 */
public final class CredentialFilter extends TurboFilter {
    /** What a line may not contain. Public for the tests that scan captured output. */
    public static final Pattern CREDENTIAL = Pattern.compile(
            "eyJ[A-Za-z0-9_-]{6,}|[A-Za-z0-9_-]{16,}\\.[A-Za-z0-9_-]{16,}\\.[A-Za-z0-9_-]{16,}|sg_session=");
    static final String REPORT_LOGGER = "streamgate.redacted";
    static final long REPORT_INTERVAL_NANOS = 10_000_000_000L;

    private static final ThreadLocal<Boolean> REPORTING = new ThreadLocal<>();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong nextReport = new AtomicLong(Long.MIN_VALUE);

    /** True when {@code text} contains a token, a token fragment or a session credential. */
    public static boolean carriesCredential(CharSequence text) {
        return text != null && CREDENTIAL.matcher(text).find();
    }

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
        if (level == null || logger == null || !level.isGreaterOrEqual(logger.getEffectiveLevel())
                || Boolean.TRUE.equals(REPORTING.get())) {
            return FilterReply.NEUTRAL; // not going to be written (or our own report): nothing to scan
        }
        if (format != null && carries(format, params)) {
            report(logger, level);
            return FilterReply.DENY;
        }
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (carriesCredential(c.getMessage()) || carriesCredential(c.toString())) {
                report(logger, level);
                return FilterReply.DENY;
            }
        }
        return FilterReply.NEUTRAL;
    }

    private static boolean carries(String format, Object[] params) {
        if (carriesCredential(format)) {
            return true;
        }
        if (params == null || params.length == 0) {
            return false;
        }
        // formatted as the appender would (arguments' toString included), then scanned
        return carriesCredential(MessageFormatter.arrayFormat(format, params).getMessage());
    }

    /** How many events were dropped since start. */
    public long dropped() {
        return dropped.get();
    }

    private void report(Logger logger, Level level) {
        long n = dropped.incrementAndGet();
        long now = System.nanoTime();
        long next = nextReport.get();
        if (next != Long.MIN_VALUE && now - next < 0) {
            return;
        }
        if (!nextReport.compareAndSet(next, now + REPORT_INTERVAL_NANOS)) {
            return;
        }
        REPORTING.set(Boolean.TRUE);
        try {
            LoggerFactory.getLogger(REPORT_LOGGER).warn(
                    "dropped a {} line of logger {}: it contained a token or session credential ({} dropped so far)",
                    level, logger.getName(), n);
        } finally {
            REPORTING.remove();
        }
    }
}
