package io.streamgate.loadtest.jmh;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * {@link SegmentCheckBenchmark#segment} (100,000 revocations, 10,000 ended sessions) counted
 * against the thread's CPU time instead of wall time, as {@link SessionCredentialCpuRate} does
 * for the credential alone: on a shared machine, checks per CPU-second on one thread are what
 * the code costs. Warms up with 3 M calls, then 5 rounds of 2 M.
 *
 * <p>Run: {@code java -cp loadtest/target/streamgate-benchmarks.jar io.streamgate.loadtest.jmh.SegmentCheckCpuRate [revocations] [ended]}
 */
public final class SegmentCheckCpuRate {
    private SegmentCheckCpuRate() {
    }

    public static void main(String[] args) {
        SegmentCheckBenchmark b = new SegmentCheckBenchmark();
        b.revocations = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        b.ended = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
        b.setUp();
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Object sink = null;
        for (int i = 0; i < 3_000_000; i++) {
            sink = b.segment();
        }
        int n = 2_000_000;
        System.out.printf("%,d revocations, %,d ended sessions%n", b.revocations, b.ended);
        for (int round = 1; round <= 5; round++) {
            long cpu0 = mx.getCurrentThreadCpuTime();
            long wall0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                sink = b.segment();
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
