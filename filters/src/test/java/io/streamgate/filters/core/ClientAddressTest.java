package io.streamgate.filters.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;

import org.junit.jupiter.api.Test;

/** Who the viewer is: X-Forwarded-For is believed only from trusted proxies. */
class ClientAddressTest {
    private static final String KEY = "clientIp.trustedProxies";
    private static final ClientAddress TEN_SLASH_8 = ClientAddress.trusting(List.of("10.0.0.0/8"), KEY);

    private static RequestView from(String peer, String... xffLines) {
        BasicRequestView.Builder b = BasicRequestView.builder("/x").remoteAddress(peer);
        for (String line : xffLines) {
            b.header("X-Forwarded-For", line);
        }
        return b.build();
    }

    @Test
    void withoutTrustedProxiesTheRemoteAddressIsTheClient() {
        assertThat(ClientAddress.trustingNone().resolve(from("203.0.113.7"))).isEqualTo("203.0.113.7");
        assertThat(ClientAddress.trusting(List.of(), KEY).resolve(from("10.0.0.1", "198.51.100.9")))
                .isEqualTo("10.0.0.1");
    }

    @Test
    void trustedProxyPassesOnTheForwardedClient() {
        assertThat(TEN_SLASH_8.resolve(from("10.1.2.3", "203.0.113.7"))).isEqualTo("203.0.113.7");
    }

    @Test
    void rightmostUntrustedHopIsTheClientNotTheLeftmostClaim() {
        // The viewer wrote "198.51.100.1" itself; its real address was appended by our proxies.
        assertThat(TEN_SLASH_8.resolve(from("10.1.2.3", "198.51.100.1, 203.0.113.9, 10.0.0.5")))
                .isEqualTo("203.0.113.9");
    }

    @Test
    void forwardedForFromAnUntrustedPeerIsIgnored() {
        assertThat(TEN_SLASH_8.resolve(from("198.51.100.50", "10.0.0.1, 203.0.113.9"))).isEqualTo("198.51.100.50");
    }

    @Test
    void trustedPeerWithoutForwardedForIsItselfTheClient() {
        assertThat(TEN_SLASH_8.resolve(from("10.1.2.3"))).isEqualTo("10.1.2.3");
    }

    @Test
    void whenEveryHopIsTrustedTheLeftmostIsTheClient() {
        assertThat(TEN_SLASH_8.resolve(from("10.1.2.3", "10.9.9.9, 10.0.0.5"))).isEqualTo("10.9.9.9");
    }

    @Test
    void severalHeaderLinesAreReadAsOneListLastLineNearest() {
        assertThat(TEN_SLASH_8.resolve(from("10.1.2.3", "198.51.100.1", "203.0.113.9, 10.0.0.5")))
                .isEqualTo("203.0.113.9");
        assertThat(TEN_SLASH_8.resolve(from("10.1.2.3", "198.51.100.1", "10.0.0.5"))).isEqualTo("198.51.100.1");
    }

    @Test
    void garbageNearestUsIsNeverReturned() {
        assertThat(TEN_SLASH_8.resolve(from("10.1.2.3", "203.0.113.9, unknown"))).isEqualTo("10.1.2.3");
        assertThat(TEN_SLASH_8.resolve(from("10.1.2.3", "203.0.113.9, evil.example.com"))).isEqualTo("10.1.2.3");
        assertThat(TEN_SLASH_8.resolve(from("10.1.2.3", "1.2.3.4:5678"))).isEqualTo("10.1.2.3");
        assertThat(TEN_SLASH_8.resolve(from("10.1.2.3", "300.1.1.1"))).isEqualTo("10.1.2.3");
        assertThat(TEN_SLASH_8.resolve(from("10.1.2.3", "1.2.3"))).isEqualTo("10.1.2.3");
    }

    @Test
    void malformedIpv6LookingHopsAreGarbageToo() {
        // Characters of an IPv6 literal, but not one: must not become the "client address".
        assertThat(TEN_SLASH_8.resolve(from("10.1.2.3", "203.0.113.9, dead:beef"))).isEqualTo("10.1.2.3");
        assertThat(TEN_SLASH_8.resolve(from("10.1.2.3", ":::::"))).isEqualTo("10.1.2.3");
        assertThat(TEN_SLASH_8.resolve(from("10.1.2.3", "[2001:db8::1]"))).isEqualTo("10.1.2.3");
        // Not starting with a hex digit or ':' would be a host name to InetAddress (a DNS lookup).
        assertThat(TEN_SLASH_8.resolve(from("10.1.2.3", ".1:2"))).isEqualTo("10.1.2.3");
        assertThat(TEN_SLASH_8.isTrusted(".1:2")).isFalse();
    }

