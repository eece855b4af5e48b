package io.streamgate.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.jose4j.json.JsonUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each CLI command through its real entry point, with its exit code and output. */
class CliTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream savedOut;
    private PrintStream savedErr;

    @BeforeEach
    void capture() {
        savedOut = System.out;
        savedErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(savedOut);
        System.setErr(savedErr);
    }

    private int run(String... args) {
        out.reset();
        err.reset();
        return Main.execute(args);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    /** What the command printed on stderr, without log lines (in-process, the servers' loggers are not quieted). */
    private String err() {
        return err.toString(StandardCharsets.UTF_8).lines().filter(l -> !l.matches("^\\d.*"))
                .map(l -> l + "\n").collect(java.util.stream.Collectors.joining());
    }

    private Path config(String routeRequire) throws Exception {
        Path c = dir.resolve("gateway.yaml");
        Files.writeString(c, "keys: [{kid: k1, file: keys/public.pem}]\nreplay: {mode: once}\n"
                + "routes:\n  - {name: hls, path: /live/, type: hls, upstream: 'http://127.0.0.1:1/live/'" + routeRequire + "}\n");
        return c;
    }

    @Test
    void helpWorksEverywhere() {
        assertThat(run("--help")).isZero();
        assertThat(out()).contains("run", "keygen", "mint", "verify", "check-config"); // demo, origin: the demo module's
        // every command is in the list --help prints, each with its one-line description
        for (String cmd : new String[] {"run", "keygen", "keys", "mint", "verify", "check-config", "revoke",
                "revocations"}) {
            assertThat(out()).as(cmd).containsPattern("(?m)^  " + cmd + " +[A-Z]");
        }
        for (String cmd : new String[] {"run", "keygen", "keys", "mint", "verify", "check-config", "revoke",
                "revocations"}) {
            assertThat(run(cmd, "--help")).as(cmd).isZero();
            assertThat(out()).as(cmd).contains("Usage:");
        }
    }

    @Test
    void unknownCommandOrOptionIsUsageError() {
        assertThat(run("frobnicate")).isEqualTo(2);
        assertThat(run("mint", "--nope")).isEqualTo(2);
    }

    @Test
    void keygenMintVerifyRoundTrip() throws Exception {
        for (String alg : new String[] {"ES256", "RS256", "EdDSA"}) {
            Path keys = dir.resolve("keys");
            assertThat(run("keygen", "--alg", alg, "--kid", "k1", "--out", keys.toString(), "--force")).as(alg).isZero();
            assertThat(Files.readString(keys.resolve("private.pem"))).startsWith("-----BEGIN PRIVATE KEY-----");
            assertThat(Files.readString(keys.resolve("public.pem"))).startsWith("-----BEGIN PUBLIC KEY-----");
            Map<String, Object> jwks = JsonUtil.parseJson(Files.readString(keys.resolve("jwks.json")));
            assertThat(jwks.get("keys").toString()).contains("k1");

            assertThat(run("mint", "--key", keys.resolve("private.pem").toString(), "--kid", "k1", "--sub", "alice",
                    "--ttl", "10m", "--claim", "roles=[{\"eventId\":\"ev1\"}]")).isZero();
            String token = out();
            assertThat(token.lines().count()).as("mint prints the token alone on one line").isEqualTo(1);
            token = token.trim();
            assertThat(token.split("\\.")).hasSize(3);

            Path c = config(", require: [{claim: 'roles[].eventId', contains: '{path.0}'}]");
            assertThat(run("verify", "--config", c.toString(), "--path", "/live/ev1/index.m3u8", token)).as(alg).isZero();
            assertThat(out()).contains("decision: allowed", "\"sub\":\"alice\"", "kid: k1");
            // verify never consumes a one-time token: a second run still allows it
            assertThat(run("verify", "--config", c.toString(), "--path", "/live/ev1/index.m3u8", token)).isZero();
            assertThat(run("verify", "--config", c.toString(), "--path", "/live/ev2/index.m3u8", token)).isEqualTo(1);
            assertThat(out()).contains("decision: denied", "reason: forbidden", "status: 403");
        }
    }

    @Test
    void verifyWithoutPathChecksTheTokenAloneAndSaysRulesWereNotChecked() throws Exception {
        Path keys = dir.resolve("keys");
        run("keygen", "--kid", "k1", "--out", keys.toString());
        run("mint", "--key", keys.resolve("private.pem").toString(), "--kid", "k1", "--streams", "demo");
        String token = out().trim();
        // the route's rule could never hold for this token: without --path it is not consulted
        Path c = config(", require: [{claim: 'roles[].eventId', contains: '{path.0}'}]");
        assertThat(run("verify", "--config", c.toString(), token)).as(out()).isZero();
        assertThat(out()).contains("decision: allowed", "route rules were not checked", "\"streams\":[\"demo\"]")
                .doesNotContain("forbidden");
        // the token checks still run: another key's token is refused
        run("keygen", "--kid", "k1", "--out", dir.resolve("other").toString());
        run("mint", "--key", dir.resolve("other/private.pem").toString(), "--kid", "k1");
        assertThat(run("verify", "--config", c.toString(), out().trim())).isEqualTo(1);
        assertThat(out()).contains("reason: bad_signature", "status: 401");
    }

    @Test
    void verifyForbiddenNamesTheFailingRuleAndTheValueItCompared() throws Exception {
        Path keys = dir.resolve("keys");
        run("keygen", "--kid", "k1", "--out", keys.toString());
        run("mint", "--key", keys.resolve("private.pem").toString(), "--kid", "k1", "--streams", "demo");
        String token = out().trim();
        Path c = config(", require: [{claim: streams, contains: '{path.0}'}]");
        assertThat(run("verify", "--config", c.toString(), "--path", "/live/other/master.m3u8", token)).isEqualTo(1);
        assertThat(out()).contains("decision: denied", "reason: forbidden", "status: 403",
                "rule: routes[0].require[0]: claim streams contains \"{path.0}\" = \"other\": the token has [\"demo\"]");
        assertThat(run("verify", "--config", c.toString(), "--path", "/live/demo/master.m3u8", token)).isZero();
    }

    @Test
    void verifyReadsTheTokenFromStandardInputWithDashAndPrintsItsTimesInIso8601() throws Exception {
        Path keys = dir.resolve("keys");
        run("keygen", "--kid", "k1", "--out", keys.toString());
        run("mint", "--key", keys.resolve("private.pem").toString(), "--kid", "k1", "--sub", "alice", "--ttl", "1h");
        String token = out().trim();
        Map<String, Object> claims = JsonUtil.parseJson(new String(java.util.Base64.getUrlDecoder()
                .decode(token.split("\\.")[1]), StandardCharsets.UTF_8));
        Path c = config("");

        CliRun piped = CliRun.withInput(token + "\n", "verify", "--config", c.toString(), "-");
        assertThat(piped.code()).as(piped.toString()).isZero();
        assertThat(piped.out()).contains("decision: allowed", "\"sub\":\"alice\"");
        for (String name : new String[] {"iat", "nbf", "exp"}) {
            long epoch = ((Number) claims.get(name)).longValue();
            String line = piped.out().lines().filter(l -> l.startsWith(name + ": ")).findFirst().orElseThrow();
            assertThat(line).isEqualTo(name + ": " + java.time.Instant.ofEpochSecond(epoch) + " (" + epoch + ")");
            assertThat(java.time.Instant.parse(line.substring(name.length() + 2, line.indexOf(' ', name.length() + 2)))
                    .getEpochSecond()).isEqualTo(epoch);
        }
        // the argument form is unchanged, and prints the same
        assertThat(run("verify", "--config", c.toString(), token)).isZero();
        assertThat(out()).isEqualTo(piped.out());
        // nothing on standard input: a usage error
        CliRun empty = CliRun.withInput("", "verify", "--config", c.toString(), "-");
        assertThat(empty.code()).isEqualTo(2);
        assertThat(empty.err()).contains("TOKEN: no token on standard input");
    }

    @Test
    void verifyNamesTheTokensKidAndTheConfiguredOnesOnUnknownKey() throws Exception {
        run("keygen", "--kid", "demo", "--out", dir.resolve("keys/demo").toString());
        run("keygen", "--kid", "partner-2", "--out", dir.resolve("keys/partner").toString());
        run("keygen", "--kid", "abc", "--out", dir.resolve("keys/abc").toString());
        Path c = dir.resolve("two-keys.yaml");
        Files.writeString(c, "keys: [{kid: demo, file: keys/demo/public.pem}, {kid: partner-2, file: keys/partner/public.pem}]\n"
                + "routes:\n  - {name: hls, path: /live/, type: hls, upstream: 'http://127.0.0.1:1/live/'}\n");
        run("mint", "--key", dir.resolve("keys/abc/private.pem").toString(), "--kid", "abc");
        String token = out().trim();
        CliRun unknown = CliRun.withInput(token, "verify", "--config", c.toString(), "-");
        assertThat(unknown.code()).as(unknown.toString()).isEqualTo(1);
        assertThat(unknown.out()).contains("reason: unknown_key",
                "unknown_key: token kid \"abc\" is not among the configured keys: [demo, partner-2]\n",
                "exp (unverified): ");
        // a configured kid, but the token's algorithm is not its key's
        run("keygen", "--alg", "RS256", "--kid", "demo", "--out", dir.resolve("keys/rsa").toString());
        run("mint", "--key", dir.resolve("keys/rsa/private.pem").toString(), "--kid", "demo");
        assertThat(run("verify", "--config", c.toString(), out().trim())).isEqualTo(1);
        assertThat(out()).contains("unknown_key: token kid \"demo\" is configured, but its key verifies [ES256], "
                + "not the token's alg RS256");
    }

    @Test
    void verifyExplainsAnExpiredToken() throws Exception {
        Path keys = dir.resolve("keys");
        run("keygen", "--kid", "k1", "--out", keys.toString());
        run("mint", "--key", keys.resolve("private.pem").toString(), "--kid", "k1", "--ttl", "1s");
        String token = out().trim();
        String expired = io.streamgate.gateway.cli.MintCommand.mint(KeyFiles.readPrivateKey(keys.resolve("private.pem")),
                io.streamgate.filters.crypto.JwsAlgorithm.ES256, "k1", "bob", null, null, java.time.Duration.ofMinutes(1),
                null, java.util.List.of(), java.time.Instant.now().minusSeconds(3600));
        assertThat(token).isNotEmpty();
        assertThat(run("verify", "--config", config("").toString(), expired)).isEqualTo(1);
        assertThat(out()).contains("reason: expired", "status: 401", "claims (unverified):", "\"sub\":\"bob\"");
    }

    @Test
    void checkConfigAcceptsAValidFile() throws Exception {
        Path keys = dir.resolve("keys");
        run("keygen", "--kid", "k1", "--out", keys.toString());
        assertThat(run("check-config", "--config", config("").toString())).isZero();
        assertThat(out()).contains("config OK");
    }

    @Test
    void checkConfigNamesEveryBrokenKeyAndExits2() throws Exception {
        Path c = dir.resolve("broken.yaml");
        Files.writeString(c, "keys: [{kid: k1, file: nope.pem}]\nverify: {leeway: soon}\n"
                + "routes:\n  - {name: a, path: /a/, upstream: 'http://127.0.0.1:1/'}\n  - {name: b, path: /b/, upstream: 'htp:/x'}\n");
        assertThat(run("check-config", "--config", c.toString())).isEqualTo(2);
        assertThat(err()).contains("routes[1].upstream: not a URL: \"htp:/x\"", "verify.leeway: not a duration",
                "keys[0].file: cannot read file");
        assertThat(err().lines()).allMatch(l -> l.matches("^[A-Za-z(\\[][^ ]*: .*"));
    }

    @Test
    void checkConfigReportsABrokenKeyFile() throws Exception {
        Files.createDirectories(dir.resolve("keys"));
        Files.writeString(dir.resolve("keys/public.pem"), "-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC KEY-----\n");
        assertThat(run("check-config", "--config", config("").toString())).isEqualTo(2);
        assertThat(err()).contains("keys[0]: PEM body is not base64");
    }

    @Test
    void checkConfigReportsKeyContentsInTheSamePassAsStructuralProblems() throws Exception {
        run("keygen", "--kid", "k1", "--out", dir.resolve("keys").toString());
        // a private key where the public one belongs, beside structural mistakes
        Files.copy(dir.resolve("keys/private.pem"), dir.resolve("keys/public.pem"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path c = dir.resolve("c.yaml");
        Files.writeString(c, "keys: [{kid: k1, file: keys/public.pem}, {kid: k2, file: bad.pem}, {kid: k3, file: absent.pem}]\n"
                + "replay: {mode: sometimes}\n"
                + "routes:\n  - {name: a, path: /a/, upstream: 'htp:/x', require: [{claim: s, equals: x}]}\n");
        Files.writeString(dir.resolve("bad.pem"), "-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC KEY-----\n");
        assertThat(run("check-config", "--config", c.toString())).isEqualTo(2);
        assertThat(err()).contains("replay.mode: must be off, once or limit, was \"sometimes\"",
                "routes[0].upstream: not a URL: \"htp:/x\"",
                "keys[0]: holds a private key; give the public key",
                "keys[1]: PEM body is not base64",
                "keys[2].file: cannot read file " + dir.resolve("absent.pem") + " (no such file");
        assertThat(err().lines()).allMatch(l -> l.matches("^[A-Za-z(\\[][^ ]*: .*"));
    }

    @Test
    void checkConfigGivesTheLineAndColumnOfAYamlSyntaxError() throws Exception {
        Path c = dir.resolve("c.yaml");
        Files.writeString(c, "keys: [{kid: k1, file: k.pem}]\nroutes:\n  - {name: a, path: /a/\n  - oops\n");
        assertThat(run("check-config", "--config", c.toString())).isEqualTo(2);
        assertThat(err()).startsWith("(file): invalid YAML at line 4, column ");
        assertThat(err().lines()).hasSize(1);
    }

    @Test
    void checkConfigRefusesADuplicateKidNamingBothEntries() throws Exception {
        run("keygen", "--kid", "k1", "--out", dir.resolve("keys").toString());
        run("keygen", "--kid", "k1", "--out", dir.resolve("keys2").toString());
        Path c = dir.resolve("c.yaml");
        Files.writeString(c, "keys: [{kid: k1, file: keys/public.pem}, {kid: k2, file: keys/public.pem}, "
                + "{kid: k1, file: keys2/public.pem}]\n"
                + "routes:\n  - {name: a, path: /a/, upstream: 'http://127.0.0.1:1/', require: [{claim: s, equals: x}]}\n");
        assertThat(run("check-config", "--config", c.toString())).isEqualTo(2);
        assertThat(err().strip()).isEqualTo("keys[2].kid: duplicate kid \"k1\": keys[0] and keys[2] both use it");
    }

    @Test
    void checkConfigWarnsThatAdminPortZeroNoLongerTurnsTheAdminListenerOff() throws Exception {
        run("keygen", "--kid", "k1", "--out", dir.resolve("keys").toString());
        Path legacy = config(", require: [{claim: streams, contains: '{path.0}'}]");
        Files.writeString(legacy, Files.readString(legacy) + "admin: {port: 0}\n");
        assertThat(run("check-config", "--config", legacy.toString())).isZero();
        assertThat(err().strip()).startsWith("warning: admin.port: 0 now lets the operating system pick a free port")
                .contains("admin.enabled: false");
        Path off = config(", require: [{claim: streams, contains: '{path.0}'}]");
        Files.writeString(off, Files.readString(off) + "admin: {enabled: false, port: 0}\n");
        assertThat(run("check-config", "--config", off.toString())).isZero();
        assertThat(err()).doesNotContain("warning");
        Files.writeString(off, Files.readString(off).replace("enabled: false", "enabled: maybe"));
        assertThat(run("check-config", "--config", off.toString())).isEqualTo(2);
        assertThat(err().strip()).isEqualTo("admin.enabled: must be true or false, was \"maybe\"");
    }

    @Test
    void checkConfigWarnsAboutAProtectedRouteWithoutRulesAndStillExitsZero() throws Exception {
        run("keygen", "--kid", "k1", "--out", dir.resolve("keys").toString());
        assertThat(run("check-config", "--config", config("").toString())).isZero();
        assertThat(out()).contains("config OK");
        assertThat(err().strip()).startsWith("warning: routes[0]: ").contains("any valid token opens every stream");
        assertThat(run("check-config", "--config",
                config(", require: [{claim: streams, contains: '{path.0}'}]").toString())).isZero();
        assertThat(err()).as("with rules: no warning").doesNotContain("warning");
    }

    @Test
    void checkConfigValidatesARedisConfigWithoutConnecting() throws Exception {
        run("keygen", "--kid", "k1", "--out", dir.resolve("keys").toString());
        Path redis = dir.resolve("redis.yaml");
        Files.writeString(redis, Files.readString(config("")).replace("mode: once",
                "mode: limit, maxSessions: 2, store: redis, redis: 'redis://redis.invalid:6379'"));
        assertThat(run("check-config", "--config", redis.toString())).isZero();
    }

    @Test
    void missingConfigFileIsExit2() {
        assertThat(run("check-config", "--config", dir.resolve("absent.yaml").toString())).isEqualTo(2);
        assertThat(err()).contains("cannot read");
    }

    @Test
    void mintRefusesAPublicKey() throws Exception {
        run("keygen", "--kid", "k1", "--out", dir.toString());
        assertThat(run("mint", "--key", dir.resolve("public.pem").toString(), "--kid", "k1")).isEqualTo(2);
        assertThat(err()).contains("--key");
    }

    @Test
    void keygenDoesNotOverwriteWithoutForce() throws Exception {
        assertThat(run("keygen", "--kid", "k1", "--out", dir.toString())).isZero();
        assertThat(run("keygen", "--kid", "k1", "--out", dir.toString())).isEqualTo(2);
        assertThat(err()).contains("exists");
    }

    /** Every option and parameter of every command, the help options included. */
    private static java.util.stream.Stream<String> undescribed(picocli.CommandLine.Model.CommandSpec spec) {
        java.util.stream.Stream<String> own = java.util.stream.Stream.concat(
                spec.options().stream().filter(o -> o.description().length == 0 || String.join("", o.description()).isBlank())
                        .map(o -> spec.qualifiedName() + " " + o.longestName()),
                spec.positionalParameters().stream().filter(p -> p.description().length == 0)
                        .map(p -> spec.qualifiedName() + " " + p.paramLabel()));
        return java.util.stream.Stream.concat(own, spec.subcommands().values().stream()
                .filter(sub -> !sub.getCommandName().equals("help"))
                .flatMap(sub -> undescribed(sub.getCommandSpec())));
    }

    @Test
    void everyOptionOfEveryCommandHasHelpText() {
        picocli.CommandLine.Model.CommandSpec root = new picocli.CommandLine(new Main()).getCommandSpec();
        assertThat(root.subcommands()).containsKeys("run", "keygen", "mint", "verify", "check-config");
        assertThat(root.subcommands()).containsKeys("keys", "revoke", "revocations");
        assertThat(root.subcommands().get("revocations").getSubcommands()).containsKeys("list", "lift");
        assertThat(undescribed(root).toList()).as("options without a description").isEmpty();
        assertThat(run("mint", "--help")).isZero();
        assertThat(out()).contains("--aud=AUDIENCE", "--iss=ISSUER", "--sub=SUBJECT", "--kid=KID", "must be valid JSON");
    }

    @Test
    void versionIsTheBuildsVersion() {
        assertThat(run("--version")).isZero();
        assertThat(out().strip()).matches("streamgate \\d+\\.\\d+\\.\\d+[-.A-Za-z0-9]*");
    }

    @Test
    void keygenSaysWhatFailedAndWhy() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        assertThat(run("keygen", "--kid", "k1", "--out", file.toString())).as("--out is a file: usage").isEqualTo(2);
        assertThat(err()).contains("--out: " + file + " is a file, not a directory");
        assertThat(run("keygen", "--kid", "k1", "--out", file.resolve("keys").toString())).isEqualTo(2);
        assertThat(err()).contains("--out: cannot create directory " + file.resolve("keys") + ": " + file
                + " is a file, not a directory");
        // the system refuses the write: a runtime failure naming the file and the reason
        Files.createDirectories(dir.resolve("out/private.pem"));
        assertThat(run("keygen", "--kid", "k1", "--out", dir.resolve("out").toString(), "--force")).isEqualTo(1);
        assertThat(err()).contains("error: cannot write " + dir.resolve("out/private.pem") + ": Is a directory");
        assertThat(run("mint", "--key", dir.resolve("absent.pem").toString(), "--kid", "k1")).isEqualTo(2);
        assertThat(err()).contains("--key: cannot read " + dir.resolve("absent.pem") + ": no such file or directory");
    }

    @Test
    void mintRefusesABrokenJsonClaimAndANonPositiveTtl() throws Exception {
        run("keygen", "--kid", "k1", "--out", dir.toString());
        String key = dir.resolve("private.pem").toString();
        for (String bad : new String[] {"x={bad", "roles=[{\"eventId\":\"demo\"}", "o={\"a\":1}}"}) {
            assertThat(run("mint", "--key", key, "--kid", "k1", "--claim", bad)).as(bad).isEqualTo(2);
            assertThat(err()).as(bad).contains("--claim: " + bad.substring(0, bad.indexOf('=')) + ": not valid JSON");
            assertThat(out()).as("no token printed").isEmpty();
        }
        assertThat(run("mint", "--key", key, "--kid", "k1", "--claim", "n=42", "--claim", "s=hello",
                "--claim", "b=true", "--claim", "roles=[{\"eventId\":\"demo\"}]")).isZero();
        String payload = new String(java.util.Base64.getUrlDecoder().decode(out().strip().split("\\.")[1]),
                StandardCharsets.UTF_8);
        assertThat(payload).contains("\"n\":42", "\"s\":\"hello\"", "\"b\":true", "\"roles\":[{\"eventId\":\"demo\"}]");

        for (String[] ttl : new String[][] {{"--ttl", "0s"}, {"--ttl", "-5m"}, {"--ttl=-5m"}, {"--ttl", "500ms"}}) {
            List<String> args = new java.util.ArrayList<>(List.of("mint", "--key", key, "--kid", "k1"));
            args.addAll(List.of(ttl));
            assertThat(run(args.toArray(String[]::new))).as(String.join(" ", ttl)).isEqualTo(2);
            assertThat(err()).as(String.join(" ", ttl)).contains("--ttl: must be positive");
        }
        assertThat(run("mint", "--key", key, "--kid", "k1", "--ttl", "soon")).isEqualTo(2);
        assertThat(err()).contains("--ttl: not a duration: \"soon\"");
    }
}
