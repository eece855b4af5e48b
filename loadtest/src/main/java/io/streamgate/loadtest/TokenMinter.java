package io.streamgate.loadtest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.streamgate.filters.crypto.CryptoProvider;
import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.crypto.JwsSigner;
import io.streamgate.filters.crypto.KeyPairs;
import io.streamgate.filters.crypto.SignatureVerifier;

/**
 * Signs tokens like the gateway CLI's {@code mint}: header {@code {"alg","typ":"JWT","kid"}},
 * claims {@code iss}, {@code sub}, {@code aud}, a random {@code jti}, {@code iat} = {@code nbf}
 * = now, {@code exp} = now + ttl, {@code streams}, then every {@code --claim name=json}
 * (a value that is not JSON is taken as a string). Every call is a new token. Signs with the
 * provider the gateway's own selection picks (Conscrypt where it loads): ES256 minting runs at
 * about 25,000 tokens/s on one core here instead of SunEC's 2,600, so a storm's tokens are
 * ready in moments.
 */
public final class TokenMinter implements TokenSource {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final PrivateKey key;
    private final JwsAlgorithm alg;
    private final String header;
    private final Map<String, Object> fixedClaims;
    private final Map<String, Object> extraClaims;
    private final Duration ttl;
    private final Clock clock;
    private final SignatureVerifier signer = SignatureVerifier.select(CryptoProvider.AUTO);

    public TokenMinter(PrivateKey key, JwsAlgorithm alg, String kid, String sub, String iss, String aud,
                       Duration ttl, List<String> streams, List<String> claims, Clock clock) {
        this.key = key;
        this.alg = alg == null ? defaultAlgorithm(key) : alg;
        this.ttl = ttl;
        this.clock = clock;
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("alg", this.alg.jwaName());
        h.put("typ", "JWT");
        h.put("kid", kid);
        this.header = json(h);
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
        this.fixedClaims = c;
        Map<String, Object> extra = new LinkedHashMap<>();
        if (streams != null && !streams.isEmpty()) {
            extra.put("streams", List.copyOf(streams));
        }
        if (claims != null) {
            for (String e : claims) {
                int eq = e.indexOf('=');
                if (eq <= 0) {
                    throw new UsageException("--claim: expected name=json, was \"" + e + "\"");
                }
                String json = e.substring(eq + 1);
                Object v;
                try {
                    v = JSON.readValue(json, Object.class);
                } catch (IOException ex) {
                    v = json; // not JSON: a string
                }
                extra.put(e.substring(0, eq), v);
            }
        }
        this.extraClaims = extra;
    }

    /** Reads a PKCS#8 PEM private key (EC, RSA, Ed25519, Ed448). */
    public static PrivateKey readPrivateKey(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new UsageException("--key: cannot read " + file + ": " + e.getMessage());
        }
        return parsePrivateKey(text, file.toString());
    }

    static PrivateKey parsePrivateKey(String text, String where) {
        try {
            return KeyPairs.readPrivateKeyPem(text);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--key: " + where + ": " + e.getMessage());
        }
    }

    /** The natural JWS algorithm of a private key. */
    public static JwsAlgorithm defaultAlgorithm(PrivateKey key) {
        return KeyPairs.defaultAlgorithm(key);
    }

    @Override
    public String next() {
        return next(null);
    }

    /** A new token for subject {@code sub} (null: the minter's own {@code --sub}). */
    public String next(String sub) {
        long now = clock.millis() / 1000;
        Map<String, Object> c = new LinkedHashMap<>(fixedClaims);
        if (sub != null) {
            c.put("sub", sub);
        }
        c.put("jti", UUID.randomUUID().toString());
        c.put("iat", now);
        c.put("nbf", now);
        c.put("exp", now + ttl.toSeconds());
        c.putAll(extraClaims);
        return JwsSigner.sign(header, json(c), alg, key, signer);
    }

    @Override
    public boolean fresh() {
        return true;
    }

    @Override
    public long distinct() {
        return Long.MAX_VALUE;
    }

    @Override
    public String describe() {
        return "minted " + alg.jwaName() + " (fresh jti each)";
    }

    private static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
