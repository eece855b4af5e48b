package io.streamgate.gateway.logging;

import java.io.OutputStream;

import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.joran.spi.JoranException;
import net.logstash.logback.composite.loggingevent.KeyValuePairsJsonProvider;
import net.logstash.logback.composite.loggingevent.LogLevelJsonProvider;
import net.logstash.logback.composite.loggingevent.LoggerNameJsonProvider;
import net.logstash.logback.composite.loggingevent.LoggingEventFormattedTimestampJsonProvider;
import net.logstash.logback.composite.loggingevent.LoggingEventJsonProviders;
import net.logstash.logback.composite.loggingevent.LoggingEventThreadNameJsonProvider;
import net.logstash.logback.composite.loggingevent.MessageJsonProvider;
import net.logstash.logback.composite.loggingevent.StackTraceJsonProvider;
import net.logstash.logback.encoder.LoggingEventCompositeJsonEncoder;
import net.logstash.logback.mask.MaskingJsonGeneratorDecorator;

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
 *   <li>{@code format: text}: {@link TextLayout}, {@code time level [thread] logger - message
 *       key="value"...}, values escaped so that none can forge a line or a field;
 *       {@code json}: one flat JSON object per line (logstash-logback-encoder's composite
 *       encoder, providers chosen here): {@code timestamp} (ISO-8601 UTC), {@code level},
 *       {@code logger}, {@code thread}, {@code message}, then each SLF4J key/value pair as a
 *       top-level field with its type (numbers stay numbers), and {@code stack_trace} (a
 *       string) for an exception. Never the raw arguments.</li>
 *   <li>{@code access}: the {@link AccessLog#LOGGER} logger at {@code INFO}, else off.</li>
 *   <li>Every value written — message, fields, stack trace — passes the {@link Redactor}:
 *       a token or a credential is masked, the line kept.</li>
 * </ul>
 * Lines go to standard error through a bounded asynchronous appender that never blocks the
 * logging thread (Jetty's selector threads log too): when its 8,192-event queue is full,
 * events are dropped rather than stalling the server, and counted
 * ({@link LogCounters#linesDropped()}). {@link #stop()} flushes it.
 */
public final class Logging {
    static final int QUEUE = 8192;

    private Logging() {
    }

    /** The asynchronous appender, counting what it drops when its queue is full. */
    private static final class CountingAsyncAppender extends AsyncAppender {
        @Override
        protected void append(ILoggingEvent event) {
            if (getRemainingCapacity() == 0) {
                LogCounters.dropped(); // the queue would refuse it (never-block): counted, not written
                return;
            }
            super.append(event);
        }
    }

    /** Configures logging for a server command; lines go to standard error. */
    public static void configure(GatewayConfig.Log log) {
        configure(log, null);
    }

    /**
     * Configures logging; {@code out}, when not null, receives the encoded lines instead of
     * standard error (tests read exactly what an operator would).
     */
    public static void configure(GatewayConfig.Log log, OutputStream out) {
        configure(log, out, QUEUE);
    }

    /** As {@link #configure(GatewayConfig.Log, OutputStream)}, with the asynchronous queue's size (tests fill it). */
    static synchronized void configure(GatewayConfig.Log log, OutputStream out, int queue) {
        LoggerContext ctx = context();
        ctx.reset(); // drops the classpath configuration, its appenders and filters

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

        AsyncAppender async = new CountingAsyncAppender();
        async.setName("async");
        async.setContext(ctx);
        async.setQueueSize(queue);
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
            return json(ctx);
        }
        LayoutWrappingEncoder<ILoggingEvent> text = new LayoutWrappingEncoder<>();
        text.setContext(ctx);
        TextLayout layout = new TextLayout();
        layout.setContext(ctx);
        layout.start();
        text.setLayout(layout);
        text.setCharset(java.nio.charset.StandardCharsets.UTF_8);
        text.start();
        return text;
    }

    /** One flat JSON object per line; every string value through the {@link Redactor}. */
    static Encoder<ILoggingEvent> json(LoggerContext ctx) {
        LoggingEventJsonProviders providers = new LoggingEventJsonProviders();
        LoggingEventFormattedTimestampJsonProvider timestamp = new LoggingEventFormattedTimestampJsonProvider();
        timestamp.setFieldName("timestamp");
        timestamp.setPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"); // ISO-8601, UTC, milliseconds
        timestamp.setTimeZone("UTC");
        providers.addTimestamp(timestamp);
        providers.addLogLevel(new LogLevelJsonProvider());
        LoggerNameJsonProvider logger = new LoggerNameJsonProvider();
        logger.setFieldName("logger");
        providers.addLoggerName(logger);
        LoggingEventThreadNameJsonProvider thread = new LoggingEventThreadNameJsonProvider();
        thread.setFieldName("thread");
        providers.addThreadName(thread);
        providers.addMessage(new MessageJsonProvider());
        providers.addKeyValuePairs(new KeyValuePairsJsonProvider()); // top level, typed
        providers.addStackTrace(new StackTraceJsonProvider());

        MaskingJsonGeneratorDecorator masking = new MaskingJsonGeneratorDecorator();
        masking.addValueMasker((context, value) -> {
            if (value instanceof CharSequence text) {
                String s = text.toString();
                String redacted = Redactor.redact(s);
                return redacted == s ? null : redacted;
            }
            return null;
        });
        masking.start();

        LoggingEventCompositeJsonEncoder json = new LoggingEventCompositeJsonEncoder();
        json.setContext(ctx);
        json.setProviders(providers);
        json.setJsonGeneratorDecorator(masking);
        json.start();
        return json;
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
