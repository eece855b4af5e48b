package io.streamgate.gateway.logging;

import java.util.Collection;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.streamgate.filters.token.TokenSource;

/**
 * What keeps tokens and session credentials out of every line, whoever wrote it (StreamGate,
 * Jetty, Lettuce...): both encoders ({@link TextLayout}, the JSON encoder's masking decorator)
 * pass each value through {@link #redact} — the message, every key/value field, the stack
 * trace — and write what it returns. A credential-shaped run is replaced by {@value #MASK};
 * the rest of the line stays, so a harmless line is never lost (the filter this replaces
 * dropped whole lines, audit lines among them, for an {@code eyJ} inside a random id). What
 * counts:
 * <ul>
 *   <li>a base64url run starting {@code eyJ} (a JOSE header or payload: {@code {"} encoded)
 *       and the dot-joined parts after it: a JWS, a JWE, or a fragment of one. The run must
 *       start there (after a character that is not base64url, or after a percent-escape such
 *       as {@code %22}): a random id with {@code eyJ} inside it (one base64url id in about
 *       13,000 of 22 characters) is not a JOSE part and stays whole;</li>
 *   <li>three or more base64url runs of 16 characters or more joined by dots (a JWS whose
 *       header does not start {@code {"});</li>
 *   <li>a session credential on its own ({@code 3.} and 40 or more base64url characters);</li>
 *   <li>the value of a credential parameter ({@code name=value}, up to {@code &}, a space, a
 *       quote or a bracket): {@code sg_session}, the default token parameters and cookies ({@code token},
 *       {@code jwtoken}, {@code sg_token}, {@code access_token}) and the configured ones
 *       ({@link #credentialParameters}), under any spelling: any letter case, any character
 *       percent-encoded, {@code =} as {@code %3D}.</li>
 * </ul>
 * Over-redaction is the safe side: a parameter named {@code xtoken} loses its value too.
 *
 * <p>Cost: one regular-expression scan per value, on the logging thread (the asynchronous
 * appender's), never on a request's.
 */
public final class Redactor {
    /** What a credential-shaped run is replaced with. */
    public static final String MASK = "[redacted]";

    private static final String B64 = "[A-Za-z0-9_-]";
    /** Token-shaped runs, wherever they stand. */
    private static final String TOKEN = "(?:(?<![A-Za-z0-9_-])|(?<=%[0-9A-Fa-f]{2}))eyJ" + B64 + "{6,}+(?:\\." + B64
            + "*+)*+"
            + "|(?<![A-Za-z0-9_-])" + B64 + "{16,}+(?:\\." + B64 + "{16,}+){2,}+"
            + "|(?<![A-Za-z0-9_.-])[0-9]\\." + B64 + "{40,}+";
    /** Where a parameter's value ends. */
    private static final String VALUE = "[^&\\s\"'<>;,\\\\()\\[\\]{}|]++";
    private static final Set<String> DEFAULT_PARAMETERS = Set.of("sg_session", "token", "jwtoken", "sg_token",
            "access_token");

    private static final Set<String> parameters = new TreeSet<>(DEFAULT_PARAMETERS);
    private static volatile Pattern pattern = compile(parameters);

    private Redactor() {
    }

    /**
     * Adds the configured token sources' query parameter and cookie names to those whose
     * values are redacted (a union: a reload that drops a name still redacts it).
     */
    public static void credentialParameters(Collection<TokenSource> sources) {
        Set<String> add = new TreeSet<>();
        for (TokenSource s : sources) {
            if (s.kind() == TokenSource.Kind.QUERY || s.kind() == TokenSource.Kind.COOKIE) {
                add.add(s.name().toLowerCase(Locale.ROOT));
            }
        }
        synchronized (parameters) {
            if (parameters.addAll(add)) {
                pattern = compile(parameters);
            }
        }
    }

    /** True when {@code text} contains a token, a token fragment or a credential parameter's value. */
    public static boolean carriesCredential(CharSequence text) {
        return text != null && pattern.matcher(text).find();
    }

    /**
     * {@code text} with every credential-shaped run replaced by {@value #MASK} (a parameter
     * keeps its name); the same instance when there is none. Each replacement is counted
     * ({@link LogCounters#valuesRedacted()}).
     */
    public static String redact(String text) {
        if (text == null || text.length() < 8) {
            return text;
        }
        Matcher m = pattern.matcher(text);
        if (!m.find()) {
            return text;
        }
        StringBuilder sb = new StringBuilder(text.length());
        int last = 0;
        int n = 0;
        do {
            if (m.group("name") != null) {
                if (MASK.equals(m.group("value"))) {
                    continue; // already redacted (a value redacted twice stays one mask)
                }
                sb.append(text, last, m.start("value")).append(MASK);
            } else {
                sb.append(text, last, m.start()).append(MASK);
            }
            last = m.end();
            n++;
        } while (m.find());
        if (n == 0) {
            return text;
        }
        LogCounters.redacted(n);
        return sb.append(text, last, text.length()).toString();
    }

    private static Pattern compile(Set<String> names) {
        StringBuilder alt = new StringBuilder();
        for (String name : names) {
            if (alt.length() > 0) {
                alt.append('|');
            }
            alt.append(anySpelling(name));
        }
        return Pattern.compile("(?<name>" + alt + ")(?:=|%3[dD])(?<value>" + VALUE + ")|" + TOKEN);
    }

    /** A parameter name in any letter case, each character possibly percent-encoded (either hex case). */
    static String anySpelling(String name) {
        StringBuilder sb = new StringBuilder();
        for (char c : name.toLowerCase(Locale.ROOT).toCharArray()) {
            char upper = Character.toUpperCase(c);
            sb.append("(?:");
            if (c != upper) {
                sb.append('[').append(c).append(upper).append(']');
            } else {
                sb.append(Pattern.quote(String.valueOf(c)));
            }
            if (c < 0x80) {
                sb.append("|%(?i:").append(hex(c));
                if (c != upper) {
                    sb.append('|').append(hex(upper));
                }
                sb.append(')');
            }
            sb.append(')');
        }
        return sb.toString();
    }

    private static String hex(char c) {
        return String.format("%02x", (int) c);
    }
}
