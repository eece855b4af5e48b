package io.streamgate.gateway.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import io.streamgate.filters.core.ConfigException;

/**
 * The one way the gateway reads a file a configuration names (the configuration file itself,
 * key files), at start, on {@code check-config}, on a reload and when a key file changes: at
 * most {@link #MAX_BYTES}, decoded as UTF-8. A larger file, or one that never ends (a key file
 * pointing at {@code /dev/zero}, a huge sparse file), is a configuration problem naming its key
 * and file after reading {@code MAX_BYTES + 1} bytes, never an {@code OutOfMemoryError}: no
 * configuration or key file is anywhere near 1 MiB.
 */
public final class ConfigFiles {
    /** The largest file read: 1 MiB. */
    public static final int MAX_BYTES = 1 << 20;

    private ConfigFiles() {
    }

    /** A file larger than {@link #MAX_BYTES} (or endless): not read. */
    public static final class TooLargeException extends IOException {
        private static final long serialVersionUID = 1L;

        TooLargeException(Path file) {
            super(file + " is larger than 1 MiB (" + MAX_BYTES + " bytes); not read");
        }
    }

    /** The file's text; {@link TooLargeException} past {@link #MAX_BYTES}, another {@link IOException} when unreadable. */
    public static String readText(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] b = in.readNBytes(MAX_BYTES + 1);
            if (b.length > MAX_BYTES) {
                throw new TooLargeException(file);
            }
            return new String(b, StandardCharsets.UTF_8);
        }
    }

    /** A key file that is not a regular file (a FIFO, a device, a socket): not opened. */
    public static final class NotRegularException extends IOException {
        private static final long serialVersionUID = 1L;

        NotRegularException(Path file) {
            super(file + " is not a regular file; not read");
        }
    }

    /**
     * A key file's text: as {@link #readText}, and only a regular file (through symlinks, as
     * Kubernetes secrets and certbot lay them out). Opening a FIFO blocks until something
     * writes to it, which would hold every later reload (they run one at a time).
     */
    public static String readKeyText(Path file) throws IOException {
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            throw new NotRegularException(file);
        }
        return readText(file);
    }

    /** A key file's text ({@link #readKeyText}), or a {@link ConfigException} naming {@code key} and the file. */
    public static String readKey(Path file, String key) {
        try {
            return readKeyText(file);
        } catch (TooLargeException | NotRegularException e) {
            throw new ConfigException(key, e.getMessage());
        } catch (IOException e) {
            throw new ConfigException(key, "cannot read " + file + ": " + why(e));
        }
    }

    /**
     * The file's text, or a {@link ConfigException} naming {@code key} and the file:
     * {@code keys[0].file: /etc/sg/k.pem is larger than 1 MiB (1048576 bytes); not read} or
     * {@code keys[0].file: cannot read /etc/sg/k.pem: ...}.
     */
    public static String read(Path file, String key) {
        try {
            return readText(file);
        } catch (TooLargeException e) {
            throw new ConfigException(key, e.getMessage());
        } catch (IOException e) {
            throw new ConfigException(key, "cannot read " + file + ": " + why(e));
        }
    }

    /** Why a file could not be read or written, in words (a {@code NoSuchFileException}'s message is only the path). */
    public static String why(IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
            return f.getReason(); // e.g. "Is a directory", "No space left on device", "Read-only file system"
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
