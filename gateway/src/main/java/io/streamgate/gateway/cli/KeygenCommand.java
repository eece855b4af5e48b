package io.streamgate.gateway.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
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

import io.streamgate.filters.core.ConfigException;
import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.crypto.KeyPairs;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code keygen --alg ES256|RS256|EdDSA --kid KID --out DIR}: private.pem, public.pem, jwks.json. */
@Command(name = "keygen", mixinStandardHelpOptions = true,
        description = {"Generate a signing key pair: private.pem (PKCS#8), public.pem (SubjectPublicKeyInfo), jwks.json.",
                "Prints the files written and the public key's fingerprint: SHA-256 of its SubjectPublicKeyInfo "
                        + "DER, lowercase hex, as `keys` lists it. Keep private.pem out of version control."})
final class KeygenCommand implements Callable<Integer> {
    @Option(names = "--alg", defaultValue = "ES256", description = "ES256, RS256 or EdDSA (default ${DEFAULT-VALUE})")
    String alg;

    @Option(names = "--kid", required = true, description = "Key id to put in jwks.json and in tokens")
    String kid;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "Directory to write the files to, created when missing (a file there is exit 2; "
                    + "the system refusing a write, e.g. permission denied, is exit 1)")
    Path out;

    @Option(names = "--force", description = "Overwrite existing private.pem, public.pem and jwks.json")
    boolean force;

    @Override
    public Integer call() throws org.jose4j.lang.JoseException {
        KeyPair kp = generate(alg);
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new ConfigException("--out", out + " is a file, not a directory");
        }
        for (Path p = out.toAbsolutePath().getParent(); p != null; p = p.getParent()) {
            if (Files.exists(p)) {
                if (!Files.isDirectory(p)) {
                    throw new ConfigException("--out", "cannot create directory " + out + ": " + p
                            + " is a file, not a directory");
                }
                break;
            }
        }
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw failed("cannot create directory " + out, e);
        }
        Path priv = out.resolve("private.pem");
        Path pub = out.resolve("public.pem");
        Path jwks = out.resolve("jwks.json");
        for (Path p : List.of(priv, pub, jwks)) {
            if (Files.exists(p) && !force) {
                throw new ConfigException("--out", p + " exists (use --force to overwrite)");
            }
        }
        write(priv, KeyFiles.pem("PRIVATE KEY", kp.getPrivate().getEncoded()));
        try {
            Files.setPosixFilePermissions(priv, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system
        } catch (IOException e) {
            throw failed("cannot make " + priv + " private to its owner (chmod 600)", e);
        }
        write(pub, KeyFiles.pem("PUBLIC KEY", kp.getPublic().getEncoded()));
        Map<String, Object> jwk = new LinkedHashMap<>(PublicJsonWebKey.Factory.newPublicJwk(kp.getPublic())
                .toParams(JsonWebKey.OutputControlLevel.PUBLIC_ONLY));
        jwk.put("kid", kid);
        jwk.put("use", "sig");
        jwk.put("alg", alg.equalsIgnoreCase("eddsa") ? "EdDSA" : alg.toUpperCase(java.util.Locale.ROOT));
        write(jwks, JsonUtil.toJson(Map.of("keys", List.of(jwk))) + "\n");
        System.out.println("wrote " + priv + ", " + pub + ", " + jwks + " (kid " + kid + ")");
        System.out.println("fingerprint: " + KeysCommand.fingerprint(kp.getPublic())
                + " (SHA-256 of the public key's SubjectPublicKeyInfo, hex; `keys` lists the same)");
        return Main.OK;
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw failed("cannot write " + file, e);
        }
    }

    /** A runtime failure (exit 1) saying what failed and why, in words rather than an exception's class or bare path. */
    static UncheckedIOException failed(String what, IOException e) {
        return new UncheckedIOException(what + ": " + why(e), e);
    }

    static String why(IOException e) {
        return io.streamgate.gateway.config.ConfigFiles.why(e);
    }

    static KeyPair generate(String alg) {
        JwsAlgorithm a = JwsAlgorithm.fromConfigName(alg);
        if (a != JwsAlgorithm.ES256 && a != JwsAlgorithm.RS256 && a != JwsAlgorithm.EdDSA) {
            throw new ConfigException("--alg", "must be ES256, RS256 or EdDSA, was \"" + alg + "\"");
        }
        return KeyPairs.generate(a);
    }
}