    @Test
    void ipv4MappedHopIsAValidClient() {
        assertThat(TEN_SLASH_8.resolve(from("10.1.2.3", "::ffff:203.0.113.9"))).isEqualTo("::ffff:203.0.113.9");
    }

    @Test
    void garbageBehindATrustedHopStopsAtThatHop() {
        assertThat(TEN_SLASH_8.resolve(from("10.1.2.3", "<script>, 10.0.0.5"))).isEqualTo("10.0.0.5");
    }

    @Test
    void emptyHopsAreSkipped() {
        assertThat(TEN_SLASH_8.resolve(from("10.1.2.3", "203.0.113.9,, ,"))).isEqualTo("203.0.113.9");
    }

    @Test
    void ipv6ProxiesAndClients() {
        ClientAddress v6 = ClientAddress.trusting(List.of("2001:db8::/32", "::1"), KEY);
        assertThat(v6.resolve(from("2001:db8::10", "2a00:1450:4001::5, 2001:db8:ffff::20")))
                .isEqualTo("2a00:1450:4001::5");
        assertThat(v6.resolve(from("::1", "2a00:1450:4001::5"))).isEqualTo("2a00:1450:4001::5");
        assertThat(v6.resolve(from("2001:db9::1", "2a00:1450:4001::5"))).isEqualTo("2001:db9::1");
    }

    @Test
    void ipv4MappedIpv6PeerMatchesAnIpv4Range() {
        assertThat(TEN_SLASH_8.isTrusted("::ffff:10.0.0.1")).isTrue();
        assertThat(TEN_SLASH_8.resolve(from("::ffff:10.0.0.1", "203.0.113.9"))).isEqualTo("203.0.113.9");
        assertThat(TEN_SLASH_8.isTrusted("::ffff:11.0.0.1")).isFalse();
    }

    @Test
    void ipv4RangeDoesNotCoverIpv6Addresses() {
        ClientAddress all4 = ClientAddress.trusting(List.of("0.0.0.0/0"), KEY);
        assertThat(all4.isTrusted("198.51.100.1")).isTrue();
        assertThat(all4.isTrusted("2001:db8::1")).isFalse();
    }

    @Test
    void prefixNotOnAByteBoundary() {
        ClientAddress c = ClientAddress.trusting(List.of("10.0.0.0/12"), KEY);
        assertThat(c.isTrusted("10.15.255.255")).isTrue();
        assertThat(c.isTrusted("10.16.0.0")).isFalse();
    }

    @Test
    void bareAddressTrustsOneHost() {
        ClientAddress c = ClientAddress.trusting(List.of("192.168.1.10"), KEY);
        assertThat(c.isTrusted("192.168.1.10")).isTrue();
        assertThat(c.isTrusted("192.168.1.11")).isFalse();
    }

    @Test
    void hostnamesAndGarbageAreNeverTrusted() {
        assertThat(TEN_SLASH_8.isTrusted("localhost")).isFalse();
        assertThat(TEN_SLASH_8.isTrusted("")).isFalse();
        assertThat(TEN_SLASH_8.isTrusted(null)).isFalse();
    }

    @Test
    void cidrParseErrorNamesTheKeyAndIndex() {
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> ClientAddress.trusting(List.of("10.0.0.0/8", "banana"), KEY));
        assertThat(e.problems()).containsExactly("clientIp.trustedProxies[1]: not a CIDR: \"banana\"");
    }

    @Test
    void everyBadCidrIsReported() {
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> ClientAddress.trusting(List.of("10.0.0.0/33", "::1/129", "10.0.0.0/x", "localhost",
                        "10.0.0.0/-1", "", "10.0.0.0/8"), KEY));
        assertThat(e.problems()).hasSize(6);
        for (int i = 0; i < 6; i++) {
            assertThat(e.problems().get(i)).startsWith(KEY + "[" + i + "]: not a CIDR");
        }
    }
}
