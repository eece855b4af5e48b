/**
 * The load generator ({@code loadtest/target/streamgate-loadtest.jar}): {@link io.streamgate.loadtest.Main}
 * and its scenarios ({@code http-rate}, {@code hls-viewers}, {@code ws-viewers},
 * {@code join-storm}) on Jetty's asynchronous HTTP and WebSocket clients, with per-target
 * {@link io.streamgate.loadtest.Recorder}s (HdrHistogram) and a Markdown/JSON
 * {@link io.streamgate.loadtest.Report}. Only loopback or explicitly allowed hosts are ever
 * contacted ({@link io.streamgate.loadtest.TargetPolicy}). The JMH benchmarks live in
 * {@code io.streamgate.loadtest.jmh}.
 */
package io.streamgate.loadtest;
