package io.streamgate.filters.rules;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.streamgate.filters.ConfigException;
import io.streamgate.filters.verify.Claims;

/**
 * A route's {@code require} list, compiled once at config load. The list is AND; an item is
 * {@code {claim: PATH, equals: V}}, {@code {claim: PATH, contains: V}}, {@code {anyOf: [...]}}
 * (OR) or {@code {allOf: [...]}} (AND).
 *
 * <ul>
 *   <li>{@code claim} is a dotted path; a segment ending in {@code []} walks every element of
 *       an array ({@code roles[].eventId}). A path reaching several values holds when any does.</li>
 *   <li>{@code equals} matches one value of the same JSON type (string, number, boolean).</li>
 *   <li>{@code contains} holds when an array claim has the value, or a string claim equals
 *       it. A number in the array matches its decimal text ({@code 42} matches {@code "42"}),
 *       since request values are always strings.</li>
 *   <li>A string value may name request values: {@code "{query.streamname}"},
 *       {@code "{path.0}"}, {@code "live-{path.1}"}. One that resolves to nothing fails the rule.</li>
 * </ul>
 */
public final class RouteRules {
    private static final RouteRules NONE = new RouteRules(new Node.All(new Node[0]), java.util.Set.of(), false, null);

    private final Node root;
    private final java.util.Set<String> queryNames;
    private final boolean readsClientBinding;
    /** The {@code require} value compiled (plain lists, maps, scalars): rules compare by it. */
    private final Object spec;

    private RouteRules(Node root, java.util.Set<String> queryNames, boolean readsClientBinding, Object spec) {
        this.root = root;
        this.queryNames = queryNames;
        this.readsClientBinding = readsClientBinding;
        this.spec = spec;
    }

    /** Rules compiled from equal {@code require} values are equal (a reload tells changed routes apart). */
    @Override
    public boolean equals(Object o) {
        return o instanceof RouteRules r && java.util.Objects.equals(spec, r.spec);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hashCode(spec);
    }

    /**
     * True when a rule reads {@code {client.ip}} or {@code {origin.host}}: a session opened
     * under such a rule is bound to the values it was opened with.
     */
    public boolean readsClientBinding() {
        return readsClientBinding;
    }

    /**
     * The query parameters the rules read ({@code {query.NAME}}): each must appear once in a
     * request, or the origin might read another copy than the one the rule checked.
     */
    public java.util.Set<String> queryNames() {
        return queryNames;
    }

    /** No rules: every verified token is granted. */
    public static RouteRules none() {
        return NONE;
    }

    /** True when there is nothing to check. */
    public boolean isEmpty() {
        return root instanceof Node.All a && a.children.length == 0;
    }

    /**
     * Compiles a {@code require} value as read from YAML/JSON (lists, maps, scalars).
     *
     * @param keyPath where it sits in the config, e.g. {@code routes[0].require}, for errors
     */
    public static RouteRules compile(Object spec, String keyPath) {
        if (spec == null) {
            return NONE;
        }
        List<String> problems = new ArrayList<>();
        Node n = list(spec, keyPath, false, problems);
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        java.util.Set<String> names = new java.util.TreeSet<>();
        collectQueryNames(spec, names);
        String text = String.valueOf(spec);
        return new RouteRules(n, java.util.Set.copyOf(names), text.contains("{client.ip}") || text.contains("{origin.host}"),
                spec);
    }

    private static final java.util.regex.Pattern QUERY_PLACEHOLDER = java.util.regex.Pattern.compile("\\{query\\.([^}]+)}");

    private static void collectQueryNames(Object spec, java.util.Set<String> out) {
        if (spec instanceof String s) {
            java.util.regex.Matcher m = QUERY_PLACEHOLDER.matcher(s);
            while (m.find()) {
                out.add(m.group(1));
            }
        } else if (spec instanceof List<?> l) {
            l.forEach(e -> collectQueryNames(e, out));
        } else if (spec instanceof Map<?, ?> m) {
            m.values().forEach(e -> collectQueryNames(e, out));
        }
    }

