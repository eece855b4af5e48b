package io.streamgate.filters.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the public test vectors in {@code ../shared/testdata} beside the clone. */
public final class TestData {
    private TestData() {
    }

    public static Path dir() {
        String prop = System.getProperty("streamgate.testdata");
        if (prop != null && Files.isDirectory(Path.of(prop))) {
            return Path.of(prop);
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("../shared/testdata").normalize();
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("../shared/testdata not found (set -Dstreamgate.testdata)");
    }

    public static Path file(String relative) {
        return dir().resolve(relative);
    }
}
