package io.streamgate.filters.rules;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.streamgate.filters.core.ConfigException;
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
    private static final RouteRules NONE = new RouteRules(new Node.All(new Node[0], ""), java.util.Set.of(), false, null);

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

    /**
     * The config path of the rule that fails for this request ({@code routes[1].require[0]},
     * or inside an {@code allOf} the nested one), null when the claims grant it. Allocates
     * nothing: the paths are the compiled rules' own strings. Safe for logs: it names the
     * rule only, no claim or request value.
     */
    public String failingRule(Claims claims, RuleInput input) {
        Node n = root.failing(claims, input);
        return n == null ? null : n.path();
    }

    /**
     * Why the claims do not grant this request: the failing rule by its config path, the
     * value it compared (with the placeholder it came from) and what the token holds there;
     * null when granted. For explanations to an operator ({@code verify}): it builds strings
     * and echoes claim and request values, so it is never called on the request path.
     */
    public String explain(Claims claims, RuleInput input) {
        Node n = root.failing(claims, input);
        return n == null ? null : n.explain(claims, input);
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
        return any ? new Node.Any(children, path) : new Node.All(children, path);
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
        return new Node.Match(cp, v, ct, m.get(key), path);
    }

    /** A compiled rule tree; each node knows its config path, for explanations. */
    private interface Node {
        boolean test(Claims claims, RuleInput input);

        /** The config path of this rule ({@code routes[1].require[0]}). */
        String path();

        /** The node that fails (the deepest one that explains it), or null when this one holds. */
        default Node failing(Claims claims, RuleInput input) {
            return test(claims, input) ? null : this;
        }

        /** A human explanation of why this node fails (allocates). */
        String explain(Claims claims, RuleInput input);

        final class All implements Node {
            static final All EMPTY = new All(new Node[0], "");
            final Node[] children;
            final String path;

            All(Node[] children, String path) {
                this.children = children;
                this.path = path;
            }

            @Override
            public String path() {
                return path;
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

            @Override
            public Node failing(Claims claims, RuleInput input) {
                for (Node n : children) {
                    Node f = n.failing(claims, input);
                    if (f != null) {
                        return f;
                    }
                }
                return null;
            }

            @Override
            public String explain(Claims claims, RuleInput input) {
                Node f = failing(claims, input);
                return f == null ? path + ": holds" : f.explain(claims, input);
            }
        }

        final class Any implements Node {
            final Node[] children;
            final String path;   // ...require[0].anyOf
            final String owner;  // ...require[0]: the rule as the config lists it

            Any(Node[] children, String path) {
                this.children = children;
                this.path = path;
                this.owner = path.endsWith(".anyOf") ? path.substring(0, path.length() - 6) : path;
            }

            @Override
            public String path() {
                return owner;
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

            @Override
            public String explain(Claims claims, RuleInput input) {
                StringBuilder sb = new StringBuilder(owner).append(": none of anyOf holds");
                for (Node n : children) {
                    sb.append("; ").append(n.explain(claims, input));
                }
                return sb.toString();
            }
        }

        final class Match implements Node {
            final ClaimPath path;
            final Value value;
            final boolean contains;
            final Object spec;
            final String configPath;

            Match(ClaimPath path, Value value, boolean contains, Object spec, String configPath) {
                this.path = path;
                this.value = value;
                this.contains = contains;
                this.spec = spec;
                this.configPath = configPath;
            }

            @Override
            public String path() {
                return configPath;
            }

            @Override
            public String explain(Claims claims, RuleInput input) {
                String op = contains ? " contains " : " equals ";
                String rule = configPath + ": claim " + path + op + json(spec);
                Object expected = value.resolve(input);
                if (expected == null) {
                    return rule + ": " + json(spec) + " resolves to nothing in this request";
                }
                String compared = spec instanceof String s && s.indexOf('{') >= 0
                        ? rule + " = " + json(expected) : rule;
                List<Object> leaves = path.leaves(claims.asMap());
                String has = leaves.isEmpty() ? "the token has no " + path
                        : "the token has " + (leaves.size() == 1 ? json(leaves.get(0)) : json(leaves));
                return compared + ": " + has;
            }

            private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
                    new com.fasterxml.jackson.databind.ObjectMapper();

            /** A value as JSON, cut at 200 characters (an explanation, not a dump). */
            private static String json(Object v) {
                String s;
                try {
                    s = JSON.writeValueAsString(v);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    s = String.valueOf(v);
                }
                return s.length() > 200 ? s.substring(0, 200) + "..." : s;
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
