package io.streamgate.gateway.edge;

/** Lower-case hex written straight into a char array (no formatting): the trace context's ids. */
final class Ids {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Ids() {
    }

    /** Writes {@code v} as 16 hex digits into {@code out} at {@code at}. */
    static void hex(long v, char[] out, int at) {
        for (int i = at + 15; i >= at; i--) {
            out[i] = HEX[(int) (v & 15)];
            v >>>= 4;
        }
    }
}
