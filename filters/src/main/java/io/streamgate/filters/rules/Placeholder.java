package io.streamgate.filters.rules;

/** One {@code {...}} request value in a rule, parsed at config load. */
record Placeholder(Kind kind, String name, int index) {
    enum Kind { QUERY, PATH, HEADER, CLIENT_IP, ORIGIN_HOST }

    /** Parses the text between braces; null when it is not a known placeholder. */
    static Placeholder parse(String s) {
        if (s.equals("client.ip")) {
            return new Placeholder(Kind.CLIENT_IP, null, 0);
        }
        if (s.equals("origin.host")) {
            return new Placeholder(Kind.ORIGIN_HOST, null, 0);
        }
        if (s.startsWith("query.") && s.length() > 6) {
            return new Placeholder(Kind.QUERY, s.substring(6), 0);
        }
        if (s.startsWith("header.") && s.length() > 7) {
            return new Placeholder(Kind.HEADER, s.substring(7), 0);
        }
        if (s.startsWith("path.") && s.length() > 5 && s.length() < 9) {
            try {
                int n = Integer.parseInt(s.substring(5));
                return n >= 0 ? new Placeholder(Kind.PATH, null, n) : null;
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }
}
