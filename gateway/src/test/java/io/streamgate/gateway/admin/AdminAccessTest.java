package io.streamgate.gateway.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
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
import java.util.Map;

import org.jose4j.json.JsonUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.streamgate.filters.testing.TestKeys;
import io.streamgate.gateway.GatewayHarness;
import io.streamgate.gateway.RawHttp;
import io.streamgate.gateway.runtime.GatewayServer;

/**
 * The admin listener against web pages (issue 21): with no {@code admin.token} (the shipped
 * default, the demo), a page in the operator's browser must neither change anything (a form
 * post, a no-cors fetch, from another site) nor reach it by DNS rebinding (another Host), while
 * curl, the CLI and scripts keep working. A real gateway on ephemeral loopback ports, Java's
 * HttpClient for what it sends, raw sockets for the Host values it will not.
 */
@SuppressWarnings("unchecked")
class AdminAccessTest {
    private static final String ADMIN_TOKEN = "access-test-admin-token-0123456789";

    @TempDir
    Path dir;

    private final TestKeys key = TestKeys.es256("k1");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private GatewayServer gateway;

    @AfterEach
    void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
    }

    /** A gateway from a config file (so /reload re-reads it), admin on a free port with {@code admin} settings. */
    private GatewayServer start(String admin) throws Exception {
        Files.writeString(dir.resolve("key.pem"), key.publicPem());
        gateway = GatewayHarness.startFromFile(dir, yaml(admin), Clock.systemUTC());
        return gateway;
    }

    private static String yaml(String admin) {
        return "listen: {host: 127.0.0.1, port: 0}\nwarmup: {verifications: 0}\n"
                + "admin: {host: 127.0.0.1, port: 0" + admin + "}\n"
                + "keys: [{kid: k1, file: key.pem}]\n"
                + "routes: [{name: r, path: /r/, type: http, upstream: 'http://127.0.0.1:1/'}]\n";
    }

    private URI admin(String path) {
        return URI.create("http://127.0.0.1:" + gateway.adminPort() + path);
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return http.send(b.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A POST as a page's form or fetch would send it: {@code type} (null: none), extra headers as name, value pairs. */
    private HttpResponse<String> post(String path, String type, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(admin(path))
                .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (type != null) {
            b.header("Content-Type", type);
        }
        if (headers.length > 0) {
            b.headers(headers);
        }
        return send(b);
    }

    private int revocationsInForce() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(admin("/revocations")));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return ((List<?>) JsonUtil.parseJson(r.body()).get("revocations")).size();
    }

    private double reloads(String result) throws Exception {
        String series = "streamgate_config_reloads_total{result=\"" + result + "\"} ";
        return send(HttpRequest.newBuilder(admin("/metrics"))).body().lines().filter(l -> l.startsWith(series))
                .mapToDouble(l -> Double.parseDouble(l.substring(series.length()).trim())).findFirst().orElse(0);
    }

    private static Map<String, Object> json(String body) throws Exception {
        return JsonUtil.parseJson(body);
    }

    /** A raw HTTP/1.1 exchange with this Host (null: none, HTTP/1.0) and optional extra header lines. */
    private String raw(String method, String path, String host, String extra, String body) throws Exception {
        StringBuilder req = new StringBuilder(method + " " + path + (host == null ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n"));
        if (host != null) {
            req.append("Host: ").append(host).append("\r\n");
        }
        req.append(extra == null ? "" : extra);
        if (body != null) {
            req.append("Content-Length: ").append(body.length()).append("\r\n");
        }
        req.append("Connection: close\r\n\r\n").append(body == null ? "" : body);
        return RawHttp.exchange(gateway.adminPort(), req.toString());
    }

    @Test
    void adminMutationWithTextPlainIsRefused() throws Exception {
        start("");
        String revocation = "{\"sub\":\"viewer@example.com\",\"ttl\":\"10m\"}";
        // what a page can send without a preflight: text/plain, a form, multipart; and no type at all
        for (String type : new String[] {"text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x", null}) {
            HttpResponse<String> r = post("/revocations", type, revocation);
            assertThat(r.statusCode()).as("%s: %s", type, r.body()).isEqualTo(415);
            assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
            assertThat(json(r.body())).containsEntry("error", "invalid_request")
                    .containsEntry("reason", "unsupported_media_type");
        }
        assertThat(revocationsInForce()).as("nothing revoked").isZero();
        // reload: no body, or JSON; a text/plain post (even an empty one) is refused and reloads nothing
        assertThat(post("/reload", "text/plain", "").statusCode()).isEqualTo(415);
        assertThat(post("/reload", "text/plain", "{}").statusCode()).isEqualTo(415);
        assertThat(reloads("applied")).isZero();
        assertThat(reloads("rejected")).isZero();
        // a delete with a non-JSON body likewise
        assertThat(send(HttpRequest.newBuilder(admin("/revocations/r-none")).header("Content-Type", "text/plain")
                .method("DELETE", HttpRequest.BodyPublishers.ofString("x"))).statusCode()).isEqualTo(415);

        // JSON (parameters such as a charset are fine) is accepted, as are a reload and a delete without a body
        HttpResponse<String> created = post("/revocations", "application/json; charset=utf-8", revocation);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(revocationsInForce()).isEqualTo(1);
        assertThat(post("/reload", null, null).statusCode()).isEqualTo(200);
        assertThat(post("/reload", "application/json", "{}").statusCode()).isEqualTo(200);
        assertThat(reloads("applied")).isEqualTo(2.0);
        String id = (String) json(created.body()).get("id");
        assertThat(send(HttpRequest.newBuilder(admin("/revocations/" + id)).DELETE()).statusCode()).isEqualTo(204);
    }

    @Test
    void reloadWithABodyThatIsNotJsonIsRefused() throws Exception {
        start("");
        // regression: the body was never read, so anything declared JSON reloaded
        for (String body : new String[] {"not json", "{\"a\":1,\"a\":2}", "{} trailing"}) {
            HttpResponse<String> r = post("/reload", "application/json", body);
            assertThat(r.statusCode()).as("%s: %s", body, r.body()).isEqualTo(400);
            assertThat(json(r.body())).containsEntry("reason", "malformed_request");
        }
        HttpResponse<String> big = post("/reload", "application/json", "[" + "0,".repeat(10_000) + "0]");
        assertThat(big.statusCode()).as(big.body()).isEqualTo(400);
        assertThat(reloads("applied")).isZero();
        assertThat(reloads("rejected")).isZero();
        assertThat(post("/reload", "application/json", "{}").statusCode()).isEqualTo(200);
        assertThat(post("/reload", null, null).statusCode()).isEqualTo(200);
        assertThat(reloads("applied")).isEqualTo(2.0);
    }

    @Test
    void adminMutationWithTwoContentTypesIsRefused() throws Exception {
        start("");
        String revocation = "{\"sub\":\"viewer@example.com\",\"ttl\":\"10m\"}";
        // JSON first, then text/plain: the first used to decide
        String resp = raw("POST", "/revocations", "127.0.0.1:" + gateway.adminPort(),
                "Content-Type: application/json\r\nContent-Type: text/plain\r\n", revocation);
        assertThat(RawHttp.status(resp)).as(resp).isEqualTo(415);
        assertThat(revocationsInForce()).as("nothing revoked").isZero();
    }

    @Test
    void adminMutationFromAnotherSiteIsRefused() throws Exception {
        start("");
        String revocation = "{\"sub\":\"viewer@example.com\"}";
        String own = "http://127.0.0.1:" + gateway.adminPort();
        String[][] crossSite = {
            {"Origin", "https://evil.example"},
            {"Origin", "null"}, // a sandboxed frame, a data: URL
            {"Origin", "http://127.0.0.1:" + gateway.port()}, // the gateway's own public listener: same site, not same origin
            {"Sec-Fetch-Site", "cross-site"},
            {"Sec-Fetch-Site", "same-site"},
            {"Origin", own, "Sec-Fetch-Site", "cross-site"},
        };
        for (String[] headers : crossSite) {
            HttpResponse<String> r = post("/revocations", "application/json", revocation, headers);
            assertThat(r.statusCode()).as("%s: %s", List.of(headers), r.body()).isEqualTo(403);
            assertThat(json(r.body())).containsEntry("error", "forbidden").containsEntry("reason", "cross_site_request");
            assertThat(post("/reload", null, null, headers).statusCode()).as("reload %s", List.of(headers)).isEqualTo(403);
            assertThat(send(HttpRequest.newBuilder(admin("/revocations/r-none")).headers(headers).DELETE()).statusCode())
                    .isEqualTo(403);
        }
        assertThat(revocationsInForce()).as("nothing revoked").isZero();
        assertThat(reloads("applied")).as("nothing reloaded").isZero();

        // the listener's own origin, a same-origin or user-initiated fetch, and no such header at all (curl, the CLI)
        for (String[] headers : new String[][] {{"Origin", own}, {"Sec-Fetch-Site", "same-origin"},
            {"Sec-Fetch-Site", "none"}, {}}) {
            HttpResponse<String> r = post("/revocations", "application/json", revocation, headers);
            assertThat(r.statusCode()).as("%s: %s", List.of(headers), r.body()).isEqualTo(201);
        }
        // reads are not mutations: a cross-site GET is answered (the browser keeps the answer from the page)
        assertThat(send(HttpRequest.newBuilder(admin("/revocations")).header("Origin", "https://evil.example"))
                .statusCode()).isEqualTo(200);
    }

    @Test
    void adminAnswersOnlyHostsThatNameIt() throws Exception {
        start("");
        int port = gateway.adminPort();
        // a page rebinding its own name to the listener's address sends its own name
        for (String host : new String[] {"evil.example:" + port, "evil.example", "localhost.evil.example:" + port,
            "10.9.9.9:" + port, "[2001:db8::1]:" + port, "::1"}) {
            for (String path : new String[] {"/metrics", "/revocations", "/keys", "/nothing"}) {
                String r = raw("GET", path, host, null, null);
                assertThat(RawHttp.status(r)).as("Host %s %s: %s", host, path, r).isEqualTo(421);
                assertThat(json(RawHttp.body(r))).containsEntry("error", "misdirected_request")
                        .containsEntry("reason", "admin_host_not_allowed");
            }
            String post = raw("POST", "/revocations", host, "Content-Type: application/json\r\n", "{\"sub\":\"x\"}");
            assertThat(RawHttp.status(post)).as("Host %s: %s", host, post).isEqualTo(421);
            assertThat(RawHttp.status(raw("POST", "/reload", host, null, null))).isEqualTo(421);
        }
        assertThat(revocationsInForce()).isZero();
        assertThat(reloads("applied")).isZero();

        // names of this listener: its address, loopback names and addresses, any case, a trailing dot
        for (String host : new String[] {"127.0.0.1:" + port, "127.0.0.1", "localhost:" + port, "LOCALHOST.:" + port,
            "[::1]:" + port, "[0:0:0:0:0:0:0:1]", "127.0.0.2:" + port}) {
            assertThat(RawHttp.status(raw("GET", "/metrics", host, null, null))).as("Host %s", host).isEqualTo(200);
        }
        assertThat(RawHttp.status(raw("POST", "/revocations", "localhost:" + port, "Content-Type: application/json\r\n",
                "{\"sub\":\"x\"}"))).isEqualTo(201);
        // no Host at all (HTTP/1.0): no browser sends that
        String noHost = raw("GET", "/metrics", null, null, null);
        assertThat(noHost).as(noHost).matches("(?s)HTTP/1\\.[01] 200 .*");
        // probes reach health whatever name they use: nothing there to read or change
        for (String path : new String[] {"/healthz", "/readyz"}) {
            String r = raw("GET", path, "evil.example:" + port, null, null);
            assertThat(RawHttp.status(r)).as(path + ": " + r).isEqualTo(200);
        }
    }

    @Test
    void adminHostsLetsPrometheusScrapeByAKubernetesServiceName() throws Exception {
        String service = "streamgate-admin.monitoring.svc";
        start(", hosts: [" + service + ", STREAMGATE-ADMIN.monitoring.svc.cluster.local.]");
        int port = gateway.adminPort();
        for (String host : new String[] {service + ":9090", service, "streamgate-admin.monitoring.svc.cluster.local:" + port,
            "StreamGate-Admin.Monitoring.SVC."}) {
            String r = raw("GET", "/metrics", host, null, null);
            assertThat(RawHttp.status(r)).as("Host %s", host).isEqualTo(200);
            assertThat(RawHttp.body(r)).contains("streamgate_config_reloads_total");
        }
        assertThat(RawHttp.status(raw("GET", "/metrics", "streamgate-admin:" + port, null, null)))
                .as("only the names listed").isEqualTo(421);
        assertThat(RawHttp.status(raw("GET", "/metrics", "evil.monitoring.svc", null, null))).isEqualTo(421);

        // admin.hosts follows a reload: the short name added, the service name dropped
        Files.writeString(dir.resolve("gateway.yaml"), yaml(", hosts: [streamgate-admin]"));
        HttpResponse<String> reload = post("/reload", null, null);
        assertThat(reload.statusCode()).as(reload.body()).isEqualTo(200);
        assertThat((List<Object>) json(reload.body()).get("changed")).contains("admin.hosts");
        assertThat(RawHttp.status(raw("GET", "/metrics", "streamgate-admin:" + port, null, null))).isEqualTo(200);
        assertThat(RawHttp.status(raw("GET", "/metrics", service, null, null))).isEqualTo(421);
    }

    @Test
    void adminHostsEntriesAreNamesOrAddressesWithoutPort() throws Exception {
        Files.writeString(dir.resolve("key.pem"), key.publicPem());
        for (String bad : new String[] {"'admin.example:9090'", "'http://admin.example'", "'*.example'", "'a/b'"}) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new io.streamgate.gateway.config.ConfigLoader(
                    System::getenv).parse(yaml(", hosts: [" + bad + "]"), dir))
                    .isInstanceOf(io.streamgate.filters.core.ConfigException.class)
                    .hasMessageStartingWith("admin.hosts[0]: a host name or IP address");
        }
        assertThat(new io.streamgate.gateway.config.ConfigLoader(System::getenv)
                .parse(yaml(", hosts: ['[fd00::5]', 10.0.0.5, Admin.Example.]"), dir).admin().hosts())
                .containsExactly("fd00::5", "10.0.0.5", "admin.example");
    }

    @Test
    void anIpAddressInHostIsAnsweredOnlyWhenItIsTheListenersOwn() throws Exception {
        InetAddress podIp = InetAddress.getByName("10.1.2.3");
        // the address the connection reached (a pod's IP: Prometheus and kubelet scrape by it)
        assertThat(AdminAccess.hostNamesListener("10.1.2.3:9090", podIp, "0.0.0.0", List.of())).isTrue();
        assertThat(AdminAccess.hostNamesListener("10.1.2.4:9090", podIp, "0.0.0.0", List.of())).isFalse();
        // a listed address (a Service's cluster IP, a Docker host's), a bound one, loopback
        assertThat(AdminAccess.hostNamesListener("10.96.0.10", podIp, "0.0.0.0", List.of("10.96.0.10"))).isTrue();
        assertThat(AdminAccess.hostNamesListener("[fd00::5]:9090", podIp, "fd00:0:0:0:0:0:0:5", List.of())).isTrue();
        assertThat(AdminAccess.hostNamesListener("127.0.0.1", podIp, "0.0.0.0", List.of())).isTrue();
        // the wildcard a listener binds to is no name of it
        assertThat(AdminAccess.hostNamesListener("0.0.0.0:9090", podIp, "0.0.0.0", List.of())).isFalse();
        assertThat(AdminAccess.hostNamesListener("[::]:9090", podIp, "::", List.of())).isFalse();
        // the configured admin.host when it is a name
        assertThat(AdminAccess.hostNamesListener("gw-admin.internal:9090", podIp, "gw-admin.internal", List.of())).isTrue();
        // malformed values: never answered, never looked up in DNS
        for (String bad : new String[] {"", ":9090", "a:b:c", "[::1", "[::1]x", "999.1.1.1", "[zz::1]"}) {
            assertThat(AdminAccess.hostNamesListener(bad, podIp, "0.0.0.0", List.of())).as(bad).isFalse();
        }
    }

    @Test
    void aRefusedMutationKeepsItsConnectionForTheNextRequest() throws Exception {
        start(", token: " + ADMIN_TOKEN);
        String body = "{\"sub\":\"x\"}";
        try (java.net.Socket s = new java.net.Socket(InetAddress.getLoopbackAddress(), gateway.adminPort())) {
            java.io.OutputStream out = s.getOutputStream();
            out.write(("POST /revocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length() + "\r\n\r\n" + body.substring(0, 5))
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            // regression: the 401 went out before the body was read, and Jetty closed the connection
            // with the body unread; a client reusing it (Java's HttpClient did) met an EOF
            s.setSoTimeout(1000);
            byte[] early = new byte[1];
            try {
                assertThat(s.getInputStream().read(early)).as("answered before the body was in").isNegative();
            } catch (java.net.SocketTimeoutException expected) {
                // no answer while the body is incomplete: the refusal waits for it
            }
            s.setSoTimeout(20_000);
            out.write((body.substring(5) + "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            String both = io.streamgate.gateway.RawHttp.readAll(s.getInputStream());
            assertThat(both).startsWith("HTTP/1.1 401").contains("admin_token_required");
            assertThat(both.indexOf("HTTP/1.1 200", 1)).as(both).isPositive();
        }
    }

    @Test
    void adminTokenIsStillRequiredForASameOriginJsonMutation() throws Exception {
        start(", token: " + ADMIN_TOKEN);
        HttpResponse<String> r = post("/revocations", "application/json", "{\"sub\":\"x\"}",
                "Origin", "http://127.0.0.1:" + gateway.adminPort());
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(json(r.body())).containsEntry("reason", "admin_token_required");
        assertThat(post("/revocations", "application/json", "{\"sub\":\"x\"}", "Authorization", "Bearer " + ADMIN_TOKEN)
                .statusCode()).isEqualTo(201);
        // the token does not open the door to a text/plain post or another site
        assertThat(post("/revocations", "text/plain", "{\"sub\":\"x\"}", "Authorization", "Bearer " + ADMIN_TOKEN)
                .statusCode()).isEqualTo(415);
        assertThat(post("/revocations", "application/json", "{\"sub\":\"x\"}", "Authorization", "Bearer " + ADMIN_TOKEN,
                "Origin", "https://evil.example").statusCode()).isEqualTo(403);
    }
}
