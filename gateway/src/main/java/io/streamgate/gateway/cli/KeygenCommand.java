package io.streamgate.gateway.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import org.jose4j.json.JsonUtil;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.PublicJsonWebKey;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import io.streamgate.filters.ConfigException;
import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.crypto.KeyPairs;

/** {@code keygen --alg ES256|RS256|EdDSA --kid KID --out DIR}: private.pem, public.pem, jwks.json. */
@Command(name = "keygen", mixinStandardHelpOptions = true,
        description = "Generate a signing key pair: private.pem (PKCS#8), public.pem (SubjectPublicKeyInfo), jwks.json.")
final class KeygenCommand implements Callable<Integer> {
    @Option(names = "--alg", defaultValue = "ES256", description = "ES256, RS256 or EdDSA (default ${DEFAULT-VALUE})")
    String alg;

    @Option(names = "--kid", required = true, description = "Key id to put in jwks.json and in tokens")
    String kid;

    @Option(names = "--out", required = true, description = "Directory to write the files to")
    Path out;

    @Option(names = "--force", description = "Overwrite existing files")
    boolean force;

    @Override
    public Integer call() throws Exception {
        KeyPair kp = generate(alg);
        Files.createDirectories(out);
        Path priv = out.resolve("private.pem");
        Path pub = out.resolve("public.pem");
        Path jwks = out.resolve("jwks.json");
        for (Path p : List.of(priv, pub, jwks)) {
            if (Files.exists(p) && !force) {
                throw new ConfigException("--out", p + " exists (use --force to overwrite)");
            }
        }
        Files.writeString(priv, KeyFiles.pem("PRIVATE KEY", kp.getPrivate().getEncoded()));
        try {
            Files.setPosixFilePermissions(priv, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system
        }
        Files.writeString(pub, KeyFiles.pem("PUBLIC KEY", kp.getPublic().getEncoded()));
        Map<String, Object> jwk = new LinkedHashMap<>(PublicJsonWebKey.Factory.newPublicJwk(kp.getPublic())
                .toParams(JsonWebKey.OutputControlLevel.PUBLIC_ONLY));
        jwk.put("kid", kid);
        jwk.put("use", "sig");
        jwk.put("alg", alg.equalsIgnoreCase("eddsa") ? "EdDSA" : alg.toUpperCase(java.util.Locale.ROOT));
        Files.writeString(jwks, JsonUtil.toJson(Map.of("keys", List.of(jwk))) + "\n");
        System.out.println("wrote " + priv + ", " + pub + ", " + jwks + " (kid " + kid + ")");
        return Main.OK;
    }

    static KeyPair generate(String alg) {
        JwsAlgorithm a = JwsAlgorithm.fromConfigName(alg);
        if (a != JwsAlgorithm.ES256 && a != JwsAlgorithm.RS256 && a != JwsAlgorithm.EdDSA) {
            throw new ConfigException("--alg", "must be ES256, RS256 or EdDSA, was \"" + alg + "\"");
        }
        return KeyPairs.generate(a);
    }
}
