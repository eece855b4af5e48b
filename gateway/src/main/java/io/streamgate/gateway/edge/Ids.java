package io.streamgate.gateway.edge;

import java.util.concurrent.ThreadLocalRandom;

/** Random ids as lower-case hex, written straight into a char array (no UUIDs, no formatting). */
final class Ids {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Ids() {
    }

    /** 16 hex digits of a random long: a request id. */
    static String requestId() {
        char[] c = new char[16];
        hex(ThreadLocalRandom.current().nextLong(), c, 0);
        return new String(c);
    }

    /** Writes {@code v} as 16 hex digits into {@code out} at {@code at}. */
    static void hex(long v, char[] out, int at) {
        for (int i = at + 15; i >= at; i--) {
            out[i] = HEX[(int) (v & 15)];
            v >>>= 4;
        }
    }
}
