package io.streamgate.gateway.config;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import io.streamgate.filters.core.ClientAddress;
import io.streamgate.filters.core.ConfigException;
import io.streamgate.filters.core.Redaction;
import io.streamgate.filters.crypto.CryptoProvider;
import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.replay.ReplayMode;
import io.streamgate.filters.rules.RouteRules;
import io.streamgate.filters.token.TokenSource;
import io.streamgate.filters.verify.VerifyPolicy;

/**
 * Reads and validates {@code gateway.yaml}. Every problem is reported with its key path
 * ({@code routes[1].upstream: not a URL: "htp:/x"}), all of them at once, as a
 * {@link ConfigException}. Unknown keys are errors. Values may use {@code ${ENV}} and
 * {@code ${ENV:-default}}.
 */
public final class ConfigLoader {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    /** {@code listen.minBodyRate}'s default, bytes per second: 1 KiB/s. */
    private static final int DEFAULT_MIN_BODY_RATE = 1024;

    private final Function<String, String> env;

    public ConfigLoader(Function<String, String> env) {
        this.env = env;
    }

    public static ConfigLoader withSystemEnv() {
        return new ConfigLoader(System::getenv);
    }

    public GatewayConfig load(Path file) {
        String text;
        try {
            text = ConfigFiles.readText(file); // bounded: a config file is never near 1 MiB
        } catch (IOException e) {
            throw new ConfigException(List.of(unreadable(file, e)));
        }
        Path base = file.toAbsolutePath().getParent();
        return parse(text, base);
    }

    /**
     * What {@code check-config} reports: every structural problem, and the key sources that
     * could be read however many other problems the file has, so that key contents are checked
     * in the same pass. {@code config} is null when there are problems.
     */
    public record Checked(GatewayConfig config, List<GatewayConfig.KeySource> keys, List<String> problems) {
    }

    /** Checks a file without throwing for its problems (a missing file or bad YAML is one problem). */
    public Checked check(Path file) {
        String text;
        try {
            text = ConfigFiles.readText(file);
        } catch (IOException e) {
            return new Checked(null, List.of(), List.of(unreadable(file, e)));
        }
        try {
            return parseAll(text, file.toAbsolutePath().getParent());
        } catch (ConfigException e) {
            return new Checked(null, List.of(), e.problems());
        }
    }

    private static String unreadable(Path file, IOException e) {
        return e instanceof ConfigFiles.TooLargeException ? e.getMessage() : file + ": cannot read: " + ConfigFiles.why(e);
    }

    /** Parses YAML text; relative paths resolve against {@code baseDir}. */
    public GatewayConfig parse(String yaml, Path baseDir) {
        Checked c = parseAll(yaml, baseDir);
        if (c.config() == null) {
            throw new ConfigException(c.problems());
        }
        return c.config();
    }

