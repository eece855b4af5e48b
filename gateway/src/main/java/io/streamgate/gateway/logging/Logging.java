package io.streamgate.gateway.logging;

import java.io.OutputStream;

import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.joran.spi.JoranException;

import io.streamgate.gateway.config.GatewayConfig;

/**
 * Configures Logback from the {@code log} section, in code (no {@code logback.xml} needed):
 * called at the start of {@code run} and {@code demo}. One-shot CLI commands keep the
 * classpath's quiet {@code logback.xml} (warnings only; they print their own output).
 *
 * <ul>
 *   <li>{@code level} is the level of StreamGate's own loggers ({@code io.streamgate.*},
 *       {@code streamgate.*}). Third-party loggers (Jetty, Lettuce, Netty, Micrometer) stay
 *       at {@code WARN} under {@code info}, and are <b>capped at {@code INFO} under
 *       {@code debug} and {@code trace}</b>: Jetty's DEBUG output (HttpParser, HttpChannel,
 *       HttpConnection, ProxyHandler, websocket-core) prints request lines, headers and
 *       frames, the token with them. {@code org.eclipse.jetty.util.HostPort} is off (it warns
 *       with a malformed authority written whole).</li>
 *   <li>{@code format: text}: {@code time level [thread] logger - message key="value"...};
 *       {@code json}: Logback's {@link JsonEncoder}, one JSON object per line, with
 *       {@code formattedMessage} (never the raw {@code arguments}), and the access lines'
 *       fields as {@code kvpList}.</li>
 *   <li>{@code access}: the {@link AccessLog#LOGGER} logger at {@code INFO}, else off.</li>
 *   <li>Every event passes the {@link CredentialFilter} first.</li>
 * </ul>
 * Lines go to standard error through a bounded {@link AsyncAppender} that never blocks the
 * logging thread (Jetty's selector threads log too): when its 8,192-event queue is full,
 * events are dropped rather than stalling the server. {@link #stop()} flushes it.
 */
public final class Logging {
    static final int QUEUE = 8192;

    private Logging() {
    }

    /** Configures logging for a server command; lines go to standard error. */
    public static void configure(GatewayConfig.Log log) {
        configure(log, null);
    }

    /**
     * Configures logging; {@code out}, when not null, receives the encoded lines instead of
     * standard error (tests read exactly what an operator would).
     */
    public static synchronized void configure(GatewayConfig.Log log, OutputStream out) {
        LoggerContext ctx = context();
        ctx.reset(); // drops the classpath configuration, its appenders and filters
        CredentialFilter filter = new CredentialFilter();
        filter.setContext(ctx);
        filter.start();
        ctx.addTurboFilter(filter);

        OutputStreamAppender<ILoggingEvent> sink;
        if (out == null) {
            ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
            console.setTarget("System.err");
            sink = console;
        } else {
            sink = new OutputStreamAppender<>();
            sink.setOutputStream(out);
        }
        sink.setName("out");
        sink.setContext(ctx);
        sink.setEncoder(encoder(log.format(), ctx));
        sink.start();

        AsyncAppender async = new AsyncAppender();
        async.setName("async");
        async.setContext(ctx);
        async.setQueueSize(QUEUE);
        async.setDiscardingThreshold(0); // keep INFO lines (access lines) until the queue is full
        async.setNeverBlock(true);
        async.setMaxFlushTime(2000);
        async.addAppender(sink);
        async.start();

        Level own = level(log.level());
        Level others = thirdParty(log.level());
        ch.qos.logback.classic.Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(others);
        root.addAppender(async);
        ctx.getLogger("org.eclipse.jetty").setLevel(others);
        ctx.getLogger("org.eclipse.jetty.util.HostPort").setLevel(Level.OFF);
        ctx.getLogger("io.streamgate").setLevel(own);
        ctx.getLogger("streamgate").setLevel(own);
        ctx.getLogger(AccessLog.LOGGER).setLevel(log.access() ? Level.INFO : Level.OFF);
    }

    private static Encoder<ILoggingEvent> encoder(GatewayConfig.LogFormat format, LoggerContext ctx) {
        if (format == GatewayConfig.LogFormat.JSON) {
            JsonEncoder json = new JsonEncoder();
            json.setContext(ctx);
            json.setWithContext(false);
            json.setWithSequenceNumber(false);
            json.setWithNanoseconds(false);
            json.setWithArguments(false); // raw arguments never: the formatted message is what was checked
            json.setWithMessage(false);
            json.setWithFormattedMessage(true);
            json.start();
            return json;
        }
        PatternLayoutEncoder text = new PatternLayoutEncoder();
        text.setContext(ctx);
        text.setPattern("%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{36} - %msg %kvp%n%ex");
        text.start();
        return text;
    }

    static Level level(GatewayConfig.LogLevel l) {
        return switch (l) {
            case ERROR -> Level.ERROR;
            case WARN -> Level.WARN;
            case INFO -> Level.INFO;
            case DEBUG -> Level.DEBUG;
            case TRACE -> Level.TRACE;
        };
    }

    /** Third-party loggers: WARN under info, never below INFO (Jetty's DEBUG prints requests). */
    static Level thirdParty(GatewayConfig.LogLevel l) {
        return switch (l) {
            case ERROR -> Level.ERROR;
            case WARN, INFO -> Level.WARN;
            case DEBUG, TRACE -> Level.INFO;
        };
    }

    /** Flushes queued lines and stops the appenders (the last step of a server command's shutdown). */
    public static synchronized void stop() {
        context().stop();
    }

    /** Back to the classpath configuration ({@code logback-test.xml} or {@code logback.xml}), flushing first. */
    public static synchronized void restoreDefault() {
        LoggerContext ctx = context();
        ctx.stop();
        ctx.reset();
        try {
            new ContextInitializer(ctx).autoConfig();
            ctx.start();
        } catch (JoranException e) {
            throw new IllegalStateException("cannot restore the default logging configuration", e);
        }
    }

    private static LoggerContext context() {
        return (LoggerContext) LoggerFactory.getILoggerFactory();
    }
}
