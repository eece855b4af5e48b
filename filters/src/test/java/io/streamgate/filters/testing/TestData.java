package io.streamgate.filters.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the public test vectors kept in the repository under
 * {@code filters/src/test/resources/testdata} (Wycheproof, JOSE cookbook; sources and
 * licences in the README beside each set). {@code -Dstreamgate.testdata=DIR} points the
 * tests at another copy, e.g. a newer upstream checkout.
 */
public final class TestData {
    private TestData() {
    }

    public static Path dir() {
        String prop = System.getProperty("streamgate.testdata");
        if (prop != null && !prop.isBlank()) {
            Path p = Path.of(prop);
            if (!Files.isDirectory(p)) {
                throw new IllegalStateException("streamgate.testdata is not a directory: " + p);
            }
            return p;
        }
        java.net.URL marker = TestData.class.getResource("/testdata/wycheproof/README.md");
        if (marker == null || !"file".equals(marker.getProtocol())) {
            throw new IllegalStateException("test vectors not on the test classpath (testdata/)");
        }
        try {
            return Path.of(marker.toURI()).getParent().getParent();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Path file(String relative) {
        return dir().resolve(relative);
    }
}
