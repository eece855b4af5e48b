package io.streamgate.gateway.config;

import java.util.ArrayList;
import java.util.List;

/**
 * What a valid config may still get wrong: settings that load but are probably not meant.
 * {@code check-config} prints them as {@code warning: KEY: ...} (exit stays 0), {@code run}
 * logs them at startup.
 */
public final class ConfigWarnings {
    private ConfigWarnings() {
    }

    public static List<String> of(GatewayConfig config) {
        List<String> out = new ArrayList<>();
        GatewayConfig.Admin admin = config.admin();
        if (admin.enabled() && admin.port() == 0 && !admin.enabledWritten()) {
            out.add("admin.port: 0 now lets the operating system pick a free port for the admin listener; "
                    + "it no longer turns the listener off (set admin.enabled: false for that, or admin.enabled: "
                    + "true to keep a free port without this warning)");
        }
        for (int i = 0; i < config.routes().size(); i++) {
            GatewayConfig.Route r = config.routes().get(i);
            if (r.authRequired() && r.rules().isEmpty()) {
                out.add("routes[" + i + "]: route \"" + r.name() + "\" requires a token but has no require rules: "
                        + "any valid token opens every stream under " + r.path()
                        + " (add require, e.g. {claim: streams, contains: \"{path.0}\"}; or auth: none for a public route)");
            }
        }
        return out;
    }
}
