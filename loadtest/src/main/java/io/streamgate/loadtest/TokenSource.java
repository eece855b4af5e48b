package io.streamgate.loadtest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where tokens come from: none (an origin or proxy without auth), a token file (one token a
 * line, handed out in turn), or a {@link TokenMinter} that signs a new token on every call.
 * Scenarios take what they need with {@link #take} before the clock starts, so minting never
 * counts in a measurement. Tokens are never printed.
 */
public interface TokenSource {

    /** The next token, or null when requests go without one. */
    String next();

    /** True when every {@link #next()} is a token never handed out before (a cold verification). */
    boolean fresh();

    /** How many different tokens {@link #next()} hands out before repeating one ({@code Long.MAX_VALUE}: never). */
    long distinct();

    /** A short description for the report, never containing a token. */
    String describe();

    /** {@code n} tokens, taken now (null entries when there is no token). */
    default List<String> take(int n) {
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(next());
        }
        return out;
    }

    /** No token at all. */
    static TokenSource none() {
        return new TokenSource() {
            @Override
            public String next() {
                return null;
            }

            @Override
            public boolean fresh() {
                return false;
            }

            @Override
            public long distinct() {
                return 0;
            }

            @Override
            public String describe() {
                return "none";
            }
        };
    }

    /** The given tokens in turn, starting over after the last. */
    static TokenSource cycling(List<String> tokens, String description) {
        if (tokens.isEmpty()) {
            throw new UsageException("no tokens in " + description);
        }
        List<String> copy = List.copyOf(tokens);
        AtomicLong i = new AtomicLong();
        return new TokenSource() {
            @Override
            public String next() {
                return copy.get((int) Math.floorMod(i.getAndIncrement(), (long) copy.size()));
            }

            @Override
            public boolean fresh() {
                return false; // reused once the list wraps
            }

            @Override
            public long distinct() {
                return copy.size();
            }

            @Override
            public String describe() {
                return description + " (" + copy.size() + (copy.size() == 1 ? " token)" : " tokens)");
            }

            @Override
            public String toString() {
                return describe();
            }
        };
    }

    /** Reads a token file: one token a line; blank lines and lines starting with {@code #} are skipped. */
    static TokenSource fromFile(Path file) {
        List<String> tokens = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file)) {
                String t = line.trim();
                if (t.startsWith("TOKEN=")) {
                    t = t.substring(6).trim();
                }
                if (!t.isEmpty() && !t.startsWith("#")) {
                    tokens.add(t);
                }
            }
        } catch (IOException e) {
            throw new UsageException("--token-file: cannot read " + file + ": " + e.getMessage());
        }
        if (tokens.isEmpty()) {
            throw new UsageException("--token-file: " + file + " holds no token");
        }
        return cycling(tokens, "token file " + file.getFileName());
    }
}
