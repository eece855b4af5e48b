package io.streamgate.gateway.cli;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.interfaces.EdECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import io.streamgate.filters.core.ConfigException;
import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.crypto.KeyFit;
import io.streamgate.filters.crypto.SignatureVerifier;
import io.streamgate.filters.keys.KeyParser;
import io.streamgate.filters.keys.VerificationKey;
import io.streamgate.gateway.config.ConfigLoader;
import io.streamgate.gateway.config.GatewayConfig;

/**
 * {@code keys}: the keys a gateway trusts, from its configuration (key files read, JWKS URLs
 * fetched once, as the gateway would) or from a running gateway ({@code GET /keys}). The
 * fingerprint is the SHA-256 of the public key's SubjectPublicKeyInfo (DER) in lowercase hex:
 * what {@code keygen} prints, {@code GET /keys} calls {@code spkiSha256} and
 * {@code openssl pkey -pubin -in public.pem -outform DER | sha256sum} prints.
 */
@Command(name = "keys", mixinStandardHelpOptions = true,
        description = {"List the keys a gateway trusts: kid, type and algorithms, fingerprint, source.",
                "One line per key: KID, TYPE / ALGORITHMS (e.g. EC P-256 / ES256), FINGERPRINT (SHA-256 of the "
                        + "public key's SubjectPublicKeyInfo DER, lowercase hex: what keygen prints, GET /keys calls "
                        + "spkiSha256, and `openssl pkey -pubin -in public.pem -outform DER | sha256sum` prints) and "
                        + "SOURCE (config entry, then key file or JWKS URL).",
                "With --config the key files are read and each JWKS URL is fetched once; a JWKS that cannot be "
                        + "fetched is named with its error on standard error and the others are still listed.",
                "Exit 0 when at least one key is listed (even if a JWKS source failed), 1 when none could be "
                        + "(every source failed, or the gateway cannot be reached or refuses), 2 for a usage or "
                        + "configuration error."})
final class KeysCommand implements Callable<Integer> {
    private static final int MAX_JWKS_BYTES = 1 << 20; // as the gateway: a larger JWKS is refused

    @ArgGroup(exclusive = true, multiplicity = "1")
    From from;

    static final class From {
        @Option(names = "--config", paramLabel = "FILE",
                description = "The gateway's YAML configuration: its keys as the gateway would load them")
        java.nio.file.Path config;

        @Option(names = "--admin", paramLabel = "URL",
                description = "A running gateway's admin listener, e.g. http://127.0.0.1:9090: the keys it has loaded")
        URI admin;
    }

    @Option(names = "--admin-token", paramLabel = "T", defaultValue = "${env:SG_ADMIN_TOKEN}",
            description = "With --admin: the admin.token of that gateway (default: the SG_ADMIN_TOKEN environment variable)")
    String adminToken;

    /** One listed key's columns. */
    record Row(String kid, String type, String fingerprint, String source) {
        String[] cells() {
            return new String[] {kid == null ? "(none)" : kid, type, fingerprint, source};
        }
    }

    @Override
    public Integer call() throws Exception {
        List<Row> rows = new ArrayList<>();
        int failed;
        if (from.admin != null) {
            HttpResponse<String> r = AdminApi.send(from.admin, adminToken, "GET", "/keys", null);
            if (r == null) {
                return Main.RUNTIME_FAILURE;
            }
            if (r.statusCode() != 200) {
                return AdminApi.unexpected(r);
            }
            fromAdmin(r.body(), rows);
            failed = 0;
        } else {
            failed = fromConfig(rows);
        }
        if (rows.isEmpty()) {
            System.err.println("error: no key could be listed" + (failed > 0 ? " (" + failed + " source"
                    + (failed == 1 ? "" : "s") + " failed)" : ""));
            return Main.RUNTIME_FAILURE;
        }
        List<String[]> table = new ArrayList<>();
        table.add(new String[] {"KID", "TYPE / ALGORITHMS", "FINGERPRINT (SHA-256 OF SPKI, HEX)", "SOURCE"});
        rows.forEach(row -> table.add(row.cells()));
        Table.print(table);
        return Main.OK;
    }

