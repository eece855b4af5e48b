package io.streamgate.gateway.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.jose4j.json.JsonUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.streamgate.filters.testing.TestKeys;
import io.streamgate.gateway.GatewayHarness;
import io.streamgate.gateway.runtime.GatewayServer;

/**
 * The revocation API reads its body strictly (issue 21): a member twice ({@code "sub"} twice:
 * which subject is revoked?) or anything after the object is {@code 400 malformed_request}
 * saying so, and revokes nothing. A real gateway and Java's HttpClient.
 */
class RevocationsTest {
    @TempDir
    Path dir;

    private final TestKeys key = TestKeys.es256("k1");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private GatewayServer gateway;

    @BeforeEach
    void start() throws Exception {
        gateway = GatewayHarness.start(dir, key, GatewayHarness.head(key, 0)
                + "routes: [{name: r, path: /r/, type: http, upstream: 'http://127.0.0.1:1/'}]\n", Clock.systemUTC());
    }

    @AfterEach
    void stop() throws Exception {
        gateway.close();
    }

    private HttpResponse<String> post(String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.adminPort() + "/revocations"))
                .timeout(Duration.ofSeconds(20)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private List<?> inForce() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.adminPort()
                + "/revocations")).build(), HttpResponse.BodyHandlers.ofString());
        return (List<?>) JsonUtil.parseJson(r.body()).get("revocations");
    }

    private static Map<String, Object> malformed(HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        Map<String, Object> json = JsonUtil.parseJson(r.body());
        assertThat(json).containsEntry("error", "invalid_request").containsEntry("reason", "malformed_request");
        return json;
    }

    @Test
    void revocationBodyWithDuplicateMembersIsRefused() throws Exception {
        assertThat(malformed(post("{\"sub\":\"alice\",\"sub\":\"bob\"}"))).containsEntry("detail", "a field appears twice");
        assertThat(malformed(post("{\"jti\":\"j1\",\"ttl\":\"1h\",\"ttl\":\"366d\"}")))
                .containsEntry("detail", "a field appears twice");
        assertThat(malformed(post("{\"sub\":\"alice\",\"reason\":{\"a\":1,\"a\":2}}")))
                .as("in a nested object too").containsEntry("detail", "a field appears twice");
        assertThat(inForce()).as("nothing revoked").isEmpty();
        assertThat(post("{\"sub\":\"bob\"}").statusCode()).isEqualTo(201);
        assertThat(inForce()).hasSize(1);
    }

    @Test
    void revocationBodyWithTrailingContentIsRefused() throws Exception {
        assertThat(malformed(post("{\"sub\":\"alice\"} {\"sub\":\"bob\"}")))
                .containsEntry("detail", "content after the JSON value");
        assertThat(malformed(post("{\"sub\":\"alice\"}[]"))).containsEntry("detail", "content after the JSON value");
        for (String trailing : new String[] {" garbage", "}", ",", " 1"}) {
            malformed(post("{\"sub\":\"alice\"}" + trailing));
        }
        assertThat(inForce()).as("nothing revoked").isEmpty();
        assertThat(post("{\"sub\":\"alice\"}\r\n").statusCode()).as("trailing whitespace is no content").isEqualTo(201);
    }
}
