package io.streamgate.gateway.runtime;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.streamgate.filters.keys.KeyRegistry;
import io.streamgate.gateway.config.GatewayConfig;

/**
 * What a configuration reload did. Applied: the sections that changed ({@code changed}),
 * routes and keys added, removed or changed, and the settings that changed but wait for a
 * restart ({@code restartRequired}: listeners, the replay store's connection, the upstream
 * client). Rejected: the problems, each naming its key; nothing changed.
 */
public record ReloadResult(boolean applied, List<String> problems, List<String> changed,
                           Map<String, List<String>> routes, Map<String, List<Map<String, Object>>> keys,
                           List<String> restartRequired) {
    private static final ObjectMapper JSON = new ObjectMapper();

    static ReloadResult rejected(List<String> problems) {
        return new ReloadResult(false, List.copyOf(problems), List.of(), Map.of(), Map.of(), List.of());
    }

    /** Compares the running runtime with the one that replaces it. */
    static ReloadResult applied(GatewayRuntime before, GatewayRuntime after, List<String> restartRequired) {
        GatewayConfig a = before.config();
        GatewayConfig b = after.config();
        List<String> changed = new ArrayList<>();
        section(changed, "admin.token", a.admin().token(), b.admin().token());
        section(changed, "admin.hosts", a.admin().hosts(), b.admin().hosts());
        section(changed, "verify", a.verify(), b.verify());
        section(changed, "tokens", a.tokens(), b.tokens());
        section(changed, "replay", a.replay(), b.replay());
        section(changed, "clientIp", a.trustedProxies(), b.trustedProxies());
        section(changed, "crypto", a.crypto(), b.crypto());
        section(changed, "hls", a.hls(), b.hls());

        Map<String, GatewayConfig.Route> oldRoutes = new LinkedHashMap<>();
        a.routes().forEach(r -> oldRoutes.put(r.name(), r));
        List<String> added = new ArrayList<>();
        List<String> changedRoutes = new ArrayList<>();
        for (GatewayConfig.Route r : b.routes()) {
            GatewayConfig.Route old = oldRoutes.remove(r.name());
            if (old == null) {
                added.add(r.name());
            } else if (!old.equals(r)) {
                changedRoutes.add(r.name());
            }
        }
        List<String> removed = new ArrayList<>(oldRoutes.keySet());
        boolean routesChanged = !added.isEmpty() || !removed.isEmpty() || !changedRoutes.isEmpty()
                || !a.routes().equals(b.routes()); // order alone is no change to serving, but say it
        if (routesChanged) {
            changed.add("routes");
        }
        Map<String, List<String>> routes = Map.of("added", added, "removed", removed, "changed", changedRoutes);

        List<KeyRegistry.KeyInfo> oldKeys = before.authorizer().keys().list();
        List<KeyRegistry.KeyInfo> newKeys = after.authorizer().keys().list();
        List<Map<String, Object>> keysAdded = new ArrayList<>();
        List<Map<String, Object>> keysRemoved = new ArrayList<>();
        for (KeyRegistry.KeyInfo k : newKeys) {
            if (oldKeys.stream().noneMatch(o -> sameKey(o, k))) {
                keysAdded.add(describe(k));
            }
        }
        for (KeyRegistry.KeyInfo k : oldKeys) {
            if (newKeys.stream().noneMatch(n -> sameKey(n, k))) {
                keysRemoved.add(describe(k));
            }
        }
        if (!keysAdded.isEmpty() || !keysRemoved.isEmpty() || !a.keys().equals(b.keys())) {
            changed.add("keys");
        }
        return new ReloadResult(true, List.of(), changed, routes, Map.of("added", keysAdded, "removed", keysRemoved),
                List.copyOf(restartRequired));
    }

    private static boolean sameKey(KeyRegistry.KeyInfo x, KeyRegistry.KeyInfo y) {
        return Objects.equals(x.kid(), y.kid()) && x.algorithms().equals(y.algorithms())
                && x.spkiSha256().equals(y.spkiSha256());
    }

    private static Map<String, Object> describe(KeyRegistry.KeyInfo k) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kid", k.kid());
        m.put("source", k.source());
        m.put("spkiSha256", k.spkiSha256());
        return m;
    }

    private static void section(List<String> changed, String name, Object a, Object b) {
        if (!Objects.equals(a, b)) {
            changed.add(name);
        }
    }

    /** The answer of {@code POST /reload}: {@code 200} when applied, {@code 422} when rejected. */
    public int status() {
        return applied ? 200 : 422;
    }

    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("result", applied ? "applied" : "rejected");
        if (applied) {
            m.put("changed", changed);
            m.put("routes", routes);
            m.put("keys", keys);
            m.put("restartRequired", restartRequired);
        } else {
            m.put("problems", problems);
        }
        try {
            return JSON.writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One line for the log. */
    public String summary() {
        if (!applied) {
            return "rejected, " + problems.size() + " problem(s): " + String.join("; ", problems);
        }
        return "applied; changed: " + (changed.isEmpty() ? "nothing" : String.join(", ", changed))
                + (routes.values().stream().allMatch(List::isEmpty) ? "" : "; routes " + routes)
                + (keys.values().stream().allMatch(List::isEmpty) ? "" : "; keys " + keys)
                + (restartRequired.isEmpty() ? "" : "; needs a restart to apply (kept as running): "
                + String.join(", ", restartRequired));
    }
}
