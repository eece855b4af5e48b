package io.streamgate.gateway.hls;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The rewrite function on real-world playlist shapes. */
class PlaylistRewriterTest {
    private static final String P = "sg_session=CRED";

    private static String rw(String playlist, String path) {
        return PlaylistRewriter.rewrite(playlist, path, "gw.example:8080", "/live/", P).playlist();
    }

    @Test
    void rfc8216MediaPlaylist() {
        String in = """
                #EXTM3U
                #EXT-X-TARGETDURATION:10
                #EXT-X-VERSION:3
                #EXTINF:9.009,
                http://media.example.com/first.ts
                #EXTINF:9.009,
                second.ts
                #EXTINF:3.003,
                third.ts
                #EXT-X-ENDLIST
                """;
        assertThat(rw(in, "/live/ev1/index.m3u8")).isEqualTo("""
                #EXTM3U
                #EXT-X-TARGETDURATION:10
                #EXT-X-VERSION:3
                #EXTINF:9.009,
                http://media.example.com/first.ts
                #EXTINF:9.009,
                second.ts?sg_session=CRED
                #EXTINF:3.003,
                third.ts?sg_session=CRED
                #EXT-X-ENDLIST
                """);
    }

    @Test
    void rfc8216MasterPlaylistWithAlternativeRenditionsAndIFrames() {
        String in = """
                #EXTM3U
                #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",LANGUAGE="en",NAME="English",DEFAULT=YES,AUTOSELECT=YES,URI="audio/en/prog.m3u8"
                #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",LANGUAGE="de",NAME="Deutsch",DEFAULT=NO,URI="audio/de/prog.m3u8"
                #EXT-X-STREAM-INF:BANDWIDTH=1280000,CODECS="avc1.4d401f,mp4a.40.2",AUDIO="aac"
                low/video.m3u8
                #EXT-X-STREAM-INF:BANDWIDTH=7680000,AVERAGE-BANDWIDTH=6000000,AUDIO="aac"
                hi/video.m3u8
                #EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=86000,URI="low/iframe.m3u8"
                #EXT-X-SESSION-KEY:METHOD=AES-128,URI="https://keys.example.com/k1"
                """;
        String out = rw(in, "/live/ev1/master.m3u8");
        assertThat(out).contains("URI=\"audio/en/prog.m3u8?sg_session=CRED\"")
                .contains("URI=\"audio/de/prog.m3u8?sg_session=CRED\"")
                .contains("\nlow/video.m3u8?sg_session=CRED\n")
                .contains("\nhi/video.m3u8?sg_session=CRED\n")
                .contains("URI=\"low/iframe.m3u8?sg_session=CRED\"")
                .contains("URI=\"https://keys.example.com/k1\"") // another host: untouched
                .contains("CODECS=\"avc1.4d401f,mp4a.40.2\",AUDIO=\"aac\"");
        assertThat(PlaylistRewriter.rewrite(in, "/live/ev1/master.m3u8", "gw.example:8080", "/live/", P).rewritten())
                .isEqualTo(5);
    }

    @Test
    void lowLatencyPartsPreloadHintsAndRenditionReports() {
        String in = """
                #EXTM3U
                #EXT-X-TARGETDURATION:4
                #EXT-X-VERSION:6
                #EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.0,CAN-SKIP-UNTIL=12.0
                #EXT-X-PART-INF:PART-TARGET=0.33334
                #EXT-X-MEDIA-SEQUENCE:266
                #EXT-X-MAP:URI="init.mp4"
                #EXTINF:4.00008,
                fileSequence266.mp4
                #EXT-X-PART:DURATION=0.33334,URI="filePart267.0.mp4",INDEPENDENT=YES
                #EXT-X-PART:DURATION=0.33334,URI="filePart267.1.mp4"
                #EXT-X-PRELOAD-HINT:TYPE=PART,URI="filePart267.2.mp4"
                #EXT-X-RENDITION-REPORT:URI="../1M/waitForMSN.php",LAST-MSN=273,LAST-PART=2
                #EXT-X-RENDITION-REPORT:URI="../4M/waitForMSN.php",LAST-MSN=273,LAST-PART=1
                """;
        String out = rw(in, "/live/ev1/2M/index.m3u8");
        assertThat(out).contains("#EXT-X-MAP:URI=\"init.mp4?sg_session=CRED\"")
                .contains("URI=\"filePart267.0.mp4?sg_session=CRED\",INDEPENDENT=YES")
                .contains("URI=\"filePart267.1.mp4?sg_session=CRED\"")
                .contains("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"filePart267.2.mp4?sg_session=CRED\"")
                .contains("URI=\"../1M/waitForMSN.php?sg_session=CRED\",LAST-MSN=273")
                .contains("URI=\"../4M/waitForMSN.php?sg_session=CRED\"")
                .contains("\nfileSequence266.mp4?sg_session=CRED\n")
                .contains("#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.0,CAN-SKIP-UNTIL=12.0");
    }