    /** Whether the claims grant this request. */
    public boolean test(Claims claims, RuleInput input) {
        return root.test(claims, input);
    }

    private static Node list(Object spec, String path, boolean any, List<String> problems) {
        if (!(spec instanceof List<?> items)) {
            problems.add(path + ": must be a list of rules");
            return Node.All.EMPTY;
        }
        if (any && items.isEmpty()) {
            problems.add(path + ": anyOf needs at least one rule");
        }
        Node[] children = new Node[items.size()];
        for (int i = 0; i < items.size(); i++) {
            children[i] = item(items.get(i), path + "[" + i + "]", problems);
        }
        return any ? new Node.Any(children) : new Node.All(children);
    }

    private static Node item(Object spec, String path, List<String> problems) {
        if (!(spec instanceof Map<?, ?> m)) {
            problems.add(path + ": must be a map (claim with equals/contains, anyOf or allOf)");
            return Node.All.EMPTY;
        }
        for (Object k : m.keySet()) {
            if (!Set.of("claim", "equals", "contains", "anyOf", "allOf").contains(String.valueOf(k))) {
                problems.add(path + "." + k + ": unknown key (allowed: claim, equals, contains, anyOf, allOf)");
            }
        }
        if (m.containsKey("anyOf") || m.containsKey("allOf")) {
            if (m.size() != 1) {
                problems.add(path + ": anyOf/allOf must stand alone in its map");
                return Node.All.EMPTY;
            }
            boolean any = m.containsKey("anyOf");
            return list(m.get(any ? "anyOf" : "allOf"), path + (any ? ".anyOf" : ".allOf"), any, problems);
        }
        Object claim = m.get("claim");
        if (!(claim instanceof String c) || c.isBlank()) {
            problems.add(path + ".claim: required, a claim path such as roles[].eventId");
            return Node.All.EMPTY;
        }
        ClaimPath cp = ClaimPath.parse(c);
        if (cp == null) {
            problems.add(path + ".claim: not a claim path: \"" + c + "\"");
            return Node.All.EMPTY;
        }
        boolean eq = m.containsKey("equals");
        boolean ct = m.containsKey("contains");
        if (eq == ct) {
            problems.add(path + ": give exactly one of equals or contains");
            return Node.All.EMPTY;
        }
        String key = eq ? "equals" : "contains";
        Value v = Value.compile(m.get(key), path + "." + key, problems);
        if (v == null) {
            return Node.All.EMPTY;
        }
        return new Node.Match(cp, v, ct);
    }

    /** A compiled rule tree. */
    private interface Node {
        boolean test(Claims claims, RuleInput input);

        final class All implements Node {
            static final All EMPTY = new All(new Node[0]);
            final Node[] children;

            All(Node[] children) {
                this.children = children;
            }

            @Override
            public boolean test(Claims claims, RuleInput input) {
                for (Node n : children) {
                    if (!n.test(claims, input)) {
                        return false;
                    }
                }
                return true;
            }
        }

        final class Any implements Node {
            final Node[] children;

            Any(Node[] children) {
                this.children = children;
            }

            @Override
            public boolean test(Claims claims, RuleInput input) {
                for (Node n : children) {
                    if (n.test(claims, input)) {
                        return true;
                    }
                }
                return false;
            }
        }

        final class Match implements Node {
            final ClaimPath path;
            final Value value;
            final boolean contains;

            Match(ClaimPath path, Value value, boolean contains) {
                this.path = path;
                this.value = value;
                this.contains = contains;
            }

            @Override
            public boolean test(Claims claims, RuleInput input) {
                Object expected = value.resolve(input);
                if (expected == null) {
                    return false;
                }
                return path.anyLeaf(claims.asMap(), leaf -> contains ? Value.contains(leaf, expected)
                        : Value.sameValue(leaf, expected));
            }
        }
    }
}
