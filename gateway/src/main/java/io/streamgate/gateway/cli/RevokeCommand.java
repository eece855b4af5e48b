package io.streamgate.gateway.cli;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code revoke}: adds a revocation through a running gateway's admin API
 * ({@code POST /revocations}); every replica sharing its store applies it within seconds.
 */
@Command(name = "revoke", mixinStandardHelpOptions = true,
        description = "Revoke tokens and sessions by jti, sub, sid or issue time, through a running gateway's "
                + "admin API. Prints the revocation's id (lift it with DELETE /revocations/{id}).")
final class RevokeCommand implements Callable<Integer> {
    @Option(names = "--admin", required = true, paramLabel = "URL",
            description = "The gateway's admin listener, e.g. http://127.0.0.1:9090")
    URI admin;

    @Option(names = "--admin-token", paramLabel = "T", defaultValue = "${env:SG_ADMIN_TOKEN}",
            description = "The admin.token of that gateway (default: the SG_ADMIN_TOKEN environment variable)")
    String adminToken;

    @ArgGroup(exclusive = true, multiplicity = "1")
    What what;

    static final class What {
        @Option(names = "--jti", paramLabel = "J", description = "Revoke the token with this jti")
        String jti;

        @Option(names = "--sub", paramLabel = "S", description = "Revoke every token and session of this subject")
        String sub;

        @Option(names = "--sid", paramLabel = "ID", description = "End this one session (its sid)")
        String sid;

        @Option(names = "--issued-before", paramLabel = "T",
                description = "Revoke every token issued (iat) before this time: epoch seconds")
        Long issuedBefore;
    }

    @Option(names = "--iss", paramLabel = "I", description = "Only tokens of this issuer")
    String iss;

    @Option(names = "--ttl", paramLabel = "DURATION", defaultValue = "24h",
            description = "How long the revocation stays in force (default: ${DEFAULT-VALUE}), e.g. 30m, 24h, 7d")
    String ttl;

    @Option(names = "--reason", paramLabel = "TEXT", description = "A note kept with the revocation")
    String reason;

    @Override
    public Integer call() throws Exception {
        ObjectNode body = new ObjectMapper().createObjectNode();
        if (what.jti != null) {
            body.put("jti", what.jti);
        } else if (what.sub != null) {
            body.put("sub", what.sub);
        } else if (what.sid != null) {
            body.put("sid", what.sid);
        } else {
            body.put("issuedBefore", what.issuedBefore);
        }
        if (iss != null) {
            body.put("iss", iss);
        }
        body.put("ttl", ttl);
        if (reason != null) {
            body.put("reason", reason);
        }
        HttpRequest.Builder req = HttpRequest.newBuilder(admin.resolve("/revocations"))
                .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
        if (adminToken != null && !adminToken.isEmpty()) {
            req.header("Authorization", "Bearer " + adminToken);
        }
        HttpResponse<String> r;
        try {
            r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build()
                    .send(req.build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            System.err.println("error: cannot reach the admin API at " + admin + ": " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()));
            return Main.RUNTIME_FAILURE;
        }
        if (r.statusCode() == 201) {
            System.out.println(r.body());
            return Main.OK;
        }
        System.err.println("error: the gateway answered " + r.statusCode() + ": " + r.body());
        return r.statusCode() == 400 ? Main.USAGE : Main.RUNTIME_FAILURE;
    }
}
