package io.streamgate.loadtest.jmh;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Reads StreamGate's own counters so a benchmark can prove, at the end of a trial, that it
 * measured the path it claims to (every decision allowed; cache hits or misses only).
 */
record DecisionCounters(double cacheHits, double cacheMisses, double allowed, double denied) {

    static DecisionCounters of(MeterRegistry registry) {
        return new DecisionCounters(
                sum(registry, "streamgate.token.cache.requests", "result", "hit"),
                sum(registry, "streamgate.token.cache.requests", "result", "miss"),
                sum(registry, "streamgate.decisions", "result", "allowed"),
                sum(registry, "streamgate.decisions", "result", "denied"));
    }

    DecisionCounters minus(DecisionCounters before) {
        return new DecisionCounters(cacheHits - before.cacheHits, cacheMisses - before.cacheMisses,
                allowed - before.allowed, denied - before.denied);
    }

    private static double sum(MeterRegistry registry, String name, String tag, String value) {
        return registry.find(name).tag(tag, value).counters().stream().mapToDouble(Counter::count).sum();
    }
}
