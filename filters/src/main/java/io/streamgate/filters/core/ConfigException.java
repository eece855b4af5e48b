package io.streamgate.filters.core;

import java.util.List;

/**
 * A configuration problem, or several, each naming the key path it concerns, e.g.
 * {@code routes[1].upstream: not a URL: "htp:/x"}.
 */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final List<String> problems;

    public ConfigException(String keyPath, String problem) {
        this(List.of(keyPath + ": " + problem));
    }

    public ConfigException(List<String> problems) {
        super(String.join("\n", problems));
        this.problems = List.copyOf(problems);
    }

    /** One line per problem, each starting with the key path. */
    public List<String> problems() {
        return problems;
    }
}
