package io.streamgate.gateway.cli;

import java.net.http.HttpResponse;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code revoke}: adds a revocation through a running gateway's admin API
 * ({@code POST /revocations}); every replica sharing its store applies it within seconds.
 */
@Command(name = "revoke", mixinStandardHelpOptions = true,
        description = {"Revoke tokens and sessions by jti, sub, sid or issue time, through a running gateway's "
                + "admin API.",
                "Prints the revocation's id as JSON, {\"id\":\"...\"}; `revocations list` shows those in force, "
                        + "`revocations lift ID` lifts one."})
final class RevokeCommand implements Callable<Integer> {
    @Mixin
    AdminApi api;

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
        HttpResponse<String> r = api.send("POST", "/revocations", body.toString());
        if (r == null) {
            return Main.RUNTIME_FAILURE;
        }
        if (r.statusCode() == 201) {
            System.out.println(r.body());
            return Main.OK;
        }
        return AdminApi.unexpected(r);
    }
}