    /** The keys of the config's sources, in config order; returns how many sources failed. */
    private int fromConfig(List<Row> rows) throws InterruptedException {
        GatewayConfig c = ConfigLoader.withSystemEnv().load(from.config);
        List<String> problems = CheckConfigCommand.keyProblems(c.keys(), c.crypto());
        if (!problems.isEmpty()) {
            throw new ConfigException(problems); // the gateway would not start: exit 2, as check-config
        }
        KeyParser parser = new KeyParser(SignatureVerifier.select(c.crypto()));
        HttpClient http = null;
        int failed = 0;
        for (GatewayConfig.KeySource k : c.keys()) {
            if (k.file() != null) {
                String text = io.streamgate.gateway.config.ConfigFiles.readKey(k.file(), k.path() + ".file");
                for (VerificationKey key : parser.parse(text, k.kid(), k.path()).keys()) {
                    rows.add(row(key, k.path() + " file " + k.file()));
                }
                continue;
            }
            if (http == null) {
                http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                        .followRedirects(HttpClient.Redirect.NEVER).build();
            }
            String where = k.path() + " jwks " + k.jwks();
            KeyParser.Result parsed;
            try {
                parsed = parser.parse(fetch(http, k.jwks(), k.timeout()), null, k.path());
            } catch (JwksFailure e) {
                System.err.println("error: " + where + ": " + Table.clean(e.getMessage()) + "; no key listed from it");
                failed++;
                continue;
            }
            if (parsed.keys().isEmpty()) {
                System.err.println("error: " + where + ": no usable keys" + (parsed.problems().isEmpty() ? ""
                        : ": " + Table.clean(String.join("; ", parsed.problems()))));
                failed++;
                continue;
            }
            for (String p : parsed.problems()) {
                System.err.println("warning: " + where + ": skipped: " + Table.clean(p));
            }
            for (VerificationKey key : parsed.keys()) {
                rows.add(row(key, where));
            }
        }
        return failed;
    }

    /** Why a JWKS could not be had, in words. */
    static final class JwksFailure extends Exception {
        JwksFailure(String message) {
            super(message, null, false, false);
        }
    }

