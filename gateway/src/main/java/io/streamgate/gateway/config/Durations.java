package io.streamgate.gateway.config;

import java.time.Duration;

/** The config's duration syntax: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 366d}. */
public final class Durations {
    private Durations() {
    }

    /** The duration, or null when the text is not one. */
    public static Duration parse(String text) {
        return ConfigNode.parseDuration(text.trim());
    }
}
