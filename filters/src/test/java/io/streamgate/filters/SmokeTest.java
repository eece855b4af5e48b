package io.streamgate.filters;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.streamgate.filters.crypto.CryptoProvider;
import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.testing.Fixture;
import io.streamgate.filters.testing.MutableClock;
import io.streamgate.filters.testing.TestKeys;
import io.streamgate.filters.testing.Tokens;

class SmokeTest {
    @Test
    void pipeline() {
        System.out.println(Fixture.crypto().describe());
        MutableClock clock = MutableClock.fixed();
        TestKeys k = TestKeys.es256("k1");
        Authorizer a = Fixture.authorizer(clock, Fixture.metrics(), k).build();
        String t = Tokens.signedBy(k, clock).sign();
        Verdict v = a.authorize(RoutePolicy.anyValidToken("r", "/"), BasicRequestView.of("/x?token=" + t))
                .toCompletableFuture().join();
        assertThat(v.allowed()).as(v.toString()).isTrue();
        assertThat(Fixture.crypto().providerFor(JwsAlgorithm.ES256)).isEqualTo(CryptoProvider.CONSCRYPT);
    }
}
