package io.streamgate.filters.rules;

import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** A dotted claim path such as {@code roles[].eventId}, compiled to segments. */
public final class ClaimPath {
    private final String[] names;
    private final boolean[] each;

    private ClaimPath(String[] names, boolean[] each) {
        this.names = names;
        this.each = each;
    }

    /** The compiled path, or null when {@code s} is not a claim path. */
    public static ClaimPath parse(String s) {
        String[] parts = s.split("\\.", -1);
        String[] names = new String[parts.length];
        boolean[] each = new boolean[parts.length];
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            if (p.endsWith("[]")) {
                each[i] = true;
                p = p.substring(0, p.length() - 2);
            }
            if (p.isEmpty() || p.indexOf('[') >= 0 || p.indexOf(']') >= 0 || p.indexOf(' ') >= 0) {
                return null;
            }
            names[i] = p;
        }
        return new ClaimPath(names, each);
    }

    /** The first scalar value the path reaches (a string, number or boolean), or null. */
    public Object first(Map<String, Object> root) {
        Object[] found = {null};
        walk(root, 0, v -> {
            if (v instanceof String || v instanceof Number || v instanceof Boolean) {
                found[0] = v;
                return true;
            }
            return false;
        });
        return found[0];
    }

    /** True when some value the path reaches satisfies the test. */
    boolean anyLeaf(Map<String, Object> root, Predicate<Object> test) {
        return walk(root, 0, test);
    }

    /** Every value the path reaches, for explanations (allocates; never on the request path). */
    List<Object> leaves(Map<String, Object> root) {
        List<Object> out = new java.util.ArrayList<>();
        walk(root, 0, v -> {
            out.add(v);
            return false;
        });
        return out;
    }

    /** The path as written in the config. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < names.length; i++) {
            sb.append(i == 0 ? "" : ".").append(names[i]).append(each[i] ? "[]" : "");
        }
        return sb.toString();
    }

    private boolean walk(Object node, int i, Predicate<Object> test) {
        if (!(node instanceof Map<?, ?> m)) {
            return false;
        }
        Object v = m.get(names[i]);
        if (v == null) {
            return false;
        }
        boolean last = i == names.length - 1;
        if (each[i]) {
            if (!(v instanceof List<?> l)) {
                return false;
            }
            for (Object e : l) {
                if (last ? test.test(e) : walk(e, i + 1, test)) {
                    return true;
                }
            }
            return false;
        }
        return last ? test.test(v) : walk(v, i + 1, test);
    }
}
