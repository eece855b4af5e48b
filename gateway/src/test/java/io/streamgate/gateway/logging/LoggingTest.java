package io.streamgate.gateway.logging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamgate.gateway.config.GatewayConfig;
import io.streamgate.gateway.metrics.GatewayMetrics;

/** The logging setup itself: its asynchronous queue never blocks, and what it drops is counted and measured. */
class LoggingTest {
    @AfterEach
    void restore() {
        Logging.restoreDefault();
    }

    /** An output that blocks until released: the appender's worker waits on it while the queue fills. */
    private static final class Blocking extends OutputStream {
        final CountDownLatch release = new CountDownLatch(1);
        final ByteArrayOutputStream written = new ByteArrayOutputStream();

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            written.write(b, off, len);
        }
    }

    @Test
    void linesDroppedOnAFullQueueAreCounted() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new GatewayMetrics(registry);
        FunctionCounter meter = registry.find("streamgate.log.lines.dropped").tag("reason", "queue_full").functionCounter();
        assertThat(meter).isNotNull();
        Blocking out = new Blocking();
        long before = LogCounters.linesDropped();
        double meterBefore = meter.count();
        try {
            Logging.configure(new GatewayConfig.Log(GatewayConfig.LogLevel.INFO, GatewayConfig.LogFormat.TEXT, false),
                    out, 4);
            org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger("io.streamgate.gateway.Test");
            for (int i = 0; i < 50; i++) {
                log.info("line {}", i);
            }
        } finally {
            out.release.countDown();
        }
        Logging.restoreDefault();
        long dropped = LogCounters.linesDropped() - before;
        long written = out.written.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains(" - line ")).count();
        // through: what the worker took from the queue before the output blocked it (it drains the
        // queue when it gets to run: one taken, then up to 4 drained) and the queue's 4 after that
        assertThat(dropped).as("at most 9 (5 held by the worker, 4 queued) got through").isBetween(41L, 46L);
        assertThat(written).as("every line is written or counted").isEqualTo(50 - dropped);
        assertThat(meter.count() - meterBefore).as("streamgate_log_lines_dropped_total").isEqualTo(dropped);
    }
}
