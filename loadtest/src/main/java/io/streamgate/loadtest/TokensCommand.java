package io.streamgate.loadtest;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code tokens --count N --out FILE}: mints N distinct tokens (one a line) for a load
 * generator that cannot sign, e.g. {@code wrk} with {@code loadtest/wrk/tokens.lua}, which
 * sends each request with the next token: a closed-loop cross-check of {@code join-storm}.
 * The file holds live test tokens: keep it out of version control.
 */
@Command(name = "tokens", mixinStandardHelpOptions = true,
        description = "Mint N distinct tokens into a file, one a line (for wrk and other generators).")
final class TokensCommand implements Callable<Integer> {
    @Mixin
    MintOptions mint;

    @Option(names = "--count", paramLabel = "N", required = true, description = "How many tokens.")
    int count;

    @Option(names = "--out", paramLabel = "FILE", required = true, description = "Where to write them.")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (count <= 0 || count > 10_000_000) {
            throw new UsageException("--count must be between 1 and 10000000, was " + count);
        }
        TokenMinter minter = mint.minter();
        long start = System.nanoTime();
        try (BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.US_ASCII)) {
            for (int i = 0; i < count; i++) {
                w.write(minter.next());
                w.write('\n');
            }
        }
        spec.commandLine().getErr().printf("%d tokens (%s) in %s in %.1f s%n", count, minter.describe(), out,
                (System.nanoTime() - start) / 1e9);
        return Main.OK;
    }
}
