package io.streamgate.filters.rules;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/** A rule's expected value: a literal, or a string template naming request values. */
abstract class Value {
    abstract Object resolve(RuleInput input);

    static Value compile(Object spec, String path, List<String> problems) {
        if (spec instanceof String s && s.indexOf('{') >= 0) {
            return Template.compile(s, path, problems);
        }
        if (spec instanceof String || spec instanceof Boolean || spec instanceof Number) {
            Object literal = spec;
            return new Value() {
                @Override
                Object resolve(RuleInput input) {
                    return literal;
                }
            };
        }
        problems.add(path + ": must be a string, number or boolean");
        return null;
    }

    /** Same JSON type and value; numbers compare by value (YAML Integer 5 equals JSON Long 5). */
    static boolean sameValue(Object claim, Object expected) {
        if (claim instanceof Number a && expected instanceof Number b) {
            return toDecimal(a).compareTo(toDecimal(b)) == 0;
        }
        return claim != null && claim.getClass() == expected.getClass() && claim.equals(expected);
    }

    /** An array claim holding the value, or a string claim equal to it. */
    static boolean contains(Object claim, Object expected) {
        if (claim instanceof List<?> l) {
            for (Object e : l) {
                if (sameValue(e, expected) || (expected instanceof String s
                        && (e instanceof Long || e instanceof Integer) && s.equals(e.toString()))) {
                    return true;
                }
            }
            return false;
        }
        return claim instanceof String && claim.equals(expected.toString());
    }

    private static BigDecimal toDecimal(Number n) {
        return n instanceof Long || n instanceof Integer || n instanceof Short || n instanceof Byte
                ? BigDecimal.valueOf(n.longValue()) : new BigDecimal(n.toString());
    }

    /** "live-{path.1}": literal text and placeholders, concatenated at request time. */
    static final class Template extends Value {
        private final String[] literals;   // literals[i] precedes placeholders[i]; one more literal at the end
        private final Placeholder[] placeholders;

        private Template(String[] literals, Placeholder[] placeholders) {
            this.literals = literals;
            this.placeholders = placeholders;
        }

        static Value compile(String s, String path, List<String> problems) {
            List<String> lits = new ArrayList<>();
            List<Placeholder> phs = new ArrayList<>();
            int i = 0;
            while (true) {
                int open = s.indexOf('{', i);
                if (open < 0) {
                    lits.add(s.substring(i));
                    break;
                }
                int close = s.indexOf('}', open);
                if (close < 0) {
                    problems.add(path + ": unclosed \"{\" in \"" + s + "\"");
                    return null;
                }
                Placeholder p = Placeholder.parse(s.substring(open + 1, close));
                if (p == null) {
                    problems.add(path + ": unknown request value \"" + s.substring(open, close + 1)
                            + "\" (use {query.NAME}, {path.N}, {header.NAME}, {client.ip}, {origin.host})");
                    return null;
                }
                lits.add(s.substring(i, open));
                phs.add(p);
                i = close + 1;
            }
            return new Template(lits.toArray(new String[0]), phs.toArray(new Placeholder[0]));
        }

        @Override
        Object resolve(RuleInput input) {
            if (placeholders.length == 1 && literals[0].isEmpty() && literals[1].isEmpty()) {
                String v = input.resolve(placeholders[0]);
                return v == null || v.isEmpty() ? null : v;
            }
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < placeholders.length; i++) {
                String v = input.resolve(placeholders[i]);
                if (v == null || v.isEmpty()) {
                    return null;
                }
                sb.append(literals[i]).append(v);
            }
            return sb.append(literals[literals.length - 1]).toString();
        }
    }
}
