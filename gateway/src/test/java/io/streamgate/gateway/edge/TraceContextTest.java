package io.streamgate.gateway.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

import org.eclipse.jetty.http.HttpFields;
import org.junit.jupiter.api.Test;

/** What counts as a valid {@code traceparent} (W3C Trace Context level 1, §3.2) and what a new one looks like. */
class TraceContextTest {
    static final Pattern TRACEPARENT = Pattern.compile("00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");
    private static final String VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    @Test
    void aValidTraceparentIsKeptAnInvalidOneIsNot() {
        assertThat(TraceContext.valid(VALID)).isSameAs(VALID);
        assertThat(TraceContext.valid("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes-next"))
                .as("a later version: its first four fields, as version 00")
                .isEqualTo("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        for (String bad : new String[] {"", "garbage", VALID.toUpperCase(), VALID + "-", VALID.substring(1),
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
            "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}) {
            assertThat(TraceContext.valid(bad)).as(bad).isNull();
        }
        assertThat(TraceContext.accept(HttpFields.build().add("traceparent", VALID))).isEqualTo(VALID);
        assertThat(TraceContext.accept(HttpFields.build().add("Traceparent", VALID).add("traceparent", VALID)))
                .as("two of them").isNull();
        assertThat(TraceContext.accept(HttpFields.build())).isNull();
    }

    @Test
    void aNewTraceparentIsValidRandomAndNotSampled() {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String t = TraceContext.make();
            assertThat(t).matches(TRACEPARENT).endsWith("-00");
            assertThat(TraceContext.valid(t)).isEqualTo(t);
            ids.add(TraceContext.traceId(t));
        }
        assertThat(ids).hasSize(1000);
    }
}
