package io.streamgate.loadtest;

/** A problem with the command line or its files: reported in one line, exit code 2. */
public final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }
}