    /** Fetches a JWKS as the gateway does: no redirects, 200 only, at most 1 MiB, within the source's timeout. */
    private static byte[] fetch(HttpClient http, URI uri, Duration timeout) throws JwksFailure, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(uri).timeout(timeout)
                .header("Accept", "application/jwk-set+json, application/json").GET().build();
        CompletableFuture<byte[]> body = http.sendAsync(req, HttpResponse.BodyHandlers.ofInputStream())
                .thenApplyAsync(r -> { // never on the client's own thread: it delivers the bytes read here
                    try (java.io.InputStream in = r.body()) {
                        if (r.statusCode() != 200) {
                            throw new java.util.concurrent.CompletionException(new JwksFailure("HTTP " + r.statusCode()));
                        }
                        byte[] b = in.readNBytes(MAX_JWKS_BYTES + 1);
                        if (b.length > MAX_JWKS_BYTES) {
                            throw new java.util.concurrent.CompletionException(
                                    new JwksFailure("JWKS larger than " + MAX_JWKS_BYTES + " bytes"));
                        }
                        return b;
                    } catch (java.io.IOException e) {
                        throw new java.util.concurrent.CompletionException(e);
                    }
                });
        try {
            return body.get(timeout.toMillis() * 2, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            body.cancel(true);
            throw new JwksFailure("no answer within " + timeout.toMillis() * 2 + " ms");
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof JwksFailure f) {
                throw f;
            }
            throw new JwksFailure(why(cause, timeout));
        }
    }

    /** A failed fetch in words, with the exception's class for searching. */
    private static String why(Throwable e, Duration timeout) {
        String name = e.getClass().getSimpleName();
        String detail = e.getMessage() == null || e.getMessage().isBlank() ? "" : ": " + e.getMessage();
        if (e instanceof java.net.http.HttpConnectTimeoutException) {
            return "cannot connect within 5 s (" + name + ")";
        }
        if (e instanceof java.net.http.HttpTimeoutException) {
            return "no answer within " + timeout.toMillis() + " ms (" + name + ")";
        }
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof java.net.UnknownHostException || c instanceof java.nio.channels.UnresolvedAddressException) {
                return "unknown host (" + c.getClass().getSimpleName() + ")";
            }
        }
        if (e instanceof java.net.ConnectException) {
            return "cannot connect: refused or unreachable (" + name + detail + ")";
        }
        if (e instanceof javax.net.ssl.SSLException) {
            return "TLS failed (" + name + detail + ")";
        }
        return name + detail;
    }

    /** The keys of a {@code GET /keys} answer (it lists loaded keys only: a failing JWKS is not named there). */
    private static void fromAdmin(String json, List<Row> rows) throws java.io.IOException {
        for (JsonNode k : new ObjectMapper().readTree(json).path("keys")) {
            Set<JwsAlgorithm> algs = new java.util.LinkedHashSet<>();
            for (JsonNode a : k.path("algorithms")) {
                JwsAlgorithm alg = JwsAlgorithm.fromJwaName(a.asText());
                if (alg != null) {
                    algs.add(alg);
                }
            }
            String type = algs.isEmpty() ? "?" : describe(algs.iterator().next().keyType());
            StringBuilder source = new StringBuilder(k.path("source").asText("?"));
            if (k.hasNonNull("file")) {
                source.append(" file ").append(k.get("file").asText());
            } else if (k.hasNonNull("jwks")) {
                source.append(" jwks ").append(k.get("jwks").asText());
            }
            if (k.hasNonNull("loadedAt")) {
                source.append(" (loaded ").append(k.get("loadedAt").asText()).append(')');
            }
            rows.add(new Row(k.hasNonNull("kid") ? k.get("kid").asText() : null, type + " / " + names(algs),
                    k.path("spkiSha256").asText("?"), source.toString()));
        }
    }

    private static Row row(VerificationKey key, String source) {
        return new Row(key.kid(), describe(key.publicKey()) + " / " + names(key.algorithms()), key.spkiSha256(), source);
    }

    private static String names(Set<JwsAlgorithm> algs) {
        return algs.stream().map(JwsAlgorithm::jwaName).collect(Collectors.joining(","));
    }

    /** The key's type and size or curve: {@code EC P-256}, {@code RSA 2048}, {@code Ed25519}. */
    static String describe(PublicKey key) {
        if (key instanceof RSAPublicKey rsa) {
            return "RSA " + rsa.getModulus().bitLength();
        }
        JwsAlgorithm.KeyType t = KeyFit.keyType(key);
        if (t == JwsAlgorithm.KeyType.OKP) {
            return key instanceof EdECPublicKey ed ? ed.getParams().getName() : key.getAlgorithm();
        }
        return t == null ? key.getAlgorithm() : describe(t);
    }

    /** What the algorithms alone tell ({@code GET /keys} does not give the key's size or curve for RSA and OKP). */
    static String describe(JwsAlgorithm.KeyType t) {
        return switch (t) {
            case RSA -> "RSA";
            case EC_P256 -> "EC P-256";
            case EC_P384 -> "EC P-384";
            case EC_P521 -> "EC P-521";
            case OKP -> "Ed25519/Ed448";
        };
    }

    /** The fingerprint {@code keys} lists: SHA-256 of the SubjectPublicKeyInfo DER, lowercase hex. */
    static String fingerprint(PublicKey key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getEncoded()));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }
}
