package io.streamgate.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import io.streamgate.filters.core.ConfigException;
import io.streamgate.filters.crypto.CryptoProvider;
import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.replay.ReplayMode;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    private final ConfigLoader loader = new ConfigLoader(Map.of("PORT", "8443", "EMPTY", "")::get);

    static Path repo() {
        Path p = Path.of("").toAbsolutePath();
        return Files.exists(p.resolve("conf")) ? p : p.getParent();
    }

    /** Every gateway config shipped under conf/ (YAML files other than Prometheus's). */
    static Stream<Path> shippedConfigs() throws IOException {
        try (Stream<Path> s = Files.walk(repo().resolve("conf"))) {
            return s.filter(p -> p.toString().endsWith(".yaml")).toList().stream();
        }
    }

    @ParameterizedTest
    @MethodSource("shippedConfigs")
    void everyShippedConfigIsValid(Path file) throws IOException {
        GatewayConfig c = file.endsWith(Path.of("conf", "gateway.yaml")) ? reference()
                : ConfigLoader.withSystemEnv().load(file);
        assertThat(c.routes()).isNotEmpty();
    }

    /**
     * The reference config as a clone has it after the README's first step ({@code keygen
     * --kid my-key --out conf/keys/my-key}): a copy beside a generated public key.
     */
    private GatewayConfig reference() throws IOException {
        Path conf = dir.resolve("conf");
        Files.createDirectories(conf.resolve("keys/my-key"));
        Files.copy(repo().resolve("conf/gateway.yaml"), conf.resolve("gateway.yaml"));
        Files.writeString(conf.resolve("keys/my-key/public.pem"), io.streamgate.filters.testing.TestKeys.es256("my-key").publicPem());
        return new ConfigLoader(name -> null).load(conf.resolve("gateway.yaml"));
    }

    @Test
    void anAdminListenerOffLoopbackNeedsAnAdminToken() throws IOException {
        assertThat(problems(minimal("admin: {host: 0.0.0.0, port: 9090}")))
                .singleElement().satisfies(p -> assertThat(p).startsWith("admin.token: required"));
        assertThat(problems(minimal("admin: {host: 10.1.2.3, port: 9090, token: ''}")))
                .singleElement().satisfies(p -> assertThat(p).startsWith("admin.token: "));
        // with a token, from the environment too; loopback needs none; a listener that is off needs none
        ConfigLoader env = new ConfigLoader(Map.of("SG_ADMIN_TOKEN", "s3cret-token")::get);
        GatewayConfig c = env.parse(minimal("admin: {host: 0.0.0.0, port: 9090, token: '${SG_ADMIN_TOKEN}'}"), dir);
        assertThat(c.admin().token()).isEqualTo("s3cret-token");
        assertThat(c.admin().toString()).doesNotContain("s3cret-token");
        for (String host : new String[] {"127.0.0.1", "127.0.0.2", "localhost", "'::1'", "'[::1]'"}) {
            assertThat(parse(minimal("admin: {host: " + host + ", port: 9090}")).admin().token()).as(host).isEmpty();
        }
        assertThat(parse(minimal("admin: {enabled: false, host: 0.0.0.0}")).admin().enabled()).isFalse();
        // port 0 is a listener now (on a free port): the legacy way to turn it off says what does
        assertThat(problems(minimal("admin: {host: 0.0.0.0, port: 0}"))).singleElement()
                .satisfies(p -> assertThat(p).startsWith("admin.token: required").contains("admin.enabled: false"));
    }

    @Test
    void adminEnabledDefaultsToOnAndPortZeroPicksAFreePort() throws IOException {
        GatewayConfig.Admin defaults = parse(minimal("")).admin();
        assertThat(defaults.enabled()).isTrue();
        assertThat(defaults.enabledWritten()).isFalse();
        GatewayConfig.Admin free = parse(minimal("admin: {enabled: true, port: 0}")).admin();
        assertThat(free.enabled()).isTrue();
        assertThat(free.port()).isZero();
        assertThat(parse(minimal("admin: {enabled: false}")).admin().enabled()).isFalse();
        assertThat(parse(minimal("admin: {enabled: 'false'}")).admin().enabled()).isFalse();
        assertThat(parse(minimal("admin: {enabled: false}")).admin().toString()).contains("enabled=false");
    }

    @Test
    void aBadAdminEnabledIsAnErrorNamingTheKey() throws IOException {
        assertThat(problems(minimal("admin: {enabled: maybe}"))).singleElement().asString()
                .isEqualTo("admin.enabled: must be true or false, was \"maybe\"");
        assertThat(problems(minimal("admin: {enable: false}"))).singleElement().asString().startsWith("admin.enable");
    }

    @Test
    void adminPortZeroWithoutAdminEnabledWarnsThatItNoLongerTurnsTheListenerOff() throws IOException {
        assertThat(adminWarnings("admin: {port: 0}")).singleElement().asString()
                .startsWith("admin.port: 0 now lets the operating system pick a free port")
                .contains("admin.enabled: false");
        assertThat(adminWarnings("admin: {enabled: true, port: 0}")).as("said on purpose").isEmpty();
        assertThat(adminWarnings("admin: {enabled: false, port: 0}")).isEmpty();
        assertThat(adminWarnings("admin: {port: 9090}")).isEmpty();
    }

    /** The warnings about the admin section (the minimal config's route has its own). */
    private List<String> adminWarnings(String admin) throws IOException {
        return ConfigWarnings.of(parse(minimal(admin))).stream().filter(w -> w.startsWith("admin.")).toList();
    }

    @Test
    void turningTheAdminListenerOnOrOffNeedsARestart() throws IOException {
        GatewayConfig on = parse(minimal("admin: {port: 9090}"));
        GatewayConfig off = parse(minimal("admin: {enabled: false, port: 9090}"));
        assertThat(off.restartOnlyChanges(on)).containsExactly("admin.enabled");
        assertThat(off.keepingRestartOnly(on).admin().enabled()).as("a reload keeps the running listener").isTrue();
    }

    @Test
    void referenceConfigWorksWithTheDemoOriginOnLoopback() throws IOException {
        GatewayConfig c = reference();
        assertThat(c.listen().host()).as("loopback unless exposed on purpose").isEqualTo("127.0.0.1");
        assertThat(c.keys()).singleElement().satisfies(k -> assertThat(k.kid()).isEqualTo("my-key"));
        // `streamgate.jar origin` serves HLS and its WebSocket stream on 8180
        assertThat(c.routes()).allSatisfy(r -> assertThat(r.upstream().getPort()).isEqualTo(8180));
        assertThat(c.routes()).filteredOn(GatewayConfig.Route::authRequired)
                .allSatisfy(r -> assertThat(r.rules().isEmpty()).as(r.name() + " has rules").isFalse());
    }

    @Test
    void referenceConfigHasTheContractDefaults() throws IOException {
        GatewayConfig c = reference();
        assertThat(c.verify().algorithms()).containsExactlyInAnyOrder(JwsAlgorithm.ES256, JwsAlgorithm.RS256,
                JwsAlgorithm.PS256, JwsAlgorithm.EdDSA);
        assertThat(c.verify().leeway()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.verify().maxLifetime()).isEqualTo(Duration.ofDays(366));
        assertThat(c.verify().requiredClaims()).containsExactly("exp");
        assertThat(c.replay().mode()).as("unquoted off is YAML's false").isEqualTo(ReplayMode.OFF);
        assertThat(c.tokens().from()).hasSize(5);
        assertThat(c.crypto()).isEqualTo(CryptoProvider.AUTO);
        assertThat(c.routes()).extracting(GatewayConfig.Route::name).containsExactly("h5live", "hls", "open");
        assertThat(c.routes().get(2).authRequired()).isFalse();
        assertThat(c.routes().get(0).claimHeaders()).containsEntry("sub", "X-Viewer-Id");
    }

    private GatewayConfig parse(String yaml) {
        return loader.parse(yaml, dir);
    }

    private List<String> problems(String yaml) {
        try {
            parse(yaml);
        } catch (ConfigException e) {
            return e.problems();
        }
        throw new AssertionError("expected a config error");
    }

    private String minimal(String extra) throws IOException {
        Files.writeString(dir.resolve("k.pem"), io.streamgate.filters.testing.TestKeys.es256("k").publicPem());
        return "keys: [{kid: k, file: k.pem}]\nroutes: [{name: r, path: /live/, type: hls, upstream: 'http://127.0.0.1:1/'}]\n"
                + extra;
    }

    @Test
    void minimalConfigGetsDefaults() throws IOException {
        GatewayConfig c = parse(minimal(""));
        assertThat(c.listen().port()).isEqualTo(8080);
        assertThat(c.admin().port()).isEqualTo(9090);
        assertThat(c.routes().get(0).authRequired()).isTrue();
        assertThat(c.proxy().idleTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.proxy().maxConnectionsPerUpstream()).isEqualTo(256);
        assertThat(c.proxy().maxQueuedPerUpstream()).isEqualTo(8192);
    }

    @Test
    void slowSendersKeysDefaultsValuesAndErrorsNameTheKey() throws IOException {
        GatewayConfig.Listen d = parse(minimal("")).listen();
        assertThat(d.minBodyRate()).as("1 KiB/s").isEqualTo(1024);
        assertThat(d.maxConnectionsPerClient()).as("a tenth of maxConnections").isEqualTo(1600);
        assertThat(parse(minimal("listen: {maxConnections: 5}")).listen().maxConnectionsPerClient()).isEqualTo(1);
        GatewayConfig.Listen l = parse(minimal("listen: {minBodyRate: 0, maxConnections: 500, maxConnectionsPerClient: 500}"))
                .listen();
        assertThat(l.minBodyRate()).as("0: off").isZero();
        assertThat(l.maxConnectionsPerClient()).isEqualTo(500);
        assertThat(problems(minimal("listen: {minBodyRate: 1KiB, maxConnectionsPerClient: 0}")))
                .containsExactlyInAnyOrder("listen.minBodyRate: not a whole number: \"1KiB\"",
                        "listen.maxConnectionsPerClient: must be between 1 and 10000000, was 0");
        assertThat(problems(minimal("listen: {minBodyRate: -1}")))
                .containsExactly("listen.minBodyRate: must be between 0 and 1073741824, was -1");
        // listen is restart-only: a reload reports a changed floor or share instead of applying it
        assertThat(parse(minimal("listen: {minBodyRate: 2048}")).restartOnlyChanges(parse(minimal(""))))
                .containsExactly("listen");
    }

    @Test
    void logSectionDefaultsValuesAndErrorsNameTheKey() throws IOException {
        assertThat(parse(minimal("")).log()).isEqualTo(GatewayConfig.Log.DEFAULT);
        assertThat(GatewayConfig.Log.DEFAULT).isEqualTo(new GatewayConfig.Log(GatewayConfig.LogLevel.INFO,
                GatewayConfig.LogFormat.TEXT, false));
        assertThat(parse(minimal("log: {level: debug, format: json, access: true}")).log())
                .isEqualTo(new GatewayConfig.Log(GatewayConfig.LogLevel.DEBUG, GatewayConfig.LogFormat.JSON, true));
        assertThat(parse(minimal("log: {level: WARN}")).log().level()).isEqualTo(GatewayConfig.LogLevel.WARN);
        assertThat(problems(minimal("log: {level: verbose, format: xml, access: sometimes, color: true}")))
                .containsExactlyInAnyOrder("log.color: unknown key (allowed: access, format, level)",
                        "log.level: must be error, warn, info, debug or trace, was \"verbose\"",
                        "log.format: must be text or json, was \"xml\"",
                        "log.access: must be true or false, was \"sometimes\"");
    }

    @Test
    void aReloadAppliesLogAccessAndKeepsLevelAndFormatUntilARestart() throws IOException {
        GatewayConfig running = parse(minimal("log: {level: info, format: text, access: false}"));
        GatewayConfig next = parse(minimal("log: {level: debug, format: json, access: true}"));
        assertThat(next.restartOnlyChanges(running)).containsExactly("log.level", "log.format");
        assertThat(next.keepingRestartOnly(running).log()).isEqualTo(new GatewayConfig.Log(GatewayConfig.LogLevel.INFO,
                GatewayConfig.LogFormat.TEXT, true));
    }

    @Test
    void upstreamQueueBoundIsCheckedAndNamed() throws IOException {
        assertThat(parse(minimal("proxy: {maxQueuedPerUpstream: 100}")).proxy().maxQueuedPerUpstream()).isEqualTo(100);
        assertThat(problems(minimal("proxy: {maxQueuedPerUpstream: 0}")))
                .anyMatch(p -> p.startsWith("proxy.maxQueuedPerUpstream: "));
    }

    @Test
    void everyDocumentedRedisFormIsAccepted() throws IOException {
        for (String uri : List.of("redis://127.0.0.1:6379", "rediss://cache.example:6380/0",
                "redis://:secret@127.0.0.1:6379/2", "redis-sentinel://127.0.0.1:26379#mymaster",
                "redis-sentinel://h1:26379,h2:26379,h3:26379/0#mymaster", "rediss-sentinel://h1:26379#mymaster",
                "redis-cluster://127.0.0.1:7000", "redis-cluster://h1:7000,h2:7001,h3:7002",
                "rediss-cluster://:secret@h1:7000,h2:7001")) {
            GatewayConfig c = parse(minimal("replay: {mode: once, store: redis, redis: '" + uri + "'}"));
            // regression: multi-host forms failed as "not a URL" (java.net.URI has no single host for them)
            assertThat(c.replay().redis().toString()).as(uri).isEqualTo(uri);
        }
    }

    @Test
    void aBadRedisUriNamesTheKey() throws IOException {
        for (String uri : List.of("http://127.0.0.1:6379", "redis-sentinel://h1:26379", "redis-cluster://",
                "redis://h1:notaport")) {
            assertThat(problems(minimal("replay: {mode: once, store: redis, redis: '" + uri + "'}")))
                    .as(uri).anyMatch(p -> p.startsWith("replay.redis: "));
        }
    }

    @Test
    void environmentValuesAndDefaults() throws IOException {
        GatewayConfig c = parse(minimal("listen: {port: '${PORT}', host: '${HOST:-127.0.0.2}'}\nhls: {sessionSecret: '${EMPTY:-0123456789abcdef}'}"));
        assertThat(c.listen().port()).isEqualTo(8443);
        assertThat(c.listen().host()).isEqualTo("127.0.0.2");
        assertThat(c.hls().sessionSecret()).isEqualTo("0123456789abcdef");
    }

    @Test
    void unsetEnvironmentVariableNamesTheKey() throws IOException {
        assertThat(problems(minimal("listen: {port: '${NOPE}'}")))
                .anyMatch(p -> p.startsWith("listen.port: environment variable NOPE is not set"));
    }

    @Test
    void badUpstreamNamesTheRoute() throws IOException {
        Files.writeString(dir.resolve("k.pem"), io.streamgate.filters.testing.TestKeys.es256("k").publicPem());
        List<String> p = problems("keys: [{kid: k, file: k.pem}]\nroutes:\n"
                + "  - {name: a, path: /a/, upstream: 'http://127.0.0.1:1/'}\n"
                + "  - {name: b, path: /b/, upstream: 'htp:/x'}\n");
        assertThat(p).containsExactly("routes[1].upstream: not a URL: \"htp:/x\" (expected http/https)");
    }

    @Test
    void aRouteCannotBeNamedLikeRequestsThatMatchedNoRoute() throws IOException {
        Files.writeString(dir.resolve("k.pem"), io.streamgate.filters.testing.TestKeys.es256("k").publicPem());
        List<String> p = problems("keys: [{kid: k, file: k.pem}]\nroutes:\n"
                + "  - {name: '-', path: /a/, upstream: 'http://127.0.0.1:1/'}\n");
        assertThat(p).singleElement().asString().startsWith("routes[0].name: \"-\" is reserved");
    }

    @Test
    void websocketRoutesNeedWsUpstreams() throws IOException {
        assertThat(problems(minimal("").replace("type: hls", "type: websocket")))
                .anyMatch(p -> p.startsWith("routes[0].upstream: not a URL"));
    }

    @Test
    void unknownKeysAreErrors() throws IOException {
        assertThat(problems(minimal("verify: {leway: 30s}\nfoo: 1")))
                .anyMatch(p -> p.startsWith("verify.leway: unknown key"))
                .anyMatch(p -> p.startsWith("foo: unknown key"));
    }

    @Test
    void everyProblemIsReportedAtOnce() throws IOException {
        List<String> p = problems(minimal("verify: {leeway: soon, algorithms: [HS256, none]}\nreplay: {mode: twice}\n"
                + "crypto: {provider: fast}"));
        assertThat(p).anyMatch(s -> s.startsWith("verify.leeway: not a duration: \"soon\""))
                .anyMatch(s -> s.startsWith("verify.algorithms[0]: unsupported algorithm \"HS256\" (HMAC is never accepted"))
                .anyMatch(s -> s.startsWith("verify.algorithms[1]: unsupported algorithm \"none\""))
                .anyMatch(s -> s.startsWith("replay.mode: must be off, once or limit"))
                .anyMatch(s -> s.startsWith("crypto.provider: must be auto"));
    }

    @Test
    void ruleErrorsNameTheirKeyPath() throws IOException {
        String yaml = minimal("").replace("upstream: 'http://127.0.0.1:1/'}",
                "upstream: 'http://127.0.0.1:1/', require: [{claim: x, contains: '{query}'}]}");
        assertThat(problems(yaml)).anyMatch(p -> p.startsWith("routes[0].require[0].contains: unknown request value"));
    }

    @Test
    void durationsOfEveryUnit() {
        assertThat(ConfigNode.parseDuration("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(ConfigNode.parseDuration("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(ConfigNode.parseDuration("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(ConfigNode.parseDuration("2h")).isEqualTo(Duration.ofHours(2));
        assertThat(ConfigNode.parseDuration("366d")).isEqualTo(Duration.ofDays(366));
        assertThat(ConfigNode.parseDuration("30")).isNull();
        assertThat(ConfigNode.parseDuration("-5s")).isNull();
    }

    @Test
    void replayModeAcceptsQuotedAndUnquotedOff() throws IOException {
        assertThat(parse(minimal("replay: {mode: off}")).replay().mode()).isEqualTo(ReplayMode.OFF);
        assertThat(parse(minimal("replay: {mode: 'off'}")).replay().mode()).isEqualTo(ReplayMode.OFF);
        assertThat(parse(minimal("replay: {mode: once}")).replay().mode()).isEqualTo(ReplayMode.ONCE);
    }

    @Test
    void keyFileMustExistAndPemNeedsKid() throws IOException {
        assertThat(problems("keys: [{kid: k, file: missing.pem}]\nroutes: [{name: r, path: /, upstream: 'http://127.0.0.1:1/'}]"))
                .anyMatch(p -> p.startsWith("keys[0].file: cannot read file"));
        assertThat(problems("keys: [{kid: k}]\nroutes: [{name: r, path: /, upstream: 'http://127.0.0.1:1/'}]"))
                .anyMatch(p -> p.startsWith("keys[0]: give exactly one of file or jwks"));
    }

    @Test
    void duplicateYamlKeysAreRejected() throws IOException {
        assertThatThrownBy(() -> parse(minimal("admin: {port: 1}\nadmin: {port: 2}")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("invalid YAML");
    }

    @Test
    void trustedProxiesMustBeCidrs() throws IOException {
        assertThat(problems(minimal("clientIp: {trustedProxies: [10.0.0.0/8, nonsense]}")))
                .containsExactly("clientIp.trustedProxies[1]: not a CIDR: \"nonsense\"");
    }

    @Test
    void anEnumErrorEchoesTheBadValue() throws IOException {
        assertThat(problems(minimal("replay: {mode: sometimes}"))).contains("replay.mode: must be off, once or limit, was \"sometimes\"");
        assertThat(problems(minimal("replay: {mode: on}"))).as("YAML's on is a boolean")
                .contains("replay.mode: must be off, once or limit, was true");
    }

    @Test
    void aYamlSyntaxErrorNamesItsLineAndColumn() {
        assertThatThrownBy(() -> parse("keys: []\nroutes: [a, b\nlisten: {}\n")).isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                        .matches("\\(file\\): invalid YAML at line \\d+, column \\d+: .+"));
    }

    @Test
    void aDuplicateKidNamesBothEntries() throws IOException {
        Files.writeString(dir.resolve("k.pem"), io.streamgate.filters.testing.TestKeys.es256("k").publicPem());
        assertThat(problems("keys: [{kid: k, file: k.pem}, {jwks: 'https://idp.example/jwks.json', kid: k}]\n"
                + "routes: [{name: r, path: /live/, type: hls, upstream: 'http://127.0.0.1:1/'}]\n"))
                .containsExactly("keys[1].kid: duplicate kid \"k\": keys[0] and keys[1] both use it");
    }
}
