package io.streamgate.filters.token;

/**
 * A token and where it was found, so that it can be stripped before the request goes
 * upstream. {@link #toString()} never shows the token.
 */
public record ExtractedToken(String token, TokenSource source) {
    @Override
    public String toString() {
        return "ExtractedToken[source=" + source + ", length=" + token.length() + "]";
    }
}
