package io.streamgate.gateway.cli;

import java.nio.file.Path;
import java.security.PrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;

import org.jose4j.json.JsonUtil;

import io.streamgate.filters.core.ConfigException;
import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.crypto.JwsSigner;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mint}: prints one signed token alone on one line, so {@code TOKEN=$(... mint ...)} works. */
@Command(name = "mint", mixinStandardHelpOptions = true,
        description = "Print one signed token (random jti, iat = nbf = now).")
final class MintCommand implements Callable<Integer> {
    @Option(names = "--key", required = true, paramLabel = "FILE",
            description = "PKCS#8 PEM private key (keygen's private.pem)")
    Path key;

    @Option(names = "--kid", required = true, paramLabel = "KID",
            description = "Key id written in the token header; the gateway's keys[].kid selects the public key by it")
    String kid;

    @Option(names = "--alg", paramLabel = "ALG",
            description = "Signature algorithm, e.g. ES256, RS256, PS256, EdDSA (default: the key's natural one)")
    String alg;

    @Option(names = "--sub", paramLabel = "SUBJECT", description = "Claim \"sub\": who the viewer is (default: none)")
    String sub;

    @Option(names = "--iss", paramLabel = "ISSUER",
            description = "Claim \"iss\"; must be in verify.issuers when that list is not empty (default: none)")
    String iss;

    @Option(names = "--aud", paramLabel = "AUDIENCE",
            description = "Claim \"aud\"; must be in verify.audiences when that list is not empty (default: none)")
    String aud;

    @Option(names = "--ttl", defaultValue = "1h", paramLabel = "DURATION",
            description = "Lifetime, positive: e.g. 30s, 10m, 1h, 365d (default ${DEFAULT-VALUE})")
    String ttl;

    @Option(names = "--streams", split = ",", paramLabel = "NAME[,NAME...]",
            description = "Stream names granted (claim \"streams\", an array)")
    List<String> streams;

    @Option(names = "--claim", arity = "1", paramLabel = "NAME=VALUE",
            description = "Extra claim, repeatable. VALUE is JSON when it parses (true, 42, \"text\"); a VALUE starting "
                    + "with { or [ must be valid JSON (else exit 2); anything else is a string. "
                    + "E.g. --claim orgawide=true --claim 'roles=[{\"eventId\":\"demo\"}]'")
    List<String> claims = new ArrayList<>();

    @Override
    public Integer call() {
        PrivateKey pk = KeyFiles.readPrivateKey(key);
        JwsAlgorithm a = alg == null ? KeyFiles.defaultAlgorithm(pk) : JwsAlgorithm.fromConfigName(alg);
        if (a == null) {
            throw new ConfigException("--alg", "unsupported algorithm \"" + alg + "\"");
        }
        Duration lifetime = ttl(ttl);
        System.out.println(mint(pk, a, kid, sub, iss, aud, lifetime, streams, claims, Instant.now()));
        return Main.OK;
    }

    /** One JSON value, nothing after it, no duplicate member names. */
    private static final com.fasterxml.jackson.databind.ObjectMapper CLAIM_JSON =
            com.fasterxml.jackson.databind.json.JsonMapper.builder()
                    .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                    .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .build();

    /** A positive lifetime, or a usage error that says why. */
    static Duration ttl(String text) {
        String t = text.strip();
        if (t.startsWith("-") || t.startsWith("+")) {
            throw new ConfigException("--ttl", "must be positive, was \"" + text + "\" (use e.g. 30s, 1h, 365d)");
        }
        Duration d = io.streamgate.gateway.config.Durations.parse(t);
        if (d == null) {
            throw new ConfigException("--ttl", "not a duration: \"" + text + "\" (use e.g. 30s, 1h, 365d)");
        }
        if (d.toSeconds() < 1) {
            throw new ConfigException("--ttl", "must be positive (at least 1s: exp counts whole seconds), was \""
                    + text + "\"");
        }
        return d;
    }

    /** Builds and signs the token. */
    static String mint(PrivateKey key, JwsAlgorithm alg, String kid, String sub, String iss, String aud,
                       Duration ttl, List<String> streams, List<String> extra, Instant now) {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("alg", alg.jwaName());
        header.put("typ", "JWT");
        header.put("kid", kid);
        Map<String, Object> c = new LinkedHashMap<>();
        if (iss != null) {
            c.put("iss", iss);
        }
        if (sub != null) {
            c.put("sub", sub);
        }
        if (aud != null) {
            c.put("aud", aud);
        }
        long t = now.getEpochSecond();
        c.put("jti", UUID.randomUUID().toString());
        c.put("iat", t);
        c.put("nbf", t);
        c.put("exp", t + ttl.toSeconds());
        if (streams != null && !streams.isEmpty()) {
            c.put("streams", streams);
        }
        for (String e : extra) {
            int eq = e.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException("--claim", "expected name=json, was \"" + e + "\"");
            }
            String name = e.substring(0, eq);
            String json = e.substring(eq + 1);
            c.put(name, claimValue(name, json));
        }
        return JwsSigner.sign(JsonUtil.toJson(header), JsonUtil.toJson(c), alg, key);
    }

    /**
     * A {@code --claim} value: JSON when it parses; a value that starts with {@code {} or
     * {@code [} must be valid JSON (a typo there would otherwise mint a string where an object or
     * array was meant, and the token would fail its route rules with no hint why); else a string.
     */
    static Object claimValue(String name, String json) {
        String t = json.strip();
        try {
            return CLAIM_JSON.readValue(json, Object.class);
        } catch (java.io.IOException ex) {
            if (t.startsWith("{") || t.startsWith("[")) {
                throw new ConfigException("--claim", name + ": not valid JSON: " + json
                        + " (a value starting with { or [ must be JSON; quote the whole argument for the shell)");
            }
            return json; // not JSON: take it as a string
        }
    }
}
