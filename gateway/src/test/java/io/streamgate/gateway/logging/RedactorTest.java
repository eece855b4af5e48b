package io.streamgate.gateway.logging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.streamgate.filters.testing.TestKeys;
import io.streamgate.filters.testing.Tokens;
import io.streamgate.filters.token.TokenSource;
import io.streamgate.gateway.config.GatewayConfig;

/**
 * The redaction every logged value passes, whoever logged it: a token, a token fragment or a
 * credential parameter's value is masked in the message, its arguments (their {@code
 * toString}, as Jetty's request objects print their URI), its key/value fields and its
 * exception, in text and in JSON; the rest of the line is kept.
 */
class RedactorTest {
    private static final ObjectMapper JSON = new ObjectMapper();
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

    private void logEverywhere() {
        Logger jetty = LoggerFactory.getLogger("org.eclipse.jetty.server.HttpChannel");
        Logger ours = LoggerFactory.getLogger("io.streamgate.gateway.hls.HlsRoute");
        ours.debug("rewriting: http://origin/live/master.m3u8?token={}&keep=1", token);
        ours.info("token header {} seen", token.substring(0, token.indexOf('.')));
        jetty.warn("handling {}", new FakeRequest("/live/x.m3u8?token=" + token));
        jetty.warn("bad credential {}", "/live/seg.ts?sg_session=3.QUJDREVGR0hJSktMTU5PUA&n=2");
        ours.atInfo().setMessage("field").addKeyValue("path", "/x?SG_SESSION=3.QUJDREVGR0hJSktMTU5PUA").log();
        ours.error("failed", new IllegalArgumentException("bad uri /x?token=" + token));
        ours.info("a line that passes: route {} status {}", "live", 200);
        jetty.debug("under debug, Jetty stays at info: {}", "not written");
    }

    @Test
    void linesWithATokenOrCredentialAreKeptWithTheValueMasked() {
        long before = LogCounters.valuesRedacted();
        Logging.configure(new GatewayConfig.Log(GatewayConfig.LogLevel.DEBUG, GatewayConfig.LogFormat.TEXT, false), out);
        logEverywhere();
        List<String> lines = lines();
        assertThat(lines).noneMatch(l -> l.contains(token.substring(0, 20)) || l.contains("QUJDREVGR0hJSktMTU5PUA")
                || Redactor.carriesCredential(l));
        assertThat(lines).anyMatch(l -> l.contains("rewriting: http://origin/live/master.m3u8?token=[redacted]&keep=1"));
        assertThat(lines).anyMatch(l -> l.contains("token header [redacted] seen"));
        assertThat(lines).anyMatch(l -> l.contains("handling Request[GET /live/x.m3u8?token=[redacted]]"));
        assertThat(lines).anyMatch(l -> l.contains("bad credential /live/seg.ts?sg_session=[redacted]&n=2"));
        assertThat(lines).anyMatch(l -> l.contains("field path=\"/x?SG_SESSION=[redacted]\""));
        assertThat(lines).anyMatch(l -> l.contains("java.lang.IllegalArgumentException: bad uri /x?token=[redacted]"));
        assertThat(lines).anyMatch(l -> l.contains("a line that passes: route live status 200"));
        assertThat(lines).noneMatch(l -> l.contains("not written"));
        assertThat(LogCounters.valuesRedacted() - before).as("every masked run counted").isGreaterThanOrEqualTo(6);
    }

    @Test
    void jsonLinesAreMaskedTheSameWay() throws Exception {
        Logging.configure(new GatewayConfig.Log(GatewayConfig.LogLevel.DEBUG, GatewayConfig.LogFormat.JSON, false), out);
        logEverywhere();
        List<String> lines = lines();
        assertThat(lines).noneMatch(l -> l.contains(token.substring(0, 20)) || l.contains("QUJDREVGR0hJSktMTU5PUA")
                || Redactor.carriesCredential(l));
        List<JsonNode> parsed = lines.stream().map(RedactorTest::json).toList();
        assertThat(parsed).anyMatch(n -> n.path("message").asText()
                .equals("rewriting: http://origin/live/master.m3u8?token=[redacted]&keep=1"));
        assertThat(parsed).anyMatch(n -> n.path("path").asText().equals("/x?SG_SESSION=[redacted]"));
        assertThat(parsed).anyMatch(n -> n.path("stack_trace").asText()
                .startsWith("java.lang.IllegalArgumentException: bad uri /x?token=[redacted]"));
    }

