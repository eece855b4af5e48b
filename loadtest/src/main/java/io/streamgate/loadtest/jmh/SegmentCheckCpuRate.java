package io.streamgate.loadtest.jmh;

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
        System.out.printf("%,d revocations, %,d ended sessions%n", b.revocations, b.ended);
        CpuRate.measure(b::segment);
        b.tearDown();
    }
}
