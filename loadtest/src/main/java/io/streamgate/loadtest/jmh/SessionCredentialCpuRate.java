package io.streamgate.loadtest.jmh;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * {@link SessionCredentialBenchmark#segmentWithSessionCredential} counted against the thread's
 * CPU time instead of wall time: on a shared machine (other processes on the same cores), JMH's
 * wall-clock ops/s measure the contention as much as the code; checks per CPU-second on one
 * thread are what the code costs. Warms up with 3 M calls, then 5 rounds of 2 M.
 *
 * <p>Run: {@code java -cp loadtest/target/streamgate-benchmarks.jar io.streamgate.loadtest.jmh.SessionCredentialCpuRate}
 */
public final class SessionCredentialCpuRate {
    private SessionCredentialCpuRate() {
    }

    public static void main(String[] args) {
        SessionCredentialBenchmark b = new SessionCredentialBenchmark();
        b.setUp();
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Object sink = null;
        for (int i = 0; i < 3_000_000; i++) {
            sink = b.segmentWithSessionCredential();
        }
        int n = 2_000_000;
        for (int round = 1; round <= 5; round++) {
            long cpu0 = mx.getCurrentThreadCpuTime();
            long wall0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                sink = b.segmentWithSessionCredential();
            }
            double cpu = (mx.getCurrentThreadCpuTime() - cpu0) / 1e9;
            double wall = (System.nanoTime() - wall0) / 1e9;
            System.out.printf("round %d: %,.0f checks per CPU-second (%,.0f per wall-clock second)%n", round, n / cpu,
                    n / wall);
        }
        if (sink == null) {
            throw new IllegalStateException("no result");
        }
        b.tearDown();
    }
}
