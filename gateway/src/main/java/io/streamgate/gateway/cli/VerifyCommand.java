package io.streamgate.gateway.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Base64;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import io.streamgate.filters.Authorizer;
import io.streamgate.filters.RoutePolicy;
import io.streamgate.filters.Verdict;
import io.streamgate.filters.core.BasicRequestView;
import io.streamgate.filters.core.ClientAddress;
import io.streamgate.filters.core.ConfigException;
import io.streamgate.filters.core.DenialReason;
import io.streamgate.filters.metrics.StreamGateMetrics;
import io.streamgate.filters.rules.RuleInput;
import io.streamgate.filters.token.ExtractedToken;
import io.streamgate.filters.token.TokenSource;
import io.streamgate.gateway.config.ConfigLoader;
import io.streamgate.gateway.config.GatewayConfig;
import io.streamgate.gateway.edge.Routes;
import io.streamgate.gateway.runtime.AuthSetup;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code verify}: decides a token as the gateway would for a path, and explains it — the
 * answer to "why is this viewer rejected?". Replay state is not touched (the jti is not
 * consumed). Exit 0 when allowed, 1 when denied, 2 for a usage or config error.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Print the decision, the reason code and the claims for a token, as the gateway would decide it.")
final class VerifyCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The gateway's YAML configuration")
    Path config;

    @Option(names = "--path", paramLabel = "PATH", description = "Request path and query to decide for, e.g. "
            + "/live/ev1/index.m3u8?streamname=a: picks the route and checks its rules. Without it only the token "
            + "is checked (signature, time, issuer, audience, required claims), not route rules")
    String path;

    @Parameters(index = "0", paramLabel = "TOKEN", description = "The token (a JWS compact string), or - to read it "
            + "from standard input (it then stays out of the shell's history and the process list), e.g. "
            + "verify --config conf/gateway.yaml - < token.txt")
    String token;

    /** A token on standard input is at most this long (the gateway's own limit is far lower). */
    private static final int MAX_STDIN = 1 << 20;

    @Override
    public Integer call() throws Exception {
        if ("-".equals(token)) {
            token = readStdin();
        }
        GatewayConfig c = ConfigLoader.withSystemEnv().load(config);
        GatewayConfig.Route route = null;
        String p = null;
        if (path != null) {
            String rawPath = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
            // the gateway's one canonical path: what routing and rules see
            String pathOnly = io.streamgate.filters.core.PathSafety.canonical(rawPath);
            if (pathOnly == null) {
                throw new ConfigException("--path", "malformed_path: not a canonical request path: " + rawPath);
            }
            p = pathOnly + (path.contains("?") ? path.substring(path.indexOf('?')) : "");
            route = Routes.match(c.routes(), pathOnly);
            if (route == null) {
                throw new ConfigException("--path", "no route matches " + pathOnly);
            }
            if (!route.authRequired()) {
                System.out.println("decision: allowed");
                System.out.println("route: " + route.name() + " (auth: none, no token needed)");
                return Main.OK;
            }
        }
        // A copy of the config with replay off: explaining a token must not consume it.
        GatewayConfig dry = new GatewayConfig(c.listen(), c.admin(), c.keys(), c.verify(), c.tokens(),
                new GatewayConfig.Replay(c.replay().mode(), c.replay().maxSessions(), GatewayConfig.Replay.Store.MEMORY,
                        c.replay().redis(), c.replay().allowOnStoreError(), c.replay().timeout(),
                        c.replay().keyPrefix(), c.replay().lease(), c.replay().options()),
                c.trustedProxies(), c.crypto(), c.hls(), c.proxy(), c.routes(), GatewayConfig.Warmup.OFF);
        try (Authorizer a = AuthSetup.build(dry, StreamGateMetrics.noop(), Clock.systemUTC(), false)) {
            a.keys().start().get(30, TimeUnit.SECONDS);
            // Without --path: the token alone (signature, time, issuer, audience, required claims).
            RoutePolicy tokenOnly = RoutePolicy.anyValidToken(route == null ? "(none)" : route.name(), "/");
            RoutePolicy policy = route == null ? tokenOnly
                    : new RoutePolicy(route.name(), routePrefix(route.path()), route.rules());
            BasicRequestView request = BasicRequestView.of(p == null ? "/" : p);
            Verdict v = decide(a, policy, request);
            System.out.println("decision: " + (v.allowed() ? "allowed" : "denied"));
            System.out.println("route: " + (route == null
                    ? "none (no --path): route rules were not checked, only the token" : route.name()));
            if (v.allowed()) {
                System.out.println("status: 200");
                System.out.println("kid: " + Table.clean(v.token().kid()) + " (" + v.token().algorithm().jwaName() + ")");
                System.out.println("claims: " + org.jose4j.json.JsonUtil.toJson(v.token().claims().asMap()));
                printTimes(v.token().claims().asMap(), "");
                if (c.replay().mode() != io.streamgate.filters.replay.ReplayMode.OFF) {
                    System.out.println("note: replay mode " + c.replay().mode().name().toLowerCase(java.util.Locale.ROOT)
                            + " was not checked (verify never consumes a token)");
                }
                if (route == null) {
                    System.out.println("note: route rules were not checked; give --path /route/path?query to check them");
                }
                return Main.OK;
            }
            System.out.println("reason: " + v.reason().code() + " (" + v.reason().message() + ")");
            System.out.println("status: " + v.reason().status());
            if (v.reason() == DenialReason.UNKNOWN_KEY || v.reason() == DenialReason.KEY_SOURCE_UNAVAILABLE) {
                System.out.println(v.reason().code() + ": " + whyNoKey(a.keys()));
            }
            if (v.reason() == DenialReason.FORBIDDEN && route != null) {
                // The token itself is good: decide it again without rules for its claims, then explain the rule.
                Verdict token = decide(a, tokenOnly, request);
                if (token.allowed()) {
                    String why = route.rules().explain(token.token().claims(), new RuleInput(request,
                            policy.pathPrefix(), ClientAddress.trusting(c.trustedProxies(), "clientIp.trustedProxies")));
                    if (why != null) {
                        System.out.println("rule: " + why);
                    }
                    System.out.println("claims: " + org.jose4j.json.JsonUtil.toJson(token.token().claims().asMap()));
                    printTimes(token.token().claims().asMap(), "");
                    return Main.RUNTIME_FAILURE;
                }
            }
            String unverified = unverifiedClaims(token.trim());
            if (unverified != null) {
                System.out.println("claims (unverified): " + unverified);
                try {
                    printTimes(org.jose4j.json.JsonUtil.parseJson(unverified), " (unverified)");
                } catch (org.jose4j.lang.JoseException | RuntimeException e) {
                    // not a JSON object: the claims line says what there is
                }
            }
            return Main.RUNTIME_FAILURE;
        }
    }

    private Verdict decide(Authorizer a, RoutePolicy policy, BasicRequestView request) throws Exception {
        Verdict v = a.authorize(policy, request, new ExtractedToken(token.trim(), TokenSource.parse("query:token")))
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        v.admission().release(); // explaining a token never consumes it
        return v;
    }

    /** The token from standard input: its content without surrounding white space; empty is a usage error. */
    private static String readStdin() throws java.io.IOException {
        if (System.console() != null) {
            System.err.println("reading the token from standard input (paste it, then Enter and Ctrl-D)");
        }
        byte[] in = System.in.readNBytes(MAX_STDIN + 1);
        if (in.length > MAX_STDIN) {
            throw new ConfigException("TOKEN", "standard input holds more than " + MAX_STDIN + " bytes, not a token");
        }
        String t = new String(in, StandardCharsets.UTF_8).strip();
        if (t.isEmpty()) {
            throw new ConfigException("TOKEN", "no token on standard input (TOKEN \"-\" reads it from there)");
        }
        return t;
    }

    /** {@code iat}, {@code nbf} and {@code exp}, each as ISO-8601 UTC beside its epoch seconds. */
    private static void printTimes(java.util.Map<String, Object> claims, String note) {
        for (String name : new String[] {"iat", "nbf", "exp"}) {
            if (claims.get(name) instanceof Number n) {
                long seconds = (long) Math.floor(n.doubleValue());
                String iso = AdminApi.iso(seconds);
                System.out.println(name + note + ": " + (iso == null ? "" : iso + " ") + "(" + n + ")");
            }
        }
    }

    /**
     * Why no configured key matched: the token's kid and algorithm (read from its header,
     * unverified) against the kids configured, e.g. {@code token kid "abc" is not among the
     * configured keys: [demo, partner-2]}.
     */
    private String whyNoKey(io.streamgate.filters.keys.KeyRegistry keys) {
        java.util.Map<String, java.util.Set<String>> configured = new java.util.LinkedHashMap<>();
        for (io.streamgate.filters.keys.KeyRegistry.KeyInfo k : keys.list()) {
            configured.computeIfAbsent(k.kid() == null ? "(no kid)" : k.kid(), x -> new java.util.TreeSet<>())
                    .addAll(k.algorithms().stream().map(io.streamgate.filters.crypto.JwsAlgorithm::jwaName).toList());
        }
        String kid = null;
        String alg = null;
        String[] parts = token.trim().split("\\.");
        try {
            java.util.Map<String, Object> header = org.jose4j.json.JsonUtil.parseJson(
                    new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8));
            kid = header.get("kid") instanceof String s ? s : null;
            alg = header.get("alg") instanceof String s ? s : null;
        } catch (org.jose4j.lang.JoseException | RuntimeException e) {
            // a header that does not decode is malformed_token, never unknown_key
        }
        String failing = keys.anySourceFailing()
                ? " (a JWKS source could not be fetched: its keys are not among them)" : "";
        String list = Table.clean(String.valueOf(configured.keySet())) + failing;
        if (kid == null) {
            return "the token has no kid: without one a key is chosen only when exactly one configured key verifies "
                    + "its alg " + alg + "; configured keys: " + list;
        }
        java.util.Set<String> algs = configured.get(kid);
        if (algs != null) {
            return "token kid \"" + printable(kid) + "\" is configured, but its key verifies " + algs + ", not the token's alg "
                    + alg;
        }
        return "token kid \"" + printable(kid) + "\" is not among the configured keys: " + list;
    }

    /** A header value for the terminal: control characters as {@code ?}, at most 200 characters. */
    private static String printable(String s) {
        String t = s.length() > 200 ? s.substring(0, 200) + "..." : s;
        return Table.clean(t);
    }

    /** The payload as text for a human, when it decodes; marked unverified. */
    private static String unverifiedClaims(String token) {
        String[] parts = token.split("\\.");
        if (parts.length != 3) {
            return null;
        }
        try {
            String json = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
            return json.length() > 4096 || json.chars().anyMatch(ch -> ch < 0x20) ? null : json;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The prefix rules count {@code {path.N}} from: the route's path without a trailing slash, as the gateway does. */
    private static String routePrefix(String path) {
        String p = Routes.prefix(path);
        return p.isEmpty() ? "/" : p;
    }
}
