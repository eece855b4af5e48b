package io.streamgate.gateway.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A position in the YAML tree with its key path ({@code routes[1].upstream}), reading typed
 * values and recording every problem against that path instead of stopping at the first.
 * String scalars have {@code ${ENV}} and {@code ${ENV:-default}} substituted before use.
 */
final class ConfigNode {
    private static final Pattern ENV = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?}");
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    private final JsonNode json;
    private final String path;
    private final List<String> problems;
    private final Function<String, String> env;

    ConfigNode(JsonNode json, String path, List<String> problems, Function<String, String> env) {
        this.json = json;
        this.path = path;
        this.problems = problems;
        this.env = env;
    }

    String path() {
        return path;
    }

    boolean isMissing() {
        return json == null || json.isMissingNode() || json.isNull();
    }

    boolean has(String key) {
        return json != null && json.isObject() && json.has(key) && !json.get(key).isNull();
    }

    String childPath(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    ConfigNode child(String key) {
        JsonNode c = json == null || !json.isObject() ? null : json.get(key);
        return new ConfigNode(c, childPath(key), problems, env);
    }

    void problem(String message) {
        problems.add(path + ": " + message);
    }

    /** Adds a problem line that already names its key path (from a nested validator). */
    void addProblemLine(String line) {
        problems.add(line);
    }

    void problem(String key, String message) {
        problems.add(childPath(key) + ": " + message);
    }

    /** Requires a map (or nothing) and reports keys other than {@code allowed}. */
    boolean expectObject(Set<String> allowed) {
        if (isMissing()) {
            return false;
        }
        if (!json.isObject()) {
            problem("must be a map");
            return false;
        }
        for (Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!allowed.contains(k)) {
                problems.add(childPath(k) + ": unknown key (allowed: " + String.join(", ", sorted(allowed)) + ")");
            }
        }
        return true;
    }

    private static List<String> sorted(Set<String> s) {
        List<String> l = new ArrayList<>(s);
        l.sort(null);
        return l;
    }

    /** The elements of a list (or an empty list when absent). */
    List<ConfigNode> elements() {
        List<ConfigNode> out = new ArrayList<>();
        if (isMissing()) {
            return out;
        }
        if (!json.isArray()) {
            problem("must be a list");
            return out;
        }
        for (int i = 0; i < json.size(); i++) {
            out.add(new ConfigNode(json.get(i), path + "[" + i + "]", problems, env));
        }
        return out;
    }

    /** This scalar as text, with environment references substituted; null when absent. */
    String text() {
        if (isMissing()) {
            return null;
        }
        if (!json.isValueNode()) {
            problem("must be a single value");
            return null;
        }
        return substitute(json.asText());
    }

    String string(String key, String def) {
        String v = child(key).text();
        return v == null ? def : v;
    }

    String requiredString(String key) {
        String v = child(key).text();
        if (v == null || v.isBlank()) {
            problem(key, "required");
            return null;
        }
        return v;
    }

    int integer(String key, int def, int min, int max) {
        String v = child(key).text();
        if (v == null || v.isEmpty()) {
            return def;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n < min || n > max) {
                problem(key, "must be between " + min + " and " + max + ", was " + n);
                return def;
            }
            return n;
        } catch (NumberFormatException e) {
            problem(key, "not a whole number: \"" + v + "\"");
            return def;
        }
    }

    boolean bool(String key, boolean def) {
        ConfigNode c = child(key);
        if (c.isMissing()) {
            return def;
        }
        if (c.json.isBoolean()) {
            return c.json.booleanValue();
        }
        String v = c.text();
        if ("true".equals(v)) {
            return true;
        }
        if ("false".equals(v)) {
            return false;
        }
        problem(key, "must be true or false, was \"" + v + "\"");
        return def;
    }

    Duration duration(String key, Duration def) {
        String v = child(key).text();
        if (v == null || v.isEmpty()) {
            return def;
        }
        Duration d = parseDuration(v.trim());
        if (d == null) {
            problem(key, "not a duration: \"" + v + "\" (use e.g. 500ms, 30s, 5m, 2h, 366d)");
            return def;
        }
        return d;
    }

    static Duration parseDuration(String v) {
        Matcher m = DURATION.matcher(v);
        if (!m.matches()) {
            return null;
        }
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            return null;
        }
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }

    List<String> strings(String key, List<String> def) {
        ConfigNode c = child(key);
        if (c.isMissing()) {
            return def;
        }
        List<String> out = new ArrayList<>();
        for (ConfigNode e : c.elements()) {
            String v = e.text();
            if (v != null) {
                out.add(v);
            }
        }
        return out;
    }

    /** A map of string to string (e.g. claimHeaders). */
    Map<String, String> stringMap(String key) {
        ConfigNode c = child(key);
        Map<String, String> out = new LinkedHashMap<>();
        if (c.isMissing()) {
            return out;
        }
        if (!c.json.isObject()) {
            c.problem("must be a map");
            return out;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = c.json.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String v = c.child(e.getKey()).text();
            if (v != null) {
                out.put(e.getKey(), v);
            }
        }
        return out;
    }

    /** The raw value as plain Java (Map, List, String, Long, Double, Boolean), env substituted in strings. */
    Object plain() {
        return plain(json);
    }

    /** The raw scalar: Boolean for YAML booleans (e.g. unquoted {@code off}), else substituted text. */
    Object scalar() {
        if (isMissing()) {
            return null;
        }
        if (json.isBoolean()) {
            return json.booleanValue();
        }
        return text();
    }

    private Object plain(JsonNode n) {
        if (n == null || n.isMissingNode() || n.isNull()) {
            return null;
        }
        if (n.isObject()) {
            Map<String, Object> m = new LinkedHashMap<>();
            n.fields().forEachRemaining(e -> m.put(e.getKey(), plain(e.getValue())));
            return m;
        }
        if (n.isArray()) {
            List<Object> l = new ArrayList<>();
            n.forEach(e -> l.add(plain(e)));
            return l;
        }
        if (n.isBoolean()) {
            return n.booleanValue();
        }
        if (n.isIntegralNumber()) {
            return n.longValue();
        }
        if (n.isNumber()) {
            return n.doubleValue();
        }
        return substitute(n.asText());
    }

    private String substitute(String s) {
        if (s.indexOf("${") < 0) {
            return s;
        }
        Matcher m = ENV.matcher(s);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String value = env.apply(m.group(1));
            if (value == null || (value.isEmpty() && m.group(2) != null)) {
                if (m.group(2) != null) {
                    value = m.group(3);
                } else {
                    problem("environment variable " + m.group(1) + " is not set");
                    value = "";
                }
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(value));
        }
        m.appendTail(sb);
        return sb.toString();
    }
}
