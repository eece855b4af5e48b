package io.streamgate.gateway.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Base64;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import io.streamgate.filters.Authorizer;
import io.streamgate.filters.BasicRequestView;
import io.streamgate.filters.ConfigException;
import io.streamgate.filters.RoutePolicy;
import io.streamgate.filters.Verdict;
import io.streamgate.filters.metrics.StreamGateMetrics;
import io.streamgate.filters.token.ExtractedToken;
import io.streamgate.filters.token.TokenSource;
import io.streamgate.gateway.config.ConfigLoader;
import io.streamgate.gateway.config.GatewayConfig;
import io.streamgate.gateway.server.AuthSetup;
import io.streamgate.gateway.server.Routes;

/**
 * {@code verify}: decides a token as the gateway would for a path, and explains it — the
 * answer to "why is this viewer rejected?". Replay state is not touched (the jti is not
 * consumed). Exit 0 when allowed, 1 when denied, 2 for a usage or config error.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Print the decision, the reason code and the claims for a token, as the gateway would decide it.")
final class VerifyCommand implements Callable<Integer> {
    @Option(names = "--config", required = true)
    Path config;

    @Option(names = "--path", description = "Request path and query, e.g. /live/ev1/index.m3u8?streamname=a "
            + "(default: the first route that requires a token)")
    String path;

    @Parameters(index = "0", paramLabel = "TOKEN")
    String token;

    @Override
    public Integer call() throws Exception {
        GatewayConfig c = ConfigLoader.withSystemEnv().load(config);
        String p = path;
        if (p == null) {
            p = c.routes().stream().filter(GatewayConfig.Route::authRequired).findFirst()
                    .map(GatewayConfig.Route::path).orElse("/");
        }
        String rawPath = p.contains("?") ? p.substring(0, p.indexOf('?')) : p;
        // the gateway's one canonical path: what routing and rules see
        String pathOnly = io.streamgate.filters.PathSafety.canonical(rawPath);
        if (pathOnly == null) {
            throw new ConfigException("--path", "malformed_path: not a canonical request path: " + rawPath);
        }
        p = pathOnly + (p.contains("?") ? p.substring(p.indexOf('?')) : "");
        GatewayConfig.Route route = Routes.match(c.routes(), pathOnly);
        if (route == null) {
            throw new ConfigException("--path", "no route matches " + pathOnly);
        }
        if (!route.authRequired()) {
            System.out.println("decision: allowed");
            System.out.println("route: " + route.name() + " (auth: none, no token needed)");
            return Main.OK;
        }
        // A copy of the config with replay off: explaining a token must not consume it.
        GatewayConfig dry = new GatewayConfig(c.listen(), c.admin(), c.keys(), c.verify(), c.tokens(),
                new GatewayConfig.Replay(c.replay().mode(), c.replay().maxSessions(), GatewayConfig.Replay.Store.MEMORY,
                        c.replay().redis(), c.replay().allowOnStoreError(), c.replay().timeout(),
                        c.replay().keyPrefix(), c.replay().lease(), c.replay().options()),
                c.trustedProxies(), c.crypto(), c.hls(), c.proxy(), c.routes(), GatewayConfig.Warmup.OFF);
        try (Authorizer a = AuthSetup.build(dry, StreamGateMetrics.noop(), Clock.systemUTC(), false)) {
            a.keys().start().get(30, TimeUnit.SECONDS);
            Verdict v = a.authorize(new RoutePolicy(route.name(), routePrefix(route.path()), route.rules()),
                    BasicRequestView.of(p), new ExtractedToken(token.trim(), TokenSource.parse("query:token")))
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
            v.admission().release(); // explaining a token never consumes it
            System.out.println("decision: " + (v.allowed() ? "allowed" : "denied"));
            System.out.println("route: " + route.name());
            if (v.allowed()) {
                System.out.println("status: 200");
                System.out.println("kid: " + v.token().kid() + " (" + v.token().algorithm().jwaName() + ")");
                System.out.println("claims: " + org.jose4j.json.JsonUtil.toJson(v.token().claims().asMap()));
                if (c.replay().mode() != io.streamgate.filters.replay.ReplayMode.OFF) {
                    System.out.println("note: replay mode " + c.replay().mode().name().toLowerCase(java.util.Locale.ROOT)
                            + " was not checked (verify never consumes a token)");
                }
                return Main.OK;
            }
            System.out.println("reason: " + v.reason().code() + " (" + v.reason().message() + ")");
            System.out.println("status: " + v.reason().status());
            String unverified = unverifiedClaims(token.trim());
            if (unverified != null) {
                System.out.println("claims (unverified): " + unverified);
            }
            return Main.RUNTIME_FAILURE;
        }
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
