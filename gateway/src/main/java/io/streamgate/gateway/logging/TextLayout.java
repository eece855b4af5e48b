package io.streamgate.gateway.logging;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;

import org.slf4j.event.KeyValuePair;

import ch.qos.logback.classic.pattern.TargetLengthBasedClassNameAbbreviator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.LayoutBase;

/**
 * {@code format: text}: {@code time level [thread] logger - message key="value"...}, one event
 * per line, and a stack trace on the lines after it, each of them indented. Nothing a viewer
 * sent can make a line of its own or pass for a field: in the message and in every value
 * {@code "} and {@code \} are escaped with a backslash, CR, LF and tab as {@code \r}, {@code
 * \n}, {@code \t}, every other control character (and U+2028/U+2029) as {@code \}{@code
 * uXXXX}; each stack-trace line starts with a tab. Every value passes the {@link Redactor}
 * first. Used by the {@code run} and {@code demo} commands and by the classpath
 * {@code logback.xml} of the one-shot commands.
 */
public final class TextLayout extends LayoutBase<ILoggingEvent> {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX")
            .withZone(ZoneId.systemDefault());
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final TargetLengthBasedClassNameAbbreviator abbreviator = new TargetLengthBasedClassNameAbbreviator(36);

    @Override
    public String doLayout(ILoggingEvent event) {
        StringBuilder sb = new StringBuilder(256);
        TIME.formatTo(Instant.ofEpochMilli(event.getTimeStamp()), sb);
        String level = event.getLevel().toString();
        sb.append(' ').append(level);
        for (int i = level.length(); i < 5; i++) {
            sb.append(' ');
        }
        sb.append(" [");
        escape(event.getThreadName(), sb);
        sb.append("] ");
        escape(abbreviator.abbreviate(event.getLoggerName()), sb);
        sb.append(" - ");
        escape(Redactor.redact(event.getFormattedMessage()), sb);
        List<KeyValuePair> pairs = event.getKeyValuePairs();
        if (pairs != null) {
            for (KeyValuePair p : pairs) {
                sb.append(' ');
                escape(p.key, sb);
                sb.append("=\"");
                escape(Redactor.redact(String.valueOf(p.value)), sb);
                sb.append('"');
            }
        }
        sb.append('\n');
        IThrowableProxy t = event.getThrowableProxy();
        if (t != null) {
            stackTrace(Redactor.redact(ThrowableProxyUtil.asString(t)), sb);
        }
        return sb.toString();
    }

    /** Every line indented by a tab (frames are already): no line of a stack trace passes for an event's. */
    private static void stackTrace(String trace, StringBuilder sb) {
        int start = 0;
        int n = trace.length();
        while (start < n) {
            int end = start;
            while (end < n && trace.charAt(end) != '\n' && trace.charAt(end) != '\r') {
                end++;
            }
            if (end > start) {
                if (trace.charAt(start) != '\t') {
                    sb.append('\t');
                }
                for (int i = start; i < end; i++) {
                    char c = trace.charAt(i);
                    if (c == '\t') {
                        sb.append(c);
                    } else {
                        escapeChar(c, sb, false);
                    }
                }
                sb.append('\n');
            }
            start = end + 1;
        }
    }

    /** Appends {@code s} escaped: no character of it can end the line or close a quoted value. */
    static void escape(String s, StringBuilder sb) {
        if (s == null) {
            sb.append("null");
            return;
        }
        for (int i = 0; i < s.length(); i++) {
            escapeChar(s.charAt(i), sb, true);
        }
    }

    private static void escapeChar(char c, StringBuilder sb, boolean quotes) {
        switch (c) {
            case '"' -> sb.append(quotes ? "\\\"" : "\"");
            case '\\' -> sb.append(quotes ? "\\\\" : "\\");
            case '\n' -> sb.append("\\n");
            case '\r' -> sb.append("\\r");
            case '\t' -> sb.append("\\t");
            default -> {
                if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029' || c == '\u0085') {
                    sb.append("\\u").append(HEX[c >> 12 & 15]).append(HEX[c >> 8 & 15]).append(HEX[c >> 4 & 15])
                            .append(HEX[c & 15]);
                } else {
                    sb.append(c);
                }
            }
        }
    }
}
