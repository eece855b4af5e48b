package io.streamgate.gateway.contract;

import java.net.URI;
import java.nio.file.Path;

import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.io.TempDir;

import io.streamgate.filters.contract.AdapterContract;
import io.streamgate.gateway.GatewayHarness;
import io.streamgate.gateway.runtime.GatewayServer;

/**
 * The contract against the gateway: a real {@link GatewayServer} (from YAML, via
 * {@link GatewayHarness}) proxying an {@code http} route to the {@code RecordingBackend} as its
 * origin, on the same path ({@code /live/ -> origin /live/}).
 */
class GatewayContractTest extends AdapterContract {
    @TempDir
    Path dir;

    private Server origin;
    private GatewayServer gateway;
    private int adminPort;

    @Override
    protected URI start(Setup setup) throws Exception {
        origin = new Server();
        ServerConnector c = new ServerConnector(origin);
        c.setHost("127.0.0.1");
        c.setPort(0);
        origin.addConnector(c);
        ServletContextHandler ctx = new ServletContextHandler();
        ctx.addServlet(new ServletHolder(setup.backend()), "/*");
        origin.setHandler(ctx);
        origin.start();

        String yaml = GatewayHarness.head(setup.key(), 0)
                + "verify:\n"
                + "  algorithms: [ES256]\n"
                + "  leeway: " + Setup.LEEWAY.toSeconds() + "s\n"
                + "  maxLifetime: " + Setup.MAX_LIFETIME.toDays() + "d\n"
                + "  issuers: ['" + Setup.ISSUER + "']\n"
                + "  audiences: [" + Setup.AUDIENCE + "]\n"
                + "  requiredClaims: [exp]\n"
                + "tokens:\n"
                + "  from: [query:token, query:jwtoken, header:Authorization, cookie:sg_token, websocket-protocol]\n"
                + "  maxLength: " + Setup.MAX_TOKEN_LENGTH + "\n"
                + "replay: {mode: once, store: memory}\n"
                + "routes:\n"
                + "  - name: " + Setup.ROUTE + "\n"
                + "    path: " + Setup.PREFIX + "\n"
                + "    type: http\n"
                + "    upstream: 'http://127.0.0.1:" + c.getLocalPort() + Setup.PREFIX + "'\n"
                + "    methods: [" + String.join(", ", Setup.METHODS) + "]\n"
                + "    require:\n"
                + "      - {claim: '" + Setup.RULE.get("claim") + "', contains: '" + Setup.RULE.get("contains") + "'}\n";
        gateway = GatewayHarness.start(dir, setup.key(), yaml, setup.clock());
        adminPort = gateway.adminPort();
        return gateway.uri();
    }

    @Override
    protected void revoke(String field, String value) throws Exception {
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/revocations"))
                        .header("Content-Type", "application/json")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"" + field + "\":\"" + value + "\"}"))
                        .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) {
            throw new AssertionError("revocation refused: " + r.statusCode() + " " + r.body());
        }
    }

    @Override
    protected void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        if (origin != null) {
            origin.stop();
        }
    }
}
