package io.streamgate.loadtest.jmh;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import io.streamgate.gateway.dash.MpdRewriter;
import io.streamgate.gateway.hls.PlaylistRewriter;

/**
 * What rewriting one manifest costs the gateway — the work every playlist or MPD request of
 * every viewer pays (each gets its own credential, so nothing is shared): an HLS live media
 * playlist (5 segments) next to MPEG-DASH manifests — the live profile with a
 * {@code SegmentTemplate} and {@code $Number$} (as the demo origin and ffmpeg write it,
 * reloaded every {@code minimumUpdatePeriod}), a {@code SegmentTimeline} with 300 {@code S}
 * entries and a {@code SegmentList} of 300 {@code SegmentURL}s (long live windows, on-demand).
 * Bytes in, bytes out, as the route calls them.
 *
 * <p>Run: {@code java -jar loadtest/target/streamgate-benchmarks.jar ManifestRewriteBenchmark -prof gc}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(1)
public class ManifestRewriteBenchmark {
    private static final String HOST = "gw.example:8080";
    private static final String PARAM = "sg_session=2.m20iTcln16qlbsJoaZKPY4BPCwQ9mQr16GDvDRCQJrXnDlK8HBP2zfYtII6-w"
            + "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefghijklmnopqrstuvwxyz_-ABCDEFGHIJKLMNOP";

    private byte[] playlist;
    private byte[] liveMpd;
    private byte[] timelineMpd;
    private byte[] listMpd;

    @Setup(Level.Trial)
    public void setUp() {
        StringBuilder p = new StringBuilder("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n"
                + "#EXT-X-MEDIA-SEQUENCE:1000\n");
        for (int i = 1000; i < 1005; i++) {
            p.append("#EXTINF:2.000,\nseg-").append(i).append(".ts\n");
        }
        playlist = p.toString().getBytes(StandardCharsets.UTF_8);
        liveMpd = ("""
                <?xml version="1.0" encoding="utf-8"?>
                <MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011"
                     type="dynamic" availabilityStartTime="2026-12-02T16:00:00Z" publishTime="2026-12-02T17:00:00Z"
                     minimumUpdatePeriod="PT4S" timeShiftBufferDepth="PT10S" suggestedPresentationDelay="PT4S"
                     maxSegmentDuration="PT2S" minBufferTime="PT2S">
                  <Period id="0" start="PT0S">
                    <AdaptationSet id="0" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1">
                      <SegmentTemplate timescale="12800" duration="25600" startNumber="0"
                        initialization="init-$RepresentationID$.m4s" media="seg-$RepresentationID$-$Number$.m4s"/>
                      <Representation id="0" codecs="avc1.42c00c" bandwidth="110000" width="320" height="180"/>
                    </AdaptationSet>
                    <AdaptationSet id="1" contentType="audio" mimeType="audio/mp4" lang="en" segmentAlignment="true">
                      <SegmentTemplate timescale="44100" duration="88200" startNumber="0"
                        initialization="init-$RepresentationID$.m4s" media="seg-$RepresentationID$-$Number$.m4s"/>
                      <Representation id="1" codecs="mp4a.40.2" bandwidth="35000" audioSamplingRate="44100">
                        <AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011"
                          value="1"/>
                      </Representation>
                    </AdaptationSet>
                  </Period>
                  <UTCTiming schemeIdUri="urn:mpeg:dash:utc:direct:2014" value="2026-12-02T17:00:00Z"/>
                </MPD>
                """).getBytes(StandardCharsets.UTF_8);
        StringBuilder t = new StringBuilder("""
                <?xml version="1.0"?>
                <MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="dynamic" minimumUpdatePeriod="PT2S"
                     availabilityStartTime="1970-01-01T00:00:00Z" publishTime="2026-12-02T17:00:00Z">
                  <Period id="p0" start="PT0S">
                    <AdaptationSet mimeType="video/mp4" segmentAlignment="true">
                      <SegmentTemplate timescale="90000" initialization="$RepresentationID$/init.mp4"
                                       media="$RepresentationID$/t$Time$.m4s">
                        <SegmentTimeline>
                """);
        for (int i = 0; i < 300; i++) {
            t.append("          <S t=\"").append(162000000L + i * 180000L).append("\" d=\"180000\"/>\n");
        }
        t.append("""
                        </SegmentTimeline>
                      </SegmentTemplate>
                      <Representation id="v720" bandwidth="3000000" width="1280" height="720"/>
                      <Representation id="v360" bandwidth="800000" width="640" height="360"/>
                    </AdaptationSet>
                  </Period>
                </MPD>
                """);
        timelineMpd = t.toString().getBytes(StandardCharsets.UTF_8);
        StringBuilder l = new StringBuilder("""
                <?xml version="1.0"?>
                <MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT600S">
                  <Period><AdaptationSet mimeType="video/mp4"><Representation id="r1" bandwidth="500000">
                    <BaseURL>r1/</BaseURL>
                    <SegmentList timescale="1000" duration="2000">
                      <Initialization sourceURL="init.mp4"/>
                """);
        for (int i = 0; i < 300; i++) {
            l.append("      <SegmentURL media=\"s").append(i).append(".m4s\"/>\n");
        }
        l.append("    </SegmentList>\n  </Representation></AdaptationSet></Period>\n</MPD>\n");
        listMpd = l.toString().getBytes(StandardCharsets.UTF_8);
        if (mpd(liveMpd).rewritten() != 5 || mpd(timelineMpd).rewritten() != 3 || mpd(listMpd).rewritten() != 301) {
            throw new IllegalStateException("the manifests are not rewritten as expected");
        }
    }

    private static MpdRewriter.Bytes mpd(byte[] body) {
        return MpdRewriter.rewrite(body, body.length, "/live/ev42/manifest.mpd", null, HOST, "/live/", PARAM);
    }

    /** An HLS live media playlist, as HlsRoute rewrites it (decode, rewrite, encode). */
    @Benchmark
    public byte[] hlsMediaPlaylist() {
        String text = new String(playlist, 0, playlist.length, StandardCharsets.UTF_8);
        return PlaylistRewriter.rewrite(text, "/live/ev42/media.m3u8", HOST, "/live/", PARAM).playlist()
                .getBytes(StandardCharsets.UTF_8);
    }

    /** The live-profile MPD with SegmentTemplate and $Number$ (the demo's), a Location added. */
    @Benchmark
    public byte[] dashLiveNumberTemplate() {
        return mpd(liveMpd).body();
    }

    /** A live MPD with a 300-entry SegmentTimeline ($Time$). */
    @Benchmark
    public byte[] dashSegmentTimeline300() {
        return mpd(timelineMpd).body();
    }

    /** An on-demand MPD with a 300-entry SegmentList. */
    @Benchmark
    public byte[] dashSegmentList300() {
        return mpd(listMpd).body();
    }
}
