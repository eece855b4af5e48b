package io.streamgate.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

import org.jose4j.json.JsonUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.streamgate.filters.core.ConfigException;
import io.streamgate.filters.testing.TestKeys;
import io.streamgate.gateway.GatewayHarness;
import io.streamgate.gateway.cli.Main;
import io.streamgate.gateway.logging.Logging;
import io.streamgate.gateway.runtime.GatewayServer;

/**
 * Secrets a configuration holds (a Redis password, credentials in a JWKS or upstream URL, the
 * admin token, the HLS session secret) never come back out of an error: not in {@code POST
 * /reload}'s 422, not in the log, not in {@code check-config}'s output, not at start-up; the
 * problem still names its key and shows the value with {@code ***} where the secret was.
 */
@SuppressWarnings("unchecked")
class ConfigSecretsTest {
    private static final String SECRET = "S3CRETPASS";
    private static final String ADMIN_TOKEN = "admin-tok-" + SECRET + "-0123456789";

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private GatewayServer gateway;

    @BeforeEach
    void key() throws Exception {
        Files.writeString(dir.resolve("k1.pem"), TestKeys.es256("k1").publicPem());
    }

    @AfterEach
    void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        Logging.restoreDefault();
    }

    private static String config(String more) {
        return "listen: {host: 127.0.0.1, port: 0}\nwarmup: {verifications: 0}\n"
                + "admin: {host: 127.0.0.1, port: 0, token: " + ADMIN_TOKEN + "}\n"
                + "keys: [{kid: k1, file: k1.pem}]\n"
                + "routes: [{name: r, path: /r/, type: http, upstream: 'http://127.0.0.1:1/'}]\n" + more;
    }

    /** check-config on {@code yaml}: exit 2 expected; returns what it printed. */
    private String checkConfig(String yaml) throws Exception {
        Path file = dir.resolve("check.yaml");
        Files.writeString(file, yaml);
        PrintStream savedOut = System.out;
        PrintStream savedErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(out, true, StandardCharsets.UTF_8));
            code = Main.execute("check-config", "--config", file.toString());
        } finally {
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        assertThat(code).as(printed).isEqualTo(Main.USAGE);
        return printed;
    }

    @Test
    void configErrorsNeverEchoARedisPassword() throws Exception {
        // POST /reload's 422 and the log lines of the rejected reload
        Logging.configure(GatewayConfig.Log.DEFAULT, log);
        gateway = GatewayHarness.startFromFile(dir, config(""), Clock.systemUTC());
        Files.writeString(dir.resolve("gateway.yaml"),
                config("replay: {store: redis, redis: 'redis://:" + SECRET + "@127.0.0.1:notaport'}\n"));
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.adminPort()
                + "/reload")).header("Authorization", "Bearer " + ADMIN_TOKEN)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
        assertThat((List<String>) JsonUtil.parseJson(r.body()).get("problems")).singleElement().asString()
                .startsWith("replay.redis: not a port: \"notaport\"")
                .contains("redis://:***@127.0.0.1:notaport");
        assertThat(r.body()).doesNotContain(SECRET);
        gateway.close();
        gateway = null;
        Logging.restoreDefault(); // drains the asynchronous log into the capture
        String lines = log.toString(StandardCharsets.UTF_8);
        assertThat(lines).contains("config reload (POST /reload) rejected").contains("replay.redis: not a port")
                .contains("redis://:***@127.0.0.1:notaport").doesNotContain(SECRET);

        // check-config, for every form of Redis URL (standalone, Sentinel, Cluster), whatever is wrong with it
        for (String redis : new String[] {"redis://:" + SECRET + "@127.0.0.1:notaport",
            "redis://default:" + SECRET + "@redis:99999",
            "rediss://" + SECRET + "@redis:x",
            "redis-sentinel://:" + SECRET + "@s1:26379,s2:bad/0#mymaster",
            "redis-sentinel://:" + SECRET + "@s1:26379,s2:26379/0",
            "redis-cluster://u:" + SECRET + "@n1:7000,,n2:7001",
            "redis-cluster://u:" + SECRET + "@n1:7000,n2:bad"}) {
            String printed = checkConfig(config("replay: {store: redis, redis: '" + redis + "'}\n"));
            assertThat(printed).as(redis).contains("replay.redis: ").contains("***@").doesNotContain(SECRET);
        }
    }

    @Test
    void startupNeverEchoesARedisPasswordWhenItCannotConnect() throws Exception {
        GatewayConfig c = new ConfigLoader(System::getenv).parse(config(
                "replay: {store: redis, redis: 'redis://:" + SECRET + "@127.0.0.1:1'}\n"), dir); // nobody on port 1
        assertThatThrownBy(() -> GatewayServer.start(c, Clock.systemUTC()))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("replay.redis: cannot connect to redis://:***@127.0.0.1:1")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(SECRET));
        assertThat(c.toString()).as("the config as a record prints no secret").doesNotContain(SECRET);
    }

    @Test
    void aRoutePrintedWholeNeverShowsItsUpstreamsSecrets() {
        io.streamgate.gateway.config.GatewayConfig.Route r = new io.streamgate.gateway.config.GatewayConfig.Route(
                "r", "/r/", io.streamgate.gateway.config.GatewayConfig.RouteType.HTTP,
                URI.create("http://u:" + SECRET + "@origin/?sig=" + SECRET), true, null, java.util.Map.of(), null,
                Duration.ZERO, 0, List.of("GET"), false);
        assertThat(r.toString()).doesNotContain(SECRET).contains("http://u:***@origin/?sig=***");
    }

    @Test
    void configErrorsNeverEchoCredentialsInAJwksOrUpstreamUrl() throws Exception {
        String printed = checkConfig(config("").replace("keys: [{kid: k1, file: k1.pem}]",
                "keys: [{kid: k1, file: k1.pem}, {jwks: 'ftp://reader:" + SECRET + "@idp.example/jwks?api_key=" + SECRET
                        + "'}]")
                .replace("upstream: 'http://127.0.0.1:1/'", "upstream: 'gopher://u:" + SECRET + "@origin/?sig=" + SECRET
                        + "'"));
        assertThat(printed).contains("keys[1].jwks: not a URL: \"ftp://reader:***@idp.example/jwks?api_key=***\"")
                .contains("routes[0].upstream: not a URL: \"gopher://u:***@origin/?sig=***\"")
                .doesNotContain(SECRET);
    }

    @Test
    void aJwksUrlsSecretsAreNeitherLoggedNorListed() throws Exception {
        Logging.configure(GatewayConfig.Log.DEFAULT, log);
        // nobody on port 1: the fetch fails and is logged with the URL
        gateway = GatewayServer.start(new ConfigLoader(System::getenv).parse(config("").replace(
                "keys: [{kid: k1, file: k1.pem}]", "keys: [{kid: k1, file: k1.pem}, {jwks: 'http://reader:" + SECRET
                        + "@127.0.0.1:1/jwks?api_key=" + SECRET + "', timeout: 2s}]"), dir), Clock.systemUTC());
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!log.toString(StandardCharsets.UTF_8).contains("fetch failed") && System.nanoTime() < end) {
            Thread.sleep(50); // bounded poll: the first fetch fails within its timeout
        }
        HttpResponse<String> keys = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.adminPort()
                + "/keys")).header("Authorization", "Bearer " + ADMIN_TOKEN).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(keys.statusCode()).isEqualTo(200);
        assertThat(keys.body()).doesNotContain(SECRET);
        gateway.close();
        gateway = null;
        Logging.restoreDefault();
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("http://reader:***@127.0.0.1:1/jwks?api_key=***")
                .contains("fetch failed").doesNotContain(SECRET);
    }

    @Test
    void anUpstreamUrlsSecretsAreNotLoggedAtStart() throws Exception {
        // the start-up line naming each route and its upstream: a valid URL may still hold a
        // password in its userinfo or a key in its query
        Logging.configure(GatewayConfig.Log.DEFAULT, log);
        gateway = GatewayServer.start(new ConfigLoader(System::getenv).parse(config("").replace(
                "upstream: 'http://127.0.0.1:1/'", "upstream: 'http://u:" + SECRET + "@127.0.0.1:1/?sig=" + SECRET
                        + "'"), dir), Clock.systemUTC());
        gateway.close();
        gateway = null;
        Logging.restoreDefault(); // drains the asynchronous log into the capture
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("route r: http")
                .contains("http://u:***@127.0.0.1:1/?sig=***").doesNotContain(SECRET);
    }

    @Test
    void configErrorsNeverEchoTheAdminTokenOrTheSessionSecret() throws Exception {
        String shortSecret = "x" + SECRET; // under 16 characters: a problem
        String printed = checkConfig(config("hls: {sessionSecret: '" + shortSecret + "'}\n")
                .replace("host: 127.0.0.1, port: 0, token", "host: 0.0.0.0, port: 99999, token")
                .replace("warmup: {verifications: 0}", "warmup: {verifications: 0}\nadmin2: {token: x}"));
        assertThat(printed).contains("hls.sessionSecret: must be at least 16 characters")
                .contains("admin.port: must be between").contains("admin2: unknown key")
                .doesNotContain(SECRET);
        GatewayConfig valid = new ConfigLoader(System::getenv).parse(config("hls: {sessionSecret: 'long-enough-"
                + SECRET + "'}\nlisten: {host: 127.0.0.1, port: 0, tls: {keystore: k1.pem, password: " + SECRET + "}}\n")
                .replace("listen: {host: 127.0.0.1, port: 0}\n", ""), dir);
        assertThat(valid.toString()).doesNotContain(SECRET);
    }
}