    private Checked parseAll(String yaml, Path baseDir) {
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            // the parser's own words, first line only, and where: never the whole message (it quotes the file)
            String msg = e.getOriginalMessage() == null ? "invalid YAML"
                    : e.getOriginalMessage().lines().findFirst().orElse("invalid YAML");
            com.fasterxml.jackson.core.JsonLocation at = e.getLocation();
            String where = at == null || at.getLineNr() < 1 ? ""
                    : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            throw new ConfigException(List.of("(file): invalid YAML" + where + ": " + msg));
        } catch (IOException e) {
            String msg = e.getMessage() == null ? "invalid YAML" : e.getMessage().lines().findFirst().orElse("invalid YAML");
            throw new ConfigException(List.of("(file): invalid YAML: " + msg));
        }
        List<String> problems = new ArrayList<>();
        ConfigNode r = new ConfigNode(root, "", problems, env);
        if (r.isMissing()) {
            throw new ConfigException(List.of("(file): empty configuration"));
        }
        r.expectObject(Set.of("listen", "admin", "keys", "verify", "tokens", "replay", "clientIp", "crypto", "hls",
                "proxy", "routes", "warmup", "log"));
        GatewayConfig.Listen listen = listen(r.child("listen"), baseDir);
        GatewayConfig.Admin admin = admin(r.child("admin"));
        List<GatewayConfig.KeySource> keys = keys(r.child("keys"), baseDir);
        GatewayConfig.Tokens tokens = tokens(r.child("tokens"));
        VerifyPolicy verify = verify(r.child("verify"), tokens.maxLength());
        GatewayConfig.Replay replay = replay(r.child("replay"));
        List<String> trusted = clientIp(r.child("clientIp"));
        CryptoProvider crypto = crypto(r.child("crypto"));
        GatewayConfig.Hls hls = hls(r.child("hls"));
        GatewayConfig.Proxy proxy = proxy(r.child("proxy"));
        List<GatewayConfig.Route> routes = routes(r.child("routes"));
        GatewayConfig.Warmup warmup = warmup(r.child("warmup"));
        GatewayConfig.Log log = log(r.child("log"));
        if (!problems.isEmpty()) {
            return new Checked(null, keys, List.copyOf(problems));
        }
        return new Checked(new GatewayConfig(listen, admin, keys, verify, tokens, replay, trusted, crypto, hls, proxy,
                routes, warmup, log), keys, List.of());
    }

    private GatewayConfig.Log log(ConfigNode n) {
        n.expectObject(Set.of("level", "format", "access"));
        GatewayConfig.Log d = GatewayConfig.Log.DEFAULT;
        String level = n.string("level", d.level().name().toLowerCase(Locale.ROOT));
        GatewayConfig.LogLevel l = switch (level.toLowerCase(Locale.ROOT)) {
            case "error" -> GatewayConfig.LogLevel.ERROR;
            case "warn" -> GatewayConfig.LogLevel.WARN;
            case "info" -> GatewayConfig.LogLevel.INFO;
            case "debug" -> GatewayConfig.LogLevel.DEBUG;
            case "trace" -> GatewayConfig.LogLevel.TRACE;
            default -> {
                n.problem("level", "must be error, warn, info, debug or trace, was \"" + level + "\"");
                yield d.level();
            }
        };
        String format = n.string("format", d.format().name().toLowerCase(Locale.ROOT));
        GatewayConfig.LogFormat f = switch (format.toLowerCase(Locale.ROOT)) {
            case "text" -> GatewayConfig.LogFormat.TEXT;
            case "json" -> GatewayConfig.LogFormat.JSON;
            default -> {
                n.problem("format", "must be text or json, was \"" + format + "\"");
                yield d.format();
            }
        };
        return new GatewayConfig.Log(l, f, n.bool("access", d.access()));
    }

    private GatewayConfig.Warmup warmup(ConfigNode n) {
        n.expectObject(Set.of("verifications", "maxDuration"));
        return new GatewayConfig.Warmup(n.integer("verifications", 20_000, 0, 10_000_000),
                n.duration("maxDuration", Duration.ofSeconds(20)));
    }

    private GatewayConfig.Listen listen(ConfigNode n, Path base) {
        n.expectObject(Set.of("host", "port", "tls", "maxConnections", "idleTimeout", "headerTimeout", "minBodyRate",
                "maxConnectionsPerClient"));
        String host = n.string("host", "0.0.0.0");
        int port = n.integer("port", 8080, 0, 65535);
        GatewayConfig.Tls tls = null;
        ConfigNode t = n.child("tls");
        if (t.expectObject(Set.of("keystore", "password"))) {
            String ks = t.requiredString("keystore");
            String pw = t.string("password", "");
            if (ks != null) {
                Path p = base.resolve(ks);
                if (!Files.isReadable(p)) {
                    t.problem("keystore", "cannot read file " + p);
                }
                tls = new GatewayConfig.Tls(p, pw);
            }
        }
        int maxConnections = n.integer("maxConnections", 16_000, 1, 10_000_000);
        return new GatewayConfig.Listen(host, port, tls, maxConnections,
                n.duration("idleTimeout", Duration.ofSeconds(30)), n.duration("headerTimeout", Duration.ofSeconds(10)),
                n.integer("minBodyRate", DEFAULT_MIN_BODY_RATE, 0, 1 << 30),
                // a tenth of the cap: one address (a NAT, an attacker) cannot take the listener;
                // trusted proxies, which carry many viewers, are exempt
                n.integer("maxConnectionsPerClient", Math.max(1, maxConnections / 10), 1, 10_000_000));
    }

    private GatewayConfig.Admin admin(ConfigNode n) {
        n.expectObject(Set.of("enabled", "host", "port", "token", "hosts"));
        boolean enabledWritten = n.has("enabled");
        boolean enabled = n.bool("enabled", true);
        String host = n.string("host", "127.0.0.1");
        int port = n.integer("port", 9090, 0, 65535); // 0: the operating system picks a free port
        String token = n.string("token", "");
        if (enabled && token.isEmpty() && !isLoopback(host)) {
            // /reload, /keys and /revocations change or reveal what the gateway trusts: never
            // open to a network without a credential.
            n.problem("token", "required when the admin listener is not on a loopback address (admin.host: "
                    + host + "); set admin.token (e.g. ${SG_ADMIN_TOKEN}) or admin.host: 127.0.0.1"
                    + (port == 0 && !enabledWritten
                            ? " (admin.port: 0 no longer turns the admin listener off: admin.enabled: false does)" : ""));
        }
        return new GatewayConfig.Admin(host, port, token, enabled, enabledWritten, adminHosts(n.child("hosts")));
    }

    private static final java.util.regex.Pattern HOST_NAME = java.util.regex.Pattern.compile(
            "[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*");
    private static final java.util.regex.Pattern IP_LITERAL = java.util.regex.Pattern.compile("[0-9a-f:.]+");

    /** True for an IPv6 literal; in brackets, {@code InetAddress} never asks DNS. */
    private static boolean isIpv6Literal(String h) {
        try {
            return java.net.InetAddress.getByName("[" + h + "]") instanceof java.net.Inet6Address
                    || h.startsWith("::ffff:");
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    /**
     * {@code admin.hosts}: the {@code Host} names the admin listener answers to besides its
     * address and loopback (e.g. a Kubernetes Service name Prometheus scrapes by). Each a name
     * or an IP address, without scheme or port; kept lower case, without a trailing dot or
     * IPv6 brackets.
     */
    private static List<String> adminHosts(ConfigNode list) {
        List<String> out = new ArrayList<>();
        for (ConfigNode e : list.elements()) {
            String v = e.text();
            if (v == null) {
                continue;
            }
            String h = v.strip().toLowerCase(Locale.ROOT);
            if (h.startsWith("[") && h.endsWith("]")) {
                h = h.substring(1, h.length() - 1);
            }
            if (h.endsWith(".")) {
                h = h.substring(0, h.length() - 1);
            }
            boolean ok = h.length() <= 253 && (HOST_NAME.matcher(h).matches()
                    || (h.contains(":") && IP_LITERAL.matcher(h).matches() && isIpv6Literal(h)));
            if (!ok) {
                e.problem("a host name or IP address, without scheme, port or wildcard (e.g. streamgate-admin.monitoring.svc), was \""
                        + v + "\"");
            } else if (!out.contains(h)) {
                out.add(h);
            }
        }
        return out;
    }

    /** True for a loopback literal or name ({@code 127.0.0.0/8}, {@code ::1}, {@code localhost}); no DNS lookup. */
    static boolean isLoopback(String host) {
        String h = host.strip().toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return h.equals("localhost") || h.equals("::1") || h.equals("0:0:0:0:0:0:0:1")
                || h.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    }

    private List<GatewayConfig.KeySource> keys(ConfigNode n, Path base) {
        List<GatewayConfig.KeySource> out = new ArrayList<>();
        List<ConfigNode> items = n.elements();
        if (items.isEmpty()) {
            n.problem("at least one key source is required (a file or a jwks URL)");
        }
        Map<String, String> kids = new java.util.HashMap<>();
        for (ConfigNode k : items) {
            k.expectObject(Set.of("kid", "file", "jwks", "refresh", "minRefetch", "timeout"));
            String kid = k.string("kid", null);
            if (kid != null) {
                String first = kids.putIfAbsent(kid, k.path());
                if (first != null) {
                    // two keys under one kid: which one verifies a token would be a guess
                    k.problem("kid", "duplicate kid \"" + kid + "\": " + first + " and " + k.path() + " both use it");
                }
            }
            String file = k.string("file", null);
            String jwks = k.string("jwks", null);
            if ((file == null) == (jwks == null)) {
                k.problem("give exactly one of file or jwks");
                continue;
            }
            Duration refresh = k.duration("refresh", Duration.ofMinutes(10));
            Duration minRefetch = k.duration("minRefetch", Duration.ofSeconds(30));
            Duration timeout = k.duration("timeout", Duration.ofSeconds(5));
            if (file != null) {
                Path p = base.resolve(file);
                if (!Files.isReadable(p)) {
                    k.problem("file", "cannot read file " + p + (Files.exists(p) ? " (not readable)"
                            : " (no such file; `keygen --kid KID --out DIR` writes DIR/public.pem)"));
                }
                out.add(new GatewayConfig.KeySource(k.path(), kid, p, null, refresh, minRefetch, timeout));
            } else {
                URI u = url(k, "jwks", jwks, Set.of("http", "https"));
                if (refresh.isZero()) {
                    k.problem("refresh", "must be positive");
                }
                out.add(new GatewayConfig.KeySource(k.path(), kid, null, u, refresh, minRefetch, timeout));
            }
        }
        return out;
    }

    private GatewayConfig.Tokens tokens(ConfigNode n) {
        n.expectObject(Set.of("from", "stripBeforeUpstream", "maxLength"));
        List<TokenSource> from = new ArrayList<>();
        ConfigNode list = n.child("from");
        if (list.isMissing()) {
            from.addAll(io.streamgate.filters.token.TokenExtractor.DEFAULT_SOURCES);
        } else {
            for (ConfigNode e : list.elements()) {
                try {
                    from.add(TokenSource.parse(e.text()));
                } catch (IllegalArgumentException ex) {
                    e.problem(ex.getMessage());
                }
            }
            if (from.isEmpty()) {
                list.problem("at least one token source is required");
            }
        }
        return new GatewayConfig.Tokens(from, n.bool("stripBeforeUpstream", true),
                n.integer("maxLength", 8192, 16, 1 << 20));
    }

    private VerifyPolicy verify(ConfigNode n, int maxLength) {
        n.expectObject(Set.of("algorithms", "leeway", "maxLifetime", "issuers", "audiences", "requiredClaims"));
        VerifyPolicy.Builder b = VerifyPolicy.builder().maxTokenLength(maxLength);
        ConfigNode algs = n.child("algorithms");
        if (!algs.isMissing()) {
            Set<JwsAlgorithm> set = EnumSet.noneOf(JwsAlgorithm.class);
            for (ConfigNode a : algs.elements()) {
                String name = a.text();
                JwsAlgorithm alg = name == null ? null : JwsAlgorithm.fromConfigName(name);
                if (alg == null) {
                    String why = name != null && name.toLowerCase(Locale.ROOT).startsWith("hs")
                            ? " (HMAC is never accepted: the gateway holds public keys only)"
                            : "none".equalsIgnoreCase(name) ? " (unsigned tokens are never accepted)" : "";
                    a.problem("unsupported algorithm \"" + name + "\"" + why
                            + "; use RS256/384/512, PS256/384/512, ES256/384/512 or EdDSA");
                } else {
                    set.add(alg);
                }
            }
            if (set.isEmpty()) {
                algs.problem("at least one algorithm is required");
            } else {
                b.algorithms(set);
            }
        }
        b.leeway(n.duration("leeway", Duration.ofSeconds(30)));
        Duration maxLifetime = n.duration("maxLifetime", Duration.ofDays(366));
        if (maxLifetime.isZero()) {
            n.problem("maxLifetime", "must be positive");
        } else {
            b.maxLifetime(maxLifetime);
        }
        b.issuers(new HashSet<>(n.strings("issuers", List.of())));
        b.audiences(new HashSet<>(n.strings("audiences", List.of())));
        b.requiredClaims(n.strings("requiredClaims", List.of("exp")));
        return b.build();
    }

    private GatewayConfig.Replay replay(ConfigNode n) {
        n.expectObject(Set.of("mode", "maxSessions", "store", "redis", "onStoreError", "timeout", "keyPrefix", "lease",
                "limitBy", "onLimit", "jtiScope"));
        ConfigNode m = n.child("mode");
        ReplayMode mode = ReplayMode.OFF;
        if (!m.isMissing()) {
            mode = ReplayMode.fromConfig(m.scalar());
            if (mode == null) {
                m.problem("must be off, once or limit, was " + (m.scalar() instanceof String t ? "\"" + t + "\"" : m.scalar()));
                mode = ReplayMode.OFF;
            }
        }
        int maxSessions = n.integer("maxSessions", 1, 1, 1_000_000);
        String store = n.string("store", "memory");
        GatewayConfig.Replay.Store st = switch (store) {
            case "memory" -> GatewayConfig.Replay.Store.MEMORY;
            case "redis" -> GatewayConfig.Replay.Store.REDIS;
            default -> {
                n.problem("store", "must be memory or redis, was \"" + store + "\"");
                yield GatewayConfig.Replay.Store.MEMORY;
            }
        };
        String redis = n.string("redis", "redis://127.0.0.1:6379");
        URI redisUri = null;
        // checked with Lettuce's own parser: multi-host forms (sentinels, cluster seeds) have no single host
        String redisProblem = io.streamgate.filters.redis.RedisReplayStore.problem(redis);
        // the value is shown without its password (nor the parser's words with it): errors reach logs and terminals
        if (redisProblem != null) {
            n.problem("redis", Redaction.scrub(redisProblem, redis) + ": \"" + Redaction.url(redis) + "\"");
        } else {
            try {
                redisUri = new URI(redis);
            } catch (URISyntaxException e) {
                n.problem("redis", "not a URI: \"" + Redaction.url(redis) + "\"");
            }
        }
        String onError = n.string("onStoreError", "deny");
        if (!onError.equals("deny") && !onError.equals("allow")) {
            n.problem("onStoreError", "must be deny or allow, was \"" + onError + "\"");
        }
        String limitBy = n.string("limitBy", "jti");
        if (!limitBy.equals("jti") && !limitBy.equals("sub")
                && !(limitBy.startsWith("claim:") && io.streamgate.filters.rules.ClaimPath.parse(limitBy.substring(6)) != null)) {
            n.problem("limitBy", "must be jti, sub or claim:<path> (e.g. claim:ticket.id), was \"" + limitBy + "\"");
            limitBy = "jti";
        }
        String onLimit = n.string("onLimit", "reject");
        if (!onLimit.equals("reject") && !onLimit.equals("evict-oldest")) {
            n.problem("onLimit", "must be reject or evict-oldest, was \"" + onLimit + "\"");
        }
        String scope = n.string("jtiScope", "issuer");
        if (!scope.equals("issuer") && !scope.equals("subject")) {
            n.problem("jtiScope", "must be issuer or subject, was \"" + scope + "\"");
        }
        return new GatewayConfig.Replay(mode, maxSessions, st, redisUri, onError.equals("allow"),
                n.duration("timeout", Duration.ofMillis(50)), n.string("keyPrefix", "streamgate:"),
                n.duration("lease", Duration.ofSeconds(30)),
                new io.streamgate.filters.replay.ReplayGuard.Options(scope.equals("subject"), limitBy,
                        onLimit.equals("evict-oldest")));
    }

    private List<String> clientIp(ConfigNode n) {
        n.expectObject(Set.of("trustedProxies"));
        List<String> cidrs = n.strings("trustedProxies", List.of());
        try {
            ClientAddress.trusting(cidrs, n.childPath("trustedProxies"));
        } catch (ConfigException e) {
            e.problems().forEach(n::addProblemLine);
        }
        return cidrs;
    }

    private CryptoProvider crypto(ConfigNode n) {
        n.expectObject(Set.of("provider"));
        String p = n.string("provider", "auto");
        CryptoProvider c = CryptoProvider.fromConfigName(p);
        if (c == null) {
            n.problem("provider", "must be auto, conscrypt, bouncycastle or jdk, was \"" + p + "\"");
            return CryptoProvider.AUTO;
        }
        return c;
    }

    private GatewayConfig.Hls hls(ConfigNode n) {
        n.expectObject(Set.of("sessionSecret", "sessionTtl", "sessionMaxAge", "maxPlaylistBytes", "shieldMaxAge"));
        String secret = n.string("sessionSecret", "");
        if (!secret.isEmpty() && secret.length() < 16) {
            n.problem("sessionSecret", "must be at least 16 characters (or empty for a random per-process secret)");
        }
        return new GatewayConfig.Hls(secret, n.duration("sessionTtl", Duration.ofMinutes(10)),
                n.integer("maxPlaylistBytes", 1 << 20, 1024, 64 << 20),
                n.duration("shieldMaxAge", Duration.ofSeconds(1)), n.duration("sessionMaxAge", Duration.ofHours(12)));
    }

    private GatewayConfig.Proxy proxy(ConfigNode n) {
        n.expectObject(Set.of("connectTimeout", "idleTimeout", "maxConnectionsPerUpstream", "maxQueuedPerUpstream"));
        return new GatewayConfig.Proxy(n.duration("connectTimeout", Duration.ofSeconds(5)),
                n.duration("idleTimeout", Duration.ofSeconds(30)),
                n.integer("maxConnectionsPerUpstream", 256, 1, 100_000),
                n.integer("maxQueuedPerUpstream", 8192, 1, 1_000_000));
    }

    private List<GatewayConfig.Route> routes(ConfigNode n) {
        List<GatewayConfig.Route> out = new ArrayList<>();
        List<ConfigNode> items = n.elements();
        if (items.isEmpty()) {
            n.problem("at least one route is required");
        }
        Set<String> names = new HashSet<>();
        Set<String> paths = new HashSet<>();
        for (ConfigNode r : items) {
            r.expectObject(Set.of("name", "path", "type", "upstream", "auth", "onExpiry", "claimHeaders", "require",
                    "idleTimeout", "maxMessageSize", "methods", "shield"));
            String name = r.requiredString("name");
            if (name != null && !name.matches("[A-Za-z0-9_.-]{1,64}")) {
                r.problem("name", "use 1-64 letters, digits, '_', '.', '-' (it is a metric tag)");
            }
            if ("-".equals(name)) {
                r.problem("name", "\"-\" is reserved: it tags requests that matched no route");
            }
            if (name != null && !names.add(name)) {
                r.problem("name", "duplicate route name \"" + name + "\"");
            }
            String path = r.requiredString("path");
            if (path != null && (!path.startsWith("/") || path.contains("?") || path.contains("#"))) {
                r.problem("path", "must start with / and hold no query, was \"" + path + "\"");
            }
            if (path != null && !paths.add(path)) {
                r.problem("path", "duplicate route path \"" + path + "\"");
            }
            String typeText = r.string("type", "http");
            GatewayConfig.RouteType type = switch (typeText) {
                case "websocket" -> GatewayConfig.RouteType.WEBSOCKET;
                case "hls" -> GatewayConfig.RouteType.HLS;
                case "http" -> GatewayConfig.RouteType.HTTP;
                default -> {
                    r.problem("type", "must be websocket, hls or http, was \"" + typeText + "\"");
                    yield GatewayConfig.RouteType.HTTP;
                }
            };
            String up = r.requiredString("upstream");
            URI upstream = up == null ? null : url(r, "upstream", up, type == GatewayConfig.RouteType.WEBSOCKET
                    ? Set.of("ws", "wss") : Set.of("http", "https"));
            String auth = r.string("auth", "token");
            if (!auth.equals("token") && !auth.equals("none")) {
                r.problem("auth", "must be token or none, was \"" + auth + "\"");
            }
            String expiry = r.string("onExpiry", "keep");
            if (!expiry.equals("keep") && !expiry.equals("close")) {
                r.problem("onExpiry", "must be keep or close, was \"" + expiry + "\"");
            }
            Map<String, String> claimHeaders = r.stringMap("claimHeaders");
            claimHeaders.forEach((claim, header) -> {
                if (!header.matches("[A-Za-z0-9-]{1,64}")) {
                    r.child("claimHeaders").problem(claim, "not a header name: \"" + header + "\"");
                }
            });
            RouteRules rules = RouteRules.none();
            ConfigNode req = r.child("require");
            if (!req.isMissing()) {
                if (auth.equals("none")) {
                    req.problem("a route with auth: none cannot require claims");
                }
                try {
                    rules = RouteRules.compile(req.plain(), req.path());
                } catch (ConfigException e) {
                    e.problems().forEach(r::addProblemLine);
                }
            }
            Duration idle = r.duration("idleTimeout", Duration.ofMinutes(5));
            int maxMessage = r.integer("maxMessageSize", 1 << 20, 1024, 64 << 20);
            List<String> methods = methods(r, type);
            boolean shield = r.bool("shield", type == GatewayConfig.RouteType.HLS);
            if (shield && type != GatewayConfig.RouteType.HLS) {
                r.problem("shield", "the origin shield is for hls routes (playlists)");
            }
            out.add(new GatewayConfig.Route(name, path, type, upstream, !auth.equals("none"),
                    expiry.equals("close") ? GatewayConfig.OnExpiry.CLOSE : GatewayConfig.OnExpiry.KEEP,
                    Map.copyOf(claimHeaders), rules, idle, maxMessage, methods, shield));
        }
        return out;
    }

    private static final Set<String> KNOWN_METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE",
            "OPTIONS");

    /** {@code methods}: default GET and HEAD; a websocket route upgrades with GET only. */
    private static List<String> methods(ConfigNode r, GatewayConfig.RouteType type) {
        List<String> def = type == GatewayConfig.RouteType.WEBSOCKET ? List.of("GET")
                : GatewayConfig.Route.DEFAULT_METHODS;
        List<String> methods = r.strings("methods", def);
        List<String> out = new ArrayList<>();
        for (String m : methods) {
            if (!KNOWN_METHODS.contains(m)) {
                r.problem("methods", "not a method: \"" + m + "\" (allowed: DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT)");
            } else if (!out.contains(m)) {
                out.add(m);
            }
        }
        if (out.isEmpty() && !methods.isEmpty()) {
            return def;
        }
        if (methods.isEmpty()) {
            r.problem("methods", "at least one method is required");
            return def;
        }
        if (type == GatewayConfig.RouteType.WEBSOCKET && !out.equals(List.of("GET"))) {
            r.problem("methods", "a websocket route takes GET only (the upgrade)");
            return def;
        }
        return List.copyOf(out);
    }

    private static URI url(ConfigNode n, String key, String value, Set<String> schemes) {
        if (value == null) {
            return null;
        }
        try {
            URI u = new URI(value);
            if (u.getScheme() == null || !schemes.contains(u.getScheme().toLowerCase(Locale.ROOT))
                    || u.getHost() == null) {
                n.problem(key, "not a URL: \"" + Redaction.url(value) + "\" (expected "
                        + String.join("/", new java.util.TreeSet<>(schemes)) + ")");
                return null;
            }
            return u;
        } catch (URISyntaxException e) {
            n.problem(key, "not a URL: \"" + Redaction.url(value) + "\"");
            return null;
        }
    }
}
