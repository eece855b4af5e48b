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

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import io.streamgate.filters.ConfigException;
import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.crypto.JwsSigner;

/** {@code mint}: prints one signed token alone on one line, so {@code TOKEN=$(... mint ...)} works. */
@Command(name = "mint", mixinStandardHelpOptions = true,
        description = "Print one signed token (random jti, iat = nbf = now).")
final class MintCommand implements Callable<Integer> {
    @Option(names = "--key", required = true, description = "PKCS#8 PEM private key")
    Path key;

    @Option(names = "--kid", required = true)
    String kid;

    @Option(names = "--alg", description = "Default: from the key (ES256, RS256, EdDSA)")
    String alg;

    @Option(names = "--sub")
    String sub;

    @Option(names = "--iss")
    String iss;

    @Option(names = "--aud")
    String aud;

    @Option(names = "--ttl", defaultValue = "1h", description = "Lifetime, e.g. 30s, 1h, 365d (default ${DEFAULT-VALUE})")
    String ttl;

    @Option(names = "--streams", split = ",", description = "Stream names granted (claim \"streams\")")
    List<String> streams;

    @Option(names = "--claim", description = "Extra claim as name=json, e.g. --claim orgawide=true", arity = "1")
    List<String> claims = new ArrayList<>();

    @Override
    public Integer call() {
        PrivateKey pk = KeyFiles.readPrivateKey(key);
        JwsAlgorithm a = alg == null ? KeyFiles.defaultAlgorithm(pk) : JwsAlgorithm.fromConfigName(alg);
        if (a == null) {
            throw new ConfigException("--alg", "unsupported algorithm \"" + alg + "\"");
        }
        Duration lifetime = io.streamgate.gateway.config.Durations.parse(ttl);
        if (lifetime == null || lifetime.isZero()) {
            throw new ConfigException("--ttl", "not a duration: \"" + ttl + "\" (use e.g. 30s, 1h, 365d)");
        }
        System.out.println(mint(pk, a, kid, sub, iss, aud, lifetime, streams, claims, Instant.now()));
        return Main.OK;
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
            try {
                Object v = JsonUtil.parseJson("{\"v\":" + json + "}").get("v");
                c.put(name, v);
            } catch (Exception ex) {
                c.put(name, json); // not JSON: take it as a string
            }
        }
        return JwsSigner.sign(JsonUtil.toJson(header), JsonUtil.toJson(c), alg, key);
    }
}
