package io.streamgate.origin;

/**
 * Just enough ISO BMFF for the demo origin's looping DASH stream: read a media segment's
 * decode time ({@code moof/traf/tfdt}) and move it, with the {@code sidx} earliest
 * presentation time, by an offset — in place, box sizes unchanged.
 */
final class Fmp4 {
    private Fmp4() {
    }

    /** The {@code tfdt} baseMediaDecodeTime of the segment's first track fragment. */
    static long decodeTime(byte[] seg) {
        long[] found = {-1};
        walk(seg, 0, seg.length, (type, payload, end) -> {
            if (type.equals("tfdt") && found[0] < 0) {
                found[0] = seg[payload] == 1 ? getLong(seg, payload + 4) : getInt(seg, payload + 4);
            }
        });
        if (found[0] < 0) {
            throw new IllegalArgumentException("no tfdt box");
        }
        return found[0];
    }

    /** Adds {@code delta} to every {@code tfdt} decode time and {@code sidx} earliest presentation time. */
    static void shiftTimes(byte[] seg, long delta) {
        walk(seg, 0, seg.length, (type, payload, end) -> {
            if (type.equals("tfdt")) {
                if (seg[payload] == 1) {
                    putLong(seg, payload + 4, getLong(seg, payload + 4) + delta);
                } else {
                    putInt(seg, payload + 4, getInt(seg, payload + 4) + delta);
                }
            } else if (type.equals("sidx")) {
                int at = payload + 4 + 4 + 4; // version+flags, reference_ID, timescale
                if (seg[payload] == 1) {
                    putLong(seg, at, getLong(seg, at) + delta);
                } else {
                    putInt(seg, at, getInt(seg, at) + delta);
                }
            }
        });
    }

    private interface Visitor {
        void box(String type, int payload, int end);
    }

    private static void walk(byte[] b, int from, int to, Visitor v) {
        int at = from;
        while (at + 8 <= to) {
            long size = getInt(b, at);
            int header = 8;
            if (size == 1) {
                size = getLong(b, at + 8);
                header = 16;
            } else if (size == 0) {
                size = to - at;
            }
            if (size < header || at + size > to) {
                throw new IllegalArgumentException("broken box at " + at);
            }
            String type = new String(b, at + 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
            int end = (int) (at + size);
            v.box(type, at + header, end);
            if (type.equals("moof") || type.equals("traf")) {
                walk(b, at + header, end, v);
            }
            at = end;
        }
    }

    private static long getInt(byte[] b, int at) {
        return ((b[at] & 0xFFL) << 24) | ((b[at + 1] & 0xFFL) << 16) | ((b[at + 2] & 0xFFL) << 8) | (b[at + 3] & 0xFFL);
    }

    private static long getLong(byte[] b, int at) {
        return (getInt(b, at) << 32) | getInt(b, at + 4);
    }

    private static void putInt(byte[] b, int at, long v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    private static void putLong(byte[] b, int at, long v) {
        putInt(b, at, v >>> 32);
        putInt(b, at + 4, v);
    }
}
