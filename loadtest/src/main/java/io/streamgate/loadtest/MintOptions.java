package io.streamgate.loadtest;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import picocli.CommandLine.Option;

import io.streamgate.filters.crypto.JwsAlgorithm;

/** How tokens are minted, like {@code streamgate mint} (a picocli mixin of the scenarios and {@code tokens}). */
public final class MintOptions {
    @Option(names = "--key", paramLabel = "PEM", description = "PKCS#8 PEM private key: mint tokens (fresh jti each).")
    Path key;

    @Option(names = "--kid", description = "kid of minted tokens (required with --key).")
    String kid;

    @Option(names = "--alg", description = "Algorithm of minted tokens (default: from the key).")
    String alg;

    @Option(names = "--sub", defaultValue = "streamgate-loadtest", description = "sub of minted tokens (default ${DEFAULT-VALUE}).")
    String sub;

    @Option(names = "--iss", description = "iss of minted tokens.")
    String iss;

    @Option(names = "--aud", description = "aud of minted tokens.")
    String aud;

    @Option(names = "--ttl", defaultValue = "1h", description = "Lifetime of minted tokens (default ${DEFAULT-VALUE}).")
    String ttl;

    @Option(names = "--streams", split = ",", description = "Claim \"streams\" of minted tokens, e.g. demo,other.")
    List<String> streams;

    @Option(names = "--claim", paramLabel = "NAME=JSON",
            description = "Extra claim of minted tokens, e.g. --claim 'roles=[{\"eventId\":\"demo\"}]' (repeatable).")
    List<String> claims = new ArrayList<>();

    /** No --key: then no other mint option may be given. */
    TokenSource none() {
        if (kid != null || !claims.isEmpty() || streams != null) {
            throw new UsageException("--kid, --claim and --streams need --key");
        }
        return TokenSource.none();
    }

    /** The minter these options describe (needs --key and --kid). */
    TokenMinter minter() {
        if (key == null) {
            throw new UsageException("--key is required to mint tokens");
        }
        if (kid == null) {
            throw new UsageException("--key needs --kid");
        }
        JwsAlgorithm a = null;
        if (alg != null) {
            a = JwsAlgorithm.fromConfigName(alg);
            if (a == null) {
                throw new UsageException("--alg: unsupported algorithm \"" + alg + "\"");
            }
        }
        Duration life = CommonOptions.parse("--ttl", ttl);
        return new TokenMinter(TokenMinter.readPrivateKey(key), a, kid, sub, iss, aud, life, streams, claims,
                Clock.systemUTC());
    }
}
