package io.streamgate.loadtest.jmh;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.function.Supplier;

/**
 * Calls per second of this thread's CPU time (and of wall-clock time): on a shared machine,
 * JMH's wall-clock ops/s measure the contention as much as the code. Warms up with 3 M calls,
 * then prints 5 rounds of 2 M. Used by the {@code *CpuRate} mains.
 */
final class CpuRate {
    private CpuRate() {
    }

    static void measure(Supplier<Object> call) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Object sink = null;
        for (int i = 0; i < 3_000_000; i++) {
            sink = call.get();
        }
        int n = 2_000_000;
        for (int round = 1; round <= 5; round++) {
            long cpu0 = mx.getCurrentThreadCpuTime();
            long wall0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                sink = call.get();
            }
            double cpu = (mx.getCurrentThreadCpuTime() - cpu0) / 1e9;
            double wall = (System.nanoTime() - wall0) / 1e9;
            System.out.printf("round %d: %,.0f checks per CPU-second (%,.0f per wall-clock second)%n", round, n / cpu,
                    n / wall);
        }
        if (sink == null) {
            throw new IllegalStateException("no result");
        }
    }
}
