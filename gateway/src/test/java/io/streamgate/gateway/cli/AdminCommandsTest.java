package io.streamgate.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.jose4j.json.JsonUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.streamgate.filters.testing.TestKeys;
import io.streamgate.filters.testing.Tokens;
import io.streamgate.gateway.GatewayHarness;
import io.streamgate.gateway.runtime.GatewayServer;

/**
 * The commands that talk to a running gateway's admin API — {@code revoke},
 * {@code revocations list|lift}, {@code keys --admin} — against a real gateway on loopback
 * ports, its admin listener behind a token.
 */
class AdminCommandsTest {
    private static final String ADMIN_TOKEN = "an-admin-token-0123456789";

    @TempDir
    Path dir;

    private final TestKeys key = TestKeys.es256("k1");
    private GatewayServer gateway;
    private String admin;

    @BeforeEach
    void start() throws Exception {
        gateway = GatewayHarness.start(dir, key, "listen: {host: 127.0.0.1, port: 0}\nwarmup: {verifications: 0}\n"
                + "admin: {host: 127.0.0.1, port: 0, token: " + ADMIN_TOKEN + "}\n"
                + "keys: [{kid: k1, file: key.pem}]\n"
                + "routes:\n  - {name: hls, path: /live/, type: hls, upstream: 'http://127.0.0.1:1/live/',"
                + " require: [{claim: sub, equals: viewer}]}\n", Clock.systemUTC());
        admin = "http://127.0.0.1:" + gateway.adminPort();
    }

