package io.streamgate.filters.replay;

/** {@code off}: tokens may be reused; {@code once}: a jti is admitted once; {@code limit}: at most N concurrent sessions per jti. */
public enum ReplayMode {
    OFF, ONCE, LIMIT;

    /** Accepts YAML's boolean reading of unquoted {@code off} as well as the strings. */
    public static ReplayMode fromConfig(Object v) {
        if (Boolean.FALSE.equals(v)) {
            return OFF;
        }
        if (v instanceof String s) {
            for (ReplayMode m : values()) {
                if (m.name().equalsIgnoreCase(s)) {
                    return m;
                }
            }
        }
        return null;
    }
}