    @Test
    void byteRangesAndKeys() {
        String in = """
                #EXTM3U
                #EXT-X-KEY:METHOD=AES-128,URI="key.bin",IV=0x1234
                #EXT-X-MAP:URI="main.mp4",BYTERANGE="560@0"
                #EXTINF:10,
                #EXT-X-BYTERANGE:75232@560
                main.mp4
                """;
        String out = rw(in, "/live/ev1/index.m3u8");
        assertThat(out).contains("#EXT-X-KEY:METHOD=AES-128,URI=\"key.bin?sg_session=CRED\",IV=0x1234")
                .contains("#EXT-X-MAP:URI=\"main.mp4?sg_session=CRED\",BYTERANGE=\"560@0\"")
                .contains("#EXT-X-BYTERANGE:75232@560\nmain.mp4?sg_session=CRED\n");
    }

    @Test
    void uriWithAQueryKeepsIt() {
        assertThat(rw("#EXTM3U\nseg.ts?a=1&b=2\nseg2.ts?\n", "/live/ev1/i.m3u8"))
                .isEqualTo("#EXTM3U\nseg.ts?a=1&b=2&sg_session=CRED\nseg2.ts?sg_session=CRED\n");
    }

    @Test
    void absoluteUrisOnlyToTheGatewayItself() {
        String in = "#EXTM3U\nhttp://gw.example:8080/live/ev1/a.ts\nhttps://cdn.example.com/live/ev1/b.ts\n/live/ev1/c.ts\n";
        assertThat(rw(in, "/live/ev1/i.m3u8")).isEqualTo("#EXTM3U\nhttp://gw.example:8080/live/ev1/a.ts?sg_session=CRED\n"
                + "https://cdn.example.com/live/ev1/b.ts\n/live/ev1/c.ts?sg_session=CRED\n");
    }

    @Test
    void urisLeavingTheRouteAreUntouched() {
        String in = "#EXTM3U\n../../other/x.ts\n/public/y.ts\n../ev2/z.ts\n";
        assertThat(rw(in, "/live/ev1/i.m3u8")).isEqualTo("#EXTM3U\n../../other/x.ts\n/public/y.ts\n../ev2/z.ts?sg_session=CRED\n");
    }

    @Test
    void crlfLineEndingsArePreserved() {
        assertThat(rw("#EXTM3U\r\n#EXTINF:2,\r\nseg.ts\r\n", "/live/a/i.m3u8"))
                .isEqualTo("#EXTM3U\r\n#EXTINF:2,\r\nseg.ts?sg_session=CRED\r\n");
    }

    @Test
    void byteOrderMarkIsPreserved() {
        assertThat(rw("\uFEFF#EXTM3U\nseg.ts", "/live/a/i.m3u8")).isEqualTo("\uFEFF#EXTM3U\nseg.ts?sg_session=CRED");
    }

    @Test
    void commentsBlankLinesAndUnknownTagsStay() {
        String in = "#EXTM3U\n\n# a comment with URI=\"x.ts\"\n#EXT-X-DATERANGE:ID=\"a\",X-URI=\"x.ts\"\n  seg.ts  \n";
        assertThat(rw(in, "/live/a/i.m3u8"))
                .isEqualTo("#EXTM3U\n\n# a comment with URI=\"x.ts\"\n#EXT-X-DATERANGE:ID=\"a\",X-URI=\"x.ts\"\n  seg.ts?sg_session=CRED  \n");
    }

    @Test
    void fragmentsStayLast() {
        assertThat(rw("#EXTM3U\nseg.ts#t=1\n", "/live/a/i.m3u8")).isEqualTo("#EXTM3U\nseg.ts?sg_session=CRED#t=1\n");
    }

    @Test
    void routePrefixWithoutTrailingSlash() {
        assertThat(PlaylistRewriter.rewrite("#EXTM3U\nseg.ts\n", "/hls/ev1/i.m3u8", null, "/hls", P).playlist())
                .isEqualTo("#EXTM3U\nseg.ts?sg_session=CRED\n");
    }

    @Test
    void originSuppliedSessionParameterNeverShadowsTheGatewaysCredential() {
        // the gateway reads the first sg_session: one the origin put there would win over its own
        String in = """
                #EXTM3U
                #EXT-X-KEY:METHOD=AES-128,URI="key.bin?sg_session=ORIGIN",IV=0x1
                #EXT-X-MAP:URI="init.mp4?a=1&SG_SESSION=x&b=2"
                #EXTINF:2,
                seg1.ts?sg%5Fsession=evil
                #EXTINF:2,
                seg2.ts?Sg_Session=1&sg_session=2#t=1
                #EXTINF:2,
                seg3.ts?sg_sessions=kept
                """;
        assertThat(rw(in, "/live/ev1/index.m3u8")).isEqualTo("""
                #EXTM3U
                #EXT-X-KEY:METHOD=AES-128,URI="key.bin?sg_session=CRED",IV=0x1
                #EXT-X-MAP:URI="init.mp4?a=1&b=2&sg_session=CRED"
                #EXTINF:2,
                seg1.ts?sg_session=CRED
                #EXTINF:2,
                seg2.ts?sg_session=CRED#t=1
                #EXTINF:2,
                seg3.ts?sg_sessions=kept&sg_session=CRED
                """);
    }
}
