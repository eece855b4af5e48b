package io.streamgate.gateway.cli;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jose4j.json.JsonUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;

import io.streamgate.filters.testing.TestKeys;
import io.streamgate.filters.testing.Tokens;

/**
 * The admin and key commands against hostile answers: an admin answer that never ends, escape
 * sequences in admin error bodies, JWKS values and configured kids. Nothing hangs, nothing
 * reaches the terminal raw.
 */
class HostileInputTest {
    private static final char ESC = '\u001b';

    @TempDir
    Path dir;

    private ServerSocket server;
    private WireMockServer jwks;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (jwks != null) {
            jwks.stop();
        }
    }

    /** A raw HTTP server that answers every request with {@code head} and then, if {@code drip}, a body byte per 200 ms forever. */
    private String rawServer(String head, boolean drip) throws Exception {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread c = new Thread(() -> {
                        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                            byte[] buf = new byte[8192];
                            in.read(buf); // the request head (small)
                            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
                            out.flush();
                            while (drip && !server.isClosed()) {
                                out.write("1\r\n \r\n".getBytes(StandardCharsets.ISO_8859_1));
                                out.flush();
                                Thread.sleep(200); // the hostile server's pace, not synchronisation
                            }
                        } catch (Exception e) {
                            // client gone
                        }
                    });
                    c.setDaemon(true);
                    c.start();
                } catch (Exception e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    /**
     * AdminApi promises "10 s per request", but HttpRequest.timeout only bounds the wait for the
     * response head: an admin answer that starts and never ends (a wrong --admin URL, a proxy,
     * a hostile listener) blocks revocations list / revoke / keys --admin forever, buffering
     * everything it receives (BodyHandlers.ofString(): no size limit either).
     */
    @Test
    void anAdminAnswerThatNeverEndsDoesNotHangTheCommand() throws Exception {
        String admin = rawServer("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n1\r\n{\r\n", true);
        CliRun r = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> CliRun.run("revocations", "list", "--admin", admin),
                "revocations list still waiting after 60 s for an answer that never ends");
        assertThat(r.code()).isEqualTo(1);
    }

    /** AdminApi.unexpected prints the gateway's body as it is: terminal escape sequences included. */
    @Test
    void anErrorAnswerIsPrintedWithoutTerminalControlCharacters() throws Exception {
        String body = "{\"error\":\"x" + ESC + "]0;owned" + '\u0007' + ESC + "[31mRED\"}";
        String admin = rawServer("HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\nConnection: close\r\n\r\n" + body, false);
        CliRun r = CliRun.run("revocations", "list", "--admin", admin);
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("403").doesNotContain(String.valueOf(ESC));
    }

    /** keys --config prints a remote JWKS's skipped-key problems raw: its "use" value reaches the terminal. */
    @Test
    void aJwksValueIsPrintedWithoutTerminalControlCharacters() throws Exception {
        Map<String, Object> good = TestKeys.es256("good").jwk();
        Map<String, Object> evil = new LinkedHashMap<>(TestKeys.es256("evil").jwk());
        evil.put("use", ESC + "]0;owned" + '\u0007' + ESC + "[2J");
        jwks = new WireMockServer(WireMockConfiguration.options().dynamicPort().bindAddress("127.0.0.1"));
        jwks.start();
        jwks.stubFor(get(urlPathEqualTo("/jwks.json")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json")
                .withBody(JsonUtil.toJson(Map.of("keys", List.of(good, evil))))));
        Path c = Files.writeString(dir.resolve("gateway.yaml"), "keys: [{jwks: '" + jwks.baseUrl() + "/jwks.json'}]\n"
                + "routes:\n  - {name: hls, path: /live/, type: hls, upstream: 'http://127.0.0.1:1/live/'}\n");
        CliRun r = CliRun.run("keys", "--config", c.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.err()).contains("skipped").doesNotContain(String.valueOf(ESC));
    }

    /** verify's new unknown_key line sanitises the token's kid but prints the configured kids (from a JWKS) raw. */
    @Test
    void verifyListsTheConfiguredKidsWithoutTerminalControlCharacters() throws Exception {
        TestKeys served = TestKeys.es256("served");
        Map<String, Object> jwk = new LinkedHashMap<>(served.jwk());
        jwk.put("kid", ESC + "[31mred-kid" + ESC + "[0m");
        Files.writeString(dir.resolve("jwks.json"), JsonUtil.toJson(Map.of("keys", new ArrayList<>(List.of(jwk)))));
        Path c = Files.writeString(dir.resolve("gateway.yaml"), "keys: [{file: jwks.json}]\n"
                + "routes:\n  - {name: hls, path: /live/, type: hls, upstream: 'http://127.0.0.1:1/live/'}\n");
        String token = Tokens.signedBy(TestKeys.es256("other"), Instant.now().getEpochSecond())
                .claim("exp", Instant.now().getEpochSecond() + 600).sign();
        CliRun r = CliRun.withInput(token, "verify", "--config", c.toString(), "-");
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).contains("unknown_key: token kid \"other\"").doesNotContain(String.valueOf(ESC));
    }
}
