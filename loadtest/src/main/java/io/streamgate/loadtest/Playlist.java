package io.streamgate.loadtest;

import java.util.ArrayList;
import java.util.List;

/**
 * The little of an HLS playlist (RFC 8216) a player needs here: master or media; a master's
 * variant URIs; a media playlist's target duration, media sequence, segment URIs and
 * {@code EXT-X-ENDLIST}. URIs are returned as written (resolve them against the playlist URL).
 */
record Playlist(boolean master, List<String> variants, double targetDuration, long mediaSequence,
                List<String> segments, boolean endList) {

    static Playlist parse(String text) {
        List<String> variants = new ArrayList<>();
        List<String> segments = new ArrayList<>();
        boolean master = false;
        boolean endList = false;
        boolean expectVariant = false;
        double target = 6;
        long sequence = 0;
        for (String raw : text.split("\r?\n")) {
            String line = raw.strip();
            if (line.startsWith("\uFEFF")) {
                line = line.substring(1);
            }
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("#")) {
                if (line.startsWith("#EXT-X-STREAM-INF")) {
                    master = true;
                    expectVariant = true;
                } else if (line.startsWith("#EXT-X-TARGETDURATION:")) {
                    target = number(line, target);
                } else if (line.startsWith("#EXT-X-MEDIA-SEQUENCE:")) {
                    sequence = (long) number(line, 0);
                } else if (line.startsWith("#EXT-X-ENDLIST")) {
                    endList = true;
                }
                continue;
            }
            if (expectVariant) {
                variants.add(line);
                expectVariant = false;
            } else if (!master) {
                segments.add(line);
            }
        }
        return new Playlist(master, List.copyOf(variants), target > 0 ? target : 6, sequence,
                List.copyOf(segments), endList);
    }

    private static double number(String line, double fallback) {
        try {
            return Double.parseDouble(line.substring(line.indexOf(':') + 1).trim());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }
}