    private static JsonNode json(String line) {
        try {
            return JSON.readTree(line);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + line, e);
        }
    }

    @Test
    void aRandomIdContainingEyJIsRedactedNotDropped() {
        Logging.configure(new GatewayConfig.Log(GatewayConfig.LogLevel.INFO, GatewayConfig.LogFormat.JSON, false), out);
        // revocation ids and sids are random base64url: one in about 13,000 holds "eyJ", one in 262,144 starts with it
        org.slf4j.Logger audit = LoggerFactory.getLogger("io.streamgate.gateway.admin.Revocations");
        audit.info("revocation k3PeyJq8wZtY0aLm0Qx2Rw added (request 68253bc813afe227)");
        audit.info("revocation eyJq8wZtY0aLm0Qx2RwAbC lifted (request 5e2a0c9b1d3f4a67)");
        List<String> lines = lines();
        assertThat(lines).as("both audit lines are kept").hasSize(2);
        assertThat(lines.get(0)).as("eyJ inside an id is no JOSE part: the id stays whole")
                .contains("\"message\":\"revocation k3PeyJq8wZtY0aLm0Qx2Rw added (request 68253bc813afe227)\"");
        assertThat(lines.get(1)).as("an id that starts like one is masked, the line kept")
                .contains("\"message\":\"revocation [redacted] lifted (request 5e2a0c9b1d3f4a67)\"");
    }

    @Test
    void credentialParametersAreRedactedUnderAnySpelling() {
        Redactor.credentialParameters(List.of(TokenSource.parse("query:CAT"), TokenSource.parse("cookie:auth_cookie"),
                TokenSource.parse("header:X-Token")));
        for (String spelling : List.of("sg_session", "SG_SESSION", "Sg_Session", "sg%5Fsession", "sg%5fsession",
                "%73g_session", "%53G_SESSION", "token", "Token", "TOKEN", "%74oken", "jwtoken", "cat", "CAT",
                "Auth_Cookie")) {
            String line = "GET /live/seg.ts?a=1&" + spelling + "=S3cr3tV4lue&b=2";
            assertThat(Redactor.redact(line)).as(spelling)
                    .isEqualTo("GET /live/seg.ts?a=1&" + spelling + "=[redacted]&b=2");
            assertThat(Redactor.redact("x " + spelling + "%3DS3cr3tV4lue y")).as(spelling + " with an encoded =")
                    .isEqualTo("x " + spelling + "%3D[redacted] y");
        }
        assertThat(Redactor.redact("Cookie: sg_token=abcdef; other=1")).isEqualTo("Cookie: sg_token=[redacted]; other=1");
        assertThat(Redactor.redact("/x?tokens=1&stream=token")).as("other names, and the word as a value, stay")
                .isEqualTo("/x?tokens=1&stream=token");
    }

    @Test
    void whatCountsAsACredential() {
        assertThat(Redactor.carriesCredential(token)).isTrue();
        assertThat(Redactor.redact("Bearer " + token + " end")).isEqualTo("Bearer [redacted] end");
        assertThat(Redactor.carriesCredential("x " + token.substring(0, 12) + " y")).as("a header fragment").isTrue();
        assertThat(Redactor.redact("{%22t%22:%22" + token + "%22}")).as("percent-encoded JSON around it")
                .startsWith("{%22t%22:%").endsWith("[redacted]%22}").doesNotContain("eyJ");
        assertThat(Redactor.redact("sig." + token.substring(token.indexOf('.') + 1))).as("the payload and signature")
                .isEqualTo("sig.[redacted]");
        assertThat(Redactor.redact("aaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbb.cccccccccccccccccccc"))
                .as("JWS-shaped without eyJ").isEqualTo("[redacted]");
        String credential = "3." + "QUJDREVGR0hJSktMTU5PUA".repeat(3);
        assertThat(Redactor.redact("credential " + credential)).as("a bare session credential")
                .isEqualTo("credential [redacted]");
        assertThat(Redactor.carriesCredential("/seg.ts?sg_session=2.abc")).isTrue();
        for (String harmless : List.of("route live: hls [GET, HEAD] /live/ -> http://127.0.0.1:1/live/",
                "org.eclipse.jetty.server.internal.HttpChannelState", "version 1.5.38 on Java 17.0.12",
                "requestId=68253bc813afe227 sid=9f0c2b1d4e5a6f70")) {
            assertThat(Redactor.carriesCredential(harmless)).as(harmless).isFalse();
            assertThat(Redactor.redact(harmless)).isSameAs(harmless);
        }
        assertThat(Redactor.carriesCredential(null)).isFalse();
        assertThat(Redactor.redact(Redactor.redact("a?token=x1"))).as("masking twice changes nothing")
                .isEqualTo("a?token=[redacted]");
    }
}
