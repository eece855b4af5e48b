package io.streamgate.gateway.logging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.streamgate.filters.testing.TestKeys;
import io.streamgate.filters.testing.Tokens;
import io.streamgate.gateway.config.GatewayConfig;

/**
 * The backstop: a line carrying a token or a session credential, in its message, its
 * arguments (their {@code toString}, as Jetty's request objects print their URI) or its
 * exception, never reaches the output, whatever logger wrote it; the rest passes.
 */
class CredentialFilterTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final String token = Tokens.signedBy(TestKeys.es256("k1"), System.currentTimeMillis() / 1000).sign();

    @AfterEach
    void restore() {
        Logging.restoreDefault();
    }

    private List<String> lines() {
        Logging.restoreDefault(); // flushes
        return out.toString(StandardCharsets.UTF_8).lines().toList();
    }

    /** Stands for a Jetty request whose toString prints its URI, query and all. */
    private record FakeRequest(String uri) {
        @Override
        public String toString() {
            return "Request[GET " + uri + "]";
        }
    }

    @Test
    void linesWithATokenOrCredentialAreDroppedAndReportedWithoutIt() {
        Logging.configure(new GatewayConfig.Log(GatewayConfig.LogLevel.DEBUG, GatewayConfig.LogFormat.TEXT, false), out);
        Logger jetty = LoggerFactory.getLogger("org.eclipse.jetty.server.HttpChannel");
        Logger ours = LoggerFactory.getLogger("io.streamgate.gateway.hls.HlsRoute");
        ours.debug("rewriting: http://origin/live/master.m3u8?token={}", token);
        ours.info("token header {}", token.substring(0, token.indexOf('.')));
        jetty.warn("handling {}", new FakeRequest("/live/x.m3u8?token=" + token));
        jetty.warn("bad credential {}", "/live/seg.ts?sg_session=2.QUJDREVGR0hJSktMTU5PUA");
        ours.error("failed", new IllegalArgumentException("bad uri /x?token=" + token));
        ours.info("a line that passes: route {} status {}", "live", 200);
        jetty.debug("under debug, Jetty stays at info: {}", "not written");
        List<String> lines = lines();
        assertThat(lines).noneMatch(l -> l.contains(token.substring(0, 20)) || l.contains("sg_session=")
                || CredentialFilter.carriesCredential(l));
        assertThat(lines).anyMatch(l -> l.contains("a line that passes: route live status 200"));
        assertThat(lines).noneMatch(l -> l.contains("not written"));
        assertThat(lines).as("one report per interval, naming logger and level only")
                .filteredOn(l -> l.contains(CredentialFilter.REPORT_LOGGER)).hasSize(1)
                .allMatch(l -> l.contains("dropped a DEBUG line of logger io.streamgate.gateway.hls.HlsRoute"));
    }

    @Test
    void whatCountsAsACredential() {
        assertThat(CredentialFilter.carriesCredential(token)).isTrue();
        assertThat(CredentialFilter.carriesCredential("x " + token.substring(0, 12) + " y")).as("a header fragment").isTrue();
        assertThat(CredentialFilter.carriesCredential("aaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbb.cccccccccccccccccccc"))
                .as("JWS-shaped without eyJ").isTrue();
        assertThat(CredentialFilter.carriesCredential("/seg.ts?sg_session=2.abc")).isTrue();
        assertThat(CredentialFilter.carriesCredential("route live: hls [GET, HEAD] /live/ -> http://127.0.0.1:1/live/"))
                .isFalse();
        assertThat(CredentialFilter.carriesCredential("org.eclipse.jetty.server.internal.HttpChannelState")).isFalse();
        assertThat(CredentialFilter.carriesCredential(null)).isFalse();
    }
}