    @AfterEach
    void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
    }

    private String token(String sub) {
        long now = Instant.now().getEpochSecond();
        return Tokens.signedBy(key, now).claim("sub", sub).claim("exp", now + 3600).sign();
    }

    private String reason(String token) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                gateway.uri().resolve("/live/ev1/master.m3u8?token=" + token)).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + (r.body().startsWith("{") ? JsonUtil.parseJson(r.body()).get("reason") : "");
    }

    @Test
    void revocationsListShowsEachRevocationWithItsTimesAndLiftLiftsIt() throws Exception {
        CliRun revoked = CliRun.run("revoke", "--admin", admin, "--admin-token", ADMIN_TOKEN, "--sub", "viewer",
                "--ttl", "2h", "--reason", "chargeback");
        assertThat(revoked.code()).as(revoked.toString()).isZero();
        String id = (String) JsonUtil.parseJson(revoked.out().strip()).get("id");
        assertThat(reason(token("viewer"))).isEqualTo("401 revoked");
        CliRun byIssueTime = CliRun.run("revoke", "--admin", admin, "--admin-token", ADMIN_TOKEN,
                "--issued-before", "1700000000", "--iss", "https://idp.example");
        assertThat(byIssueTime.code()).as(byIssueTime.toString()).isZero();

        CliRun list = CliRun.run("revocations", "list", "--admin", admin, "--admin-token", ADMIN_TOKEN);
        assertThat(list.code()).as(list.toString()).isZero();
        List<String> lines = list.out().lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).matches("ID +KIND +VALUE +UNTIL +ISS +REASON");
        String sub = lines.stream().filter(l -> l.startsWith(id + " ")).findFirst().orElseThrow();
        assertThat(sub.split(" {2,}")).satisfies(cells -> {
            assertThat(cells[1]).isEqualTo("sub");
            assertThat(cells[2]).isEqualTo("viewer");
            assertThat(cells[3]).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ \\(\\d+\\)");
            assertThat(cells[4]).isEqualTo("-");
            assertThat(cells[5]).isEqualTo("chargeback");
        });
        // the ISO instant and the epoch seconds beside it are the same time, about 2 h from now
        String until = sub.split(" {2,}")[3];
        long epoch = Long.parseLong(until.substring(until.indexOf('(') + 1, until.length() - 1));
        assertThat(Instant.parse(until.substring(0, until.indexOf(' '))).getEpochSecond()).isEqualTo(epoch);
        assertThat(epoch - Instant.now().getEpochSecond()).as("a 2 h ttl, give or take a slow machine").isBetween(3600L, 7200L);
        assertThat(lines).anySatisfy(l -> assertThat(l).contains("issuedBefore", "2023-11-14T22:13:20Z (1700000000)",
                "https://idp.example"));

        CliRun json = CliRun.run("revocations", "list", "--json", "--admin", admin, "--admin-token", ADMIN_TOKEN);
        assertThat(json.code()).isZero();
        Map<String, Object> body = JsonUtil.parseJson(json.out().strip());
        assertThat((List<?>) body.get("revocations")).hasSize(2)
                .anySatisfy(r -> {
                    Map<?, ?> m = (Map<?, ?>) r;
                    assertThat(m.get("id")).isEqualTo(id);
                    assertThat(m.get("until")).isEqualTo(epoch);
                    assertThat(m.get("untilIso")).isEqualTo(Instant.ofEpochSecond(epoch).toString());
                    assertThat(Instant.parse((String) m.get("createdIso")).getEpochSecond()).isEqualTo(m.get("created"));
                })
                .anySatisfy(r -> assertThat(((Map<?, ?>) r).get("issuedBeforeIso")).isEqualTo("2023-11-14T22:13:20Z"));

        CliRun lift = CliRun.run("revocations", "lift", id, "--admin", admin, "--admin-token", ADMIN_TOKEN);
        assertThat(lift.code()).as(lift.toString()).isZero();
        assertThat(lift.out().strip()).isEqualTo("lifted " + id);
        assertThat(reason(token("viewer"))).as("admitted again (the origin is down: 502)").startsWith("502");
        CliRun again = CliRun.run("revocations", "lift", id, "--admin", admin, "--admin-token", ADMIN_TOKEN);
        assertThat(again.code()).as("an unknown id (404) is a runtime failure").isEqualTo(1);
        assertThat(again.err()).contains("error: no revocation with id \"" + id + "\"", "404");
        assertThat(CliRun.run("revocations", "list", "--admin", admin, "--admin-token", ADMIN_TOKEN).out())
                .doesNotContain(id).contains("issuedBefore");
    }

    @Test
    void anEmptyListSaysSo() {
        CliRun list = CliRun.run("revocations", "list", "--admin", admin, "--admin-token", ADMIN_TOKEN);
        assertThat(list.code()).isZero();
        assertThat(list.out().strip()).isEqualTo("no revocations in force");
    }

    @Test
    void theAdminCommandsExitLikeRevoke() {
        // no token: the gateway's 401 is a runtime failure, and says why
        CliRun unauthorised = CliRun.run("revocations", "list", "--admin", admin, "--admin-token", "");
        assertThat(unauthorised.code()).isEqualTo(1);
        assertThat(unauthorised.err()).contains("error: the gateway answered 401", "admin_token_required");
        assertThat(CliRun.run("keys", "--admin", admin, "--admin-token", "wrong").code()).isEqualTo(1);
        // nothing listening there
        for (String[] args : new String[][] {{"revocations", "list"}, {"revocations", "lift", "x"}, {"keys"}}) {
            List<String> a = new java.util.ArrayList<>(List.of(args));
            a.addAll(List.of("--admin", "http://127.0.0.1:1"));
            CliRun r = CliRun.run(a.toArray(String[]::new));
            assertThat(r.code()).as(String.join(" ", args)).isEqualTo(1);
            assertThat(r.err()).as(String.join(" ", args)).contains("error: cannot reach the admin API at http://127.0.0.1:1");
        }
        // usage errors
        assertThat(CliRun.run("revocations").code()).as("no subcommand").isEqualTo(2);
        assertThat(CliRun.run("revocations", "lift", "--admin", admin).code()).as("no id").isEqualTo(2);
        assertThat(CliRun.run("revocations", "list").code()).as("no --admin").isEqualTo(2);
        assertThat(CliRun.run("keys").code()).as("neither --config nor --admin").isEqualTo(2);
        assertThat(CliRun.run("keys", "--config", "x.yaml", "--admin", admin).code()).as("both").isEqualTo(2);
    }

    @Test
    void keysThroughTheAdminApiAreTheKeysTheGatewayLoaded() throws Exception {
        CliRun keys = CliRun.run("keys", "--admin", admin, "--admin-token", ADMIN_TOKEN);
        assertThat(keys.code()).as(keys.toString()).isZero();
        List<String> lines = keys.out().lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).matches("KID +TYPE / ALGORITHMS +FINGERPRINT \\(SHA-256 OF SPKI, HEX\\) +SOURCE");
        String[] cells = lines.get(1).split(" {2,}");
        assertThat(cells[0]).isEqualTo("k1");
        assertThat(cells[1]).isEqualTo("EC P-256 / ES256");
        assertThat(cells[2]).isEqualTo(KeysCommand.fingerprint(key.publicKey())).matches("[0-9a-f]{64}");
        assertThat(cells[3]).startsWith("keys[0] file " + dir.resolve("key.pem")).contains("(loaded 20");
    }
}
