package io.streamgate.filters.core;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * The viewer's IP address, honouring {@code X-Forwarded-For} only from trusted proxies:
 * walking the header from the right, the first address that is not a trusted proxy is the
 * client. A header from an untrusted peer is ignored, so a viewer cannot claim any address.
 */
public final class ClientAddress {
    private final List<Cidr> trusted;

    private ClientAddress(List<Cidr> trusted) {
        this.trusted = trusted;
    }

    /** @param cidrs e.g. {@code 10.0.0.0/8}, {@code ::1/128}; a bare address means one host */
    public static ClientAddress trusting(List<String> cidrs, String keyPath) {
        List<Cidr> list = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < cidrs.size(); i++) {
            Cidr c = Cidr.parse(cidrs.get(i));
            if (c == null) {
                problems.add(keyPath + "[" + i + "]: not a CIDR: \"" + cidrs.get(i) + "\"");
            } else {
                list.add(c);
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new ClientAddress(List.copyOf(list));
    }

    public static ClientAddress trustingNone() {
        return new ClientAddress(List.of());
    }

    /** True when some proxy is trusted (else no peer's forwarding headers are ever believed). */
    public boolean trustsAny() {
        return !trusted.isEmpty();
    }

    /** The client's address for this request. */
    public String resolve(RequestView request) {
        String peer = request.remoteAddress();
        if (trusted.isEmpty() || !isTrusted(peer)) {
            return peer;
        }
        List<String> lines = request.headers("X-Forwarded-For");
        String candidate = peer;
        for (int l = lines.size() - 1; l >= 0; l--) {
            String[] hops = lines.get(l).split(",");
            for (int i = hops.length - 1; i >= 0; i--) {
                String hop = hops[i].trim();
                if (hop.isEmpty()) {
                    continue;
                }
                if (Cidr.bytes(hop) == null) {
                    // garbage in the chain ("unknown", "1.2.3.4:5678", a bad IPv6 literal):
                    // stop at the last address we trust, never hand the garbage on as the client
                    return candidate;
                }
                candidate = hop;
                if (!isTrusted(hop)) {
                    return hop;
                }
            }
        }
        return candidate;
    }

    public boolean isTrusted(String address) {
        if (trusted.isEmpty()) {
            return false; // the common case, without parsing the address
        }
        byte[] a = Cidr.bytes(address);
        if (a == null) {
            return false;
        }
        for (Cidr c : trusted) {
            if (c.contains(a)) {
                return true;
            }
        }
        return false;
    }

    /** True for an IPv4 dotted quad or an IPv6 literal: safe to parse without any DNS lookup. */
    static boolean isIpLiteral(String s) {
        if (s.isEmpty() || s.length() > 45) {
            return false;
        }
        boolean colon = s.indexOf(':') >= 0;
        // InetAddress treats a string as a literal only when it starts with a hex digit or ':';
        // anything else (".1:2") would go to the name resolver: a DNS lookup on request data.
        char first = s.charAt(0);
        if (colon && first != ':' && Character.digit(first, 16) < 0) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= '0' && c <= '9') || c == '.' || (colon && (c == ':' || (c >= 'a' && c <= 'f')
                    || (c >= 'A' && c <= 'F')));
            if (!ok) {
                return false;
            }
        }
        if (!colon) {
            String[] p = s.split("\\.", -1);
            if (p.length != 4) {
                return false;
            }
            for (String x : p) {
                if (x.isEmpty() || x.length() > 3 || Integer.parseInt(x) > 255) {
                    return false;
                }
            }
        }
        return true;
    }

    private record Cidr(byte[] network, int prefix) {
        static Cidr parse(String s) {
            String t = s == null ? "" : s.trim();
            int slash = t.indexOf('/');
            byte[] addr = bytes(slash < 0 ? t : t.substring(0, slash));
            if (addr == null) {
                return null;
            }
            int prefix;
            try {
                prefix = slash < 0 ? addr.length * 8 : Integer.parseInt(t.substring(slash + 1));
            } catch (NumberFormatException e) {
                return null;
            }
            if (prefix < 0 || prefix > addr.length * 8) {
                return null;
            }
            return new Cidr(addr, prefix);
        }

        static byte[] bytes(String literal) {
            if (literal == null || !isIpLiteral(literal)) {
                return null;
            }
            try {
                byte[] b = InetAddress.getByName(literal).getAddress();
                if (b.length == 16 && isV4Mapped(b)) {
                    return java.util.Arrays.copyOfRange(b, 12, 16);
                }
                return b;
            } catch (UnknownHostException e) {
                return null;
            }
        }

        private static boolean isV4Mapped(byte[] b) {
            for (int i = 0; i < 10; i++) {
                if (b[i] != 0) {
                    return false;
                }
            }
            return b[10] == (byte) 0xff && b[11] == (byte) 0xff;
        }

        boolean contains(byte[] a) {
            if (a.length != network.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (a[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (a[full] & mask) == (network[full] & mask);
        }
    }
}
