package io.streamgate.filters.testing;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import io.streamgate.filters.Authorizer;
import io.streamgate.filters.crypto.CryptoProvider;
import io.streamgate.filters.crypto.SignatureVerifier;
import io.streamgate.filters.keys.KeyRegistry;
import io.streamgate.filters.metrics.StreamGateMetrics;

/** Shared wiring for tests: a provider choice made once per JVM, a registry, metrics. */
public final class Fixture {
    private static volatile SignatureVerifier auto;

    private Fixture() {
    }

    public static SignatureVerifier crypto() {
        SignatureVerifier v = auto;
        if (v == null) {
            synchronized (Fixture.class) {
                if (auto == null) {
                    auto = SignatureVerifier.select(CryptoProvider.AUTO);
                }
                v = auto;
            }
        }
        return v;
    }

    /** A registry holding the given keys' public PEMs under their kids. */
    public static KeyRegistry registry(TestKeys... keys) {
        KeyRegistry.Builder b = KeyRegistry.builder(crypto());
        for (int i = 0; i < keys.length; i++) {
            b.addStatic(keys[i].publicPem(), keys[i].kid(), "keys[" + i + "]");
        }
        return b.build();
    }

    public static StreamGateMetrics metrics() {
        return new StreamGateMetrics(new SimpleMeterRegistry());
    }

    /** The value of {@code streamgate_decisions_total} for a route, result and reason. */
    public static double decisions(MeterRegistry registry, String route, String result, String reason) {
        Counter c = registry.find("streamgate.decisions").tag("route", route).tag("result", result)
                .tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    /** Sum of a counter over all its tag values that match the given pairs. */
    public static double count(MeterRegistry registry, String name, String... tags) {
        var search = registry.find(name);
        for (int i = 0; i + 1 < tags.length; i += 2) {
            search = search.tag(tags[i], tags[i + 1]);
        }
        return search.counters().stream().mapToDouble(Counter::count).sum();
    }

    /** A default authorizer over the given keys with the given clock. */
    public static Authorizer.Builder authorizer(MutableClock clock, StreamGateMetrics metrics, TestKeys... keys) {
        return Authorizer.builder(registry(keys), crypto()).clock(clock).metrics(metrics);
    }
}
