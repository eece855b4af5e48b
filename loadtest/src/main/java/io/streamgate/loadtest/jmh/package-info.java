/**
 * JMH microbenchmarks of the verification library: the bare provider signature check
 * ({@link io.streamgate.loadtest.jmh.RawSignatureBenchmark}), a full decision on a token never
 * seen before ({@link io.streamgate.loadtest.jmh.ColdDecisionBenchmark}) and on a cached one
 * ({@link io.streamgate.loadtest.jmh.WarmDecisionBenchmark}). None runs during {@code verify}.
 *
 * <pre>{@code
 * ./mvnw -B -q -o install -DskipTests -pl filters -am && ./mvnw -B -q -o package -pl loadtest -DskipTests
 * java -jar loadtest/target/streamgate-benchmarks.jar 'Raw|Cold|Warm'
 * }</pre>
 */
package io.streamgate.loadtest.jmh;
