package io.streamgate.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

class TargetPolicyTest {
    private final TargetPolicy policy = new TargetPolicy(List.of());

    @Test
    void acceptsLoopbackOnly() {
        assertThat(policy.allows(URI.create("http://127.0.0.1:8080/live/demo/master.m3u8"))).isTrue();
        assertThat(policy.allows(URI.create("http://127.9.8.7/"))).isTrue();
        assertThat(policy.allows(URI.create("http://localhost:8080/"))).isTrue();
        assertThat(policy.allows(URI.create("http://LocalHost/"))).isTrue();
        assertThat(policy.allows(URI.create("ws://[::1]:8080/h5live/authstream"))).isTrue();

        assertThat(policy.allows(URI.create("http://10.0.0.1/"))).isFalse();
        assertThat(policy.allows(URI.create("http://example.com/"))).isFalse();
        assertThat(policy.allows(URI.create("http://0.0.0.0/"))).isFalse();
        assertThat(policy.allows(URI.create("http://128.0.0.1/"))).isFalse();
        assertThat(policy.allows(URI.create("http://127.0.0.256/"))).isFalse();
        assertThat(policy.allows(URI.create("http://[::2]/"))).isFalse();
        assertThat(policy.allows(URI.create("http://127.0.0.1.example.com/"))).isFalse();
        assertThat(policy.allows(URI.create("http://localhost.example.com/"))).isFalse();
        assertThatThrownBy(() -> policy.check(URI.create("http://10.0.0.1/x?token=secret")))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining("10.0.0.1").hasMessageContaining("--allow-host")
                .hasMessageNotContaining("secret");
        assertThatThrownBy(() -> policy.check(URI.create("https://example.com/")))
                .isInstanceOf(UsageException.class);
    }

    @Test
    void allowHostIsExact() {
        TargetPolicy p = new TargetPolicy(List.of("stage.example.net", "10.0.0.7"));
        assertThat(p.allows(URI.create("http://stage.example.net:8080/"))).isTrue();
        assertThat(p.allows(URI.create("http://10.0.0.7/"))).isTrue();
        assertThat(p.allows(URI.create("http://other.example.net/"))).isFalse();
        assertThat(p.allows(URI.create("http://10.0.0.8/"))).isFalse();
    }

    @Test
    void resolverRefusesOtherHostsAndKeepsLoopbackAddresses() throws Exception {
        assertThatThrownBy(() -> policy.resolve("10.0.0.1", 80))
                .isInstanceOf(TargetPolicy.RefusedTargetException.class);
        assertThatThrownBy(() -> policy.resolve("example.com", 80))
                .isInstanceOf(TargetPolicy.RefusedTargetException.class);
        List<InetSocketAddress> local = policy.resolve("localhost", 8080);
        assertThat(local).isNotEmpty().allSatisfy(a -> {
            assertThat(a.getAddress().isLoopbackAddress()).isTrue();
            assertThat(a.getPort()).isEqualTo(8080);
        });
        assertThat(policy.resolve("[::1]", 1)).singleElement()
                .satisfies(a -> assertThat(a.getAddress().isLoopbackAddress()).isTrue());
    }

    @Test
    void commandLineRefusesNonLoopbackTargetsWithExitTwo() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.execute(new PrintStream(out), new PrintStream(err), "http-rate", "--quiet",
                "--rate", "10", "--duration", "1s", "--target", "http://10.0.0.1:8080/live/demo/master.m3u8");
        assertThat(code).isEqualTo(Main.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("refused target").contains("10.0.0.1");

        code = Main.execute(new PrintStream(out), new PrintStream(err), "http-rate", "--quiet",
                "--target", "a=http://127.0.0.1:1/", "--target", "b=http://example.com/");
        assertThat(code).isEqualTo(Main.USAGE); // several targets need --compare
        code = Main.execute(new PrintStream(out), new PrintStream(err), "http-rate", "--quiet", "--compare",
                "--target", "a=http://127.0.0.1:1/", "--target", "b=http://example.com/");
        assertThat(code).isEqualTo(Main.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("example.com");
    }

    @Test
    void targetsParseNamesAndUrls() {
        Target t = Target.parse("gateway=http://127.0.0.1:8080/live/demo/master.m3u8?token=abc");
        assertThat(t.name()).isEqualTo("gateway");
        assertThat(t.display()).isEqualTo("http://127.0.0.1:8080/live/demo/master.m3u8");
        assertThat(Target.parse("http://127.0.0.1:8080/x?a=b=c").name()).isEqualTo("127.0.0.1:8080");
        assertThat(Target.parse("ws://localhost/h5live").httpUri()).hasToString("http://localhost/h5live");
        assertThat(Target.parse("https://localhost/h5live").wsUri()).hasToString("wss://localhost/h5live");
        assertThat(Target.parseAll(List.of("http://127.0.0.1:1/", "http://127.0.0.1:1/a")))
                .extracting(Target::name).containsExactly("127.0.0.1:1", "127.0.0.1:1#2");
        assertThatThrownBy(() -> Target.parse("ftp://127.0.0.1/")).isInstanceOf(UsageException.class);
        assertThatThrownBy(() -> Target.parse("/live/demo")).isInstanceOf(UsageException.class);
    }
}
