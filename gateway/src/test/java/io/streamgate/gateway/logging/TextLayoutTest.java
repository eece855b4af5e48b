package io.streamgate.gateway.logging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import io.streamgate.gateway.config.GatewayConfig;

/**
 * {@code format: text}: one event per line whatever its values hold; quotes, backslashes, line
 * breaks and control characters in the message and in every field are escaped, stack-trace lines
 * are indented, so a line that starts like an event is one.
 */
class TextLayoutTest {
    /** The start of an event's line: time, level, thread, logger. */
    static final Pattern EVENT = Pattern.compile(
            "^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) (TRACE|DEBUG|INFO |WARN |ERROR) \\[[^\\]]*\\] \\S+ - ");
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    @AfterEach
    void restore() {
        Logging.restoreDefault();
    }

    @Test
    void textValuesAreEscapedSoNoFieldForgesALine() {
        Logging.configure(new GatewayConfig.Log(GatewayConfig.LogLevel.INFO, GatewayConfig.LogFormat.TEXT, true), out);
        String forged = "x\"\n2026-12-07T21:13:18.000Z INFO  [t] streamgate.access - request status=\"200\"\r\u0007\\";
        LoggerFactory.getLogger(AccessLog.LOGGER).atInfo().setMessage("session ended")
                .addKeyValue("sid", "s1").addKeyValue("sub", forged).addKeyValue("durationMs", 12L).log();
        LoggerFactory.getLogger("io.streamgate.gateway.Test").info("message with {}", forged);
        LoggerFactory.getLogger("io.streamgate.gateway.Test").warn("failed", new IllegalStateException(forged));
        Logging.restoreDefault();
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();

        assertThat(lines).as("every line is an event's or an indented stack-trace line")
                .allMatch(l -> EVENT.matcher(l).find() || l.startsWith("\t"));
        assertThat(lines.stream().filter(l -> EVENT.matcher(l).find())).as("three events, three lines").hasSize(3);
        String escaped = "x\\\"\\n2026-12-07T21:13:18.000Z INFO  [t] streamgate.access - request status=\\\"200\\\"\\r\\u0007\\\\";
        assertThat(lines).anyMatch(l -> l.contains("streamgate.access - session ended sid=\"s1\" sub=\"" + escaped
                + "\" durationMs=\"12\""));
        assertThat(lines).anyMatch(l -> l.contains("- message with " + escaped));
        assertThat(lines).anyMatch(l -> l.startsWith("\tjava.lang.IllegalStateException: x\""));
        assertThat(lines).as("the exception's second line is indented, not an event")
                .anyMatch(l -> l.startsWith("\t2026-12-07T21:13:18.000Z INFO  [t] streamgate.access"));
        assertThat(lines).anyMatch(l -> l.startsWith("\tat "));
    }
}
