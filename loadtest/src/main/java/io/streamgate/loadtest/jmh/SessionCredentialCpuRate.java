package io.streamgate.loadtest.jmh;

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
        CpuRate.measure(b::segmentWithSessionCredential);
        b.tearDown();
    }
}
