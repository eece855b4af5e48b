package io.streamgate.gateway.cli;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code revocations list|lift}: the revocations in force at a running gateway, through its
 * admin API ({@code GET /revocations}, {@code DELETE /revocations/{id}}); the same options,
 * timeouts and exit codes as {@code revoke}.
 */
@Command(name = "revocations", mixinStandardHelpOptions = true,
        description = "List the revocations in force, or lift one, through a running gateway's admin API.",
        subcommands = {RevocationsCommand.ListCommand.class, RevocationsCommand.LiftCommand.class})
final class RevocationsCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Without a subcommand: the usage, and exit 2. */
    @Override
    public Integer call() {
        spec.commandLine().usage(System.err);
        return Main.USAGE;
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"Print the revocations in force.",
                    "One line per revocation: ID, KIND (jti, sub, sid or issuedBefore), VALUE, UNTIL (ISO-8601 UTC "
                            + "and epoch seconds), ISS (only tokens of this issuer; - for any) and REASON (- for "
                            + "none); --json prints GET /revocations' answer instead.",
                    "Exit 0, or 1 when the gateway cannot be reached or refuses."})
    static final class ListCommand implements Callable<Integer> {
        @Mixin
        AdminApi api;

        @Option(names = "--json", description = "Print the admin API's JSON answer as it is")
        boolean json;

        @Override
        public Integer call() throws Exception {
            HttpResponse<String> r = api.send("GET", "/revocations", null);
            if (r == null) {
                return Main.RUNTIME_FAILURE;
            }
            if (r.statusCode() != 200) {
                return AdminApi.unexpected(r);
            }
            if (json) {
                System.out.println(r.body());
                return Main.OK;
            }
            JsonNode body = new ObjectMapper().readTree(r.body());
            if ("local".equals(body.path("scope").asText(null))) {
                System.err.println("note: the gateway's store failed: these are the revocations that replica "
                        + "enforces (scope: local)");
            }
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"ID", "KIND", "VALUE", "UNTIL", "ISS", "REASON"});
            for (JsonNode rev : body.path("revocations")) {
                String kind = "?";
                String value = "?";
                for (String k : new String[] {"jti", "sub", "sid", "issuedBefore"}) {
                    if (rev.has(k)) {
                        kind = k;
                        value = rev.get(k).isNumber() ? withIso(rev.get(k).asLong()) : rev.get(k).asText();
                        break;
                    }
                }
                rows.add(new String[] {rev.path("id").asText(), kind, value,
                        rev.has("until") ? withIso(rev.get("until").asLong()) : "-",
                        rev.hasNonNull("iss") ? rev.get("iss").asText() : "-",
                        rev.hasNonNull("reason") ? rev.get("reason").asText() : "-"});
            }
            if (rows.size() == 1) {
                System.out.println("no revocations in force");
                return Main.OK;
            }
            Table.print(rows);
            return Main.OK;
        }

        /** {@code 2026-12-07T21:13:18Z (1796764398)}. */
        private static String withIso(long epochSeconds) {
            String iso = AdminApi.iso(epochSeconds);
            return iso == null ? Long.toString(epochSeconds) : iso + " (" + epochSeconds + ")";
        }
    }

    @Command(name = "lift", mixinStandardHelpOptions = true,
            description = {"Lift one revocation by its id.",
                    "The id is the one `revoke` and `revocations list` print. Tokens it refused are admitted again; "
                            + "a session it ended stays ended.",
                    "Exit 0 when lifted, 1 when there is no such revocation (404) or the gateway cannot be reached "
                            + "or refuses."})
    static final class LiftCommand implements Callable<Integer> {
        @Mixin
        AdminApi api;

        @Parameters(index = "0", paramLabel = "ID", description = "The revocation's id")
        String id;

        @Override
        public Integer call() throws Exception {
            if (id.isBlank() || id.indexOf('/') >= 0) {
                throw new io.streamgate.filters.core.ConfigException("ID", "not a revocation id: \"" + id + "\"");
            }
            String path = "/revocations/" + java.net.URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20");
            HttpResponse<String> r = api.send("DELETE", path, null);
            if (r == null) {
                return Main.RUNTIME_FAILURE;
            }
            if (r.statusCode() == 204) {
                System.out.println("lifted " + id);
                return Main.OK;
            }
            if (r.statusCode() == 404) {
                System.err.println("error: no revocation with id \"" + id + "\" at " + api.admin
                        + " (404: already lifted, expired, or never made; `revocations list` shows those in force)");
                return Main.RUNTIME_FAILURE;
            }
            return AdminApi.unexpected(r);
        }
    }
}
