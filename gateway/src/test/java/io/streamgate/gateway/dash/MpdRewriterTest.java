package io.streamgate.gateway.dash;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** The MPD rewrite function on real-world manifest shapes. */
class MpdRewriterTest {
    private static final String P = "sg_session=CRED";
    private static final String HOST = "gw.example:8080";

    private static MpdRewriter.Result result(String mpd, String path) {
        return MpdRewriter.rewrite(mpd, path, null, HOST, "/live/", P);
    }

    private static String rw(String mpd, String path) {
        MpdRewriter.Result r = result(mpd, path);
        assertThat(r.outcome()).isEqualTo(MpdRewriter.Outcome.REWRITTEN);
        return r.manifest();
    }

    /** The output is well-formed, namespace-aware XML (a strict parser, as players use). */
    private static Document parse(String xml) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    }

    private static List<String> attrs(Document d, String element, String attr) {
        List<String> out = new ArrayList<>();
        NodeList nl = d.getElementsByTagNameNS(MpdRewriter.DASH_NS, element);
        for (int i = 0; i < nl.getLength(); i++) {
            Element e = (Element) nl.item(i);
            if (e.hasAttribute(attr)) {
                out.add(e.getAttribute(attr));
            }
        }
        return out;
    }

    private static List<String> texts(Document d, String element) {
        List<String> out = new ArrayList<>();
        NodeList nl = d.getElementsByTagNameNS(MpdRewriter.DASH_NS, element);
        for (int i = 0; i < nl.getLength(); i++) {
            out.add(nl.item(i).getTextContent().trim());
        }
        return out;
    }

    /** As ffmpeg's dash muxer writes a live presentation (isoff-live, SegmentTemplate with $Number%05d$). */
    static final String LIVE_NUMBER = """
            <?xml version="1.0" encoding="utf-8"?>
            <MPD xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
            \txmlns="urn:mpeg:dash:schema:mpd:2011"
            \txmlns:xlink="http://www.w3.org/1999/xlink"
            \txsi:schemaLocation="urn:mpeg:DASH:schema:MPD:2011 http://standards.iso.org/ittf/PubliclyAvailableStandards/MPEG-DASH_schema_files/DASH-MPD.xsd"
            \tprofiles="urn:mpeg:dash:profile:isoff-live:2011"
            \ttype="dynamic"
            \tminimumUpdatePeriod="PT2S"
            \tsuggestedPresentationDelay="PT4S"
            \tavailabilityStartTime="2026-12-02T16:00:00.000Z"
            \tpublishTime="2026-12-02T16:10:00.000Z"
            \ttimeShiftBufferDepth="PT10.0S"
            \tmaxSegmentDuration="PT2.0S"
            \tminBufferTime="PT4.0S">
            \t<ProgramInformation>
            \t</ProgramInformation>
            \t<ServiceDescription id="0">
            \t</ServiceDescription>
            \t<Period id="0" start="PT0.0S">
            \t\t<AdaptationSet id="0" contentType="video" startWithSAP="1" segmentAlignment="true" bitstreamSwitching="true">
            \t\t\t<Representation id="0" mimeType="video/mp4" codecs="avc1.42c00c" bandwidth="109026" width="320" height="180">
            \t\t\t\t<SegmentTemplate timescale="1000000" duration="2000000" initialization="init-stream$RepresentationID$.m4s" media="chunk-stream$RepresentationID$-$Number%05d$.m4s" startNumber="1">
            \t\t\t\t</SegmentTemplate>
            \t\t\t</Representation>
            \t\t</AdaptationSet>
            \t\t<AdaptationSet id="1" contentType="audio" startWithSAP="1" segmentAlignment="true" bitstreamSwitching="true">
            \t\t\t<Representation id="1" mimeType="audio/mp4" codecs="mp4a.40.2" bandwidth="34879" audioSamplingRate="44100">
            \t\t\t\t<AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="1" />
            \t\t\t\t<SegmentTemplate timescale="1000000" duration="2000000" initialization="init-stream$RepresentationID$.m4s" media="chunk-stream$RepresentationID$-$Number%05d$.m4s" startNumber="1">
            \t\t\t\t</SegmentTemplate>
            \t\t\t</Representation>
            \t\t</AdaptationSet>
            \t</Period>
            \t<UTCTiming schemeIdUri="urn:mpeg:dash:utc:http-iso:2014" value="https://time.akamai.com/?iso" />
            </MPD>
            """;

    @Test
    void liveProfileSegmentTemplateWithNumberKeepsTheTemplateAndAddsALocation() throws Exception {
        String out = rw(LIVE_NUMBER, "/live/ev1/manifest.mpd");
        assertThat(out).contains("initialization=\"init-stream$RepresentationID$.m4s?sg_session=CRED\"")
                .contains("media=\"chunk-stream$RepresentationID$-$Number%05d$.m4s?sg_session=CRED\"")
                .contains("value=\"https://time.akamai.com/?iso\"") // another host: untouched
                // a live MPD reloads from its Location: the credential rides there, placed before ServiceDescription
                .contains("\t</ProgramInformation>\n\t<Location>manifest.mpd?sg_session=CRED</Location>\n"
                        + "\t<ServiceDescription id=\"0\">");
        Document d = parse(out);
        assertThat(attrs(d, "SegmentTemplate", "media")).hasSize(2)
                .allMatch(m -> m.equals("chunk-stream$RepresentationID$-$Number%05d$.m4s?sg_session=CRED"));
        assertThat(texts(d, "Location")).containsExactly("manifest.mpd?sg_session=CRED");
        // nothing else moved: removing what was added gives the input back
        assertThat(out.replace("?sg_session=CRED", "")
                .replace("\t<Location>manifest.mpd</Location>\n", "")).isEqualTo(LIVE_NUMBER);
        assertThat(result(LIVE_NUMBER, "/live/ev1/manifest.mpd").rewritten()).isEqualTo(5);
    }

    @Test
    void theAddedLocationKeepsTheManifestsOwnQuery() {
        String out = MpdRewriter.rewrite(LIVE_NUMBER, "/live/ev1/manifest.mpd", "bitrate=low&x=a%20b", HOST, "/live/", P)
                .manifest();
        assertThat(out).contains("<Location>manifest.mpd?bitrate=low&amp;x=a%20b&amp;sg_session=CRED</Location>");
    }

    @Test
    void aStaticMpdGetsNoLocation() {
        String in = LIVE_NUMBER.replace("type=\"dynamic\"", "type=\"static\"");
        assertThat(rw(in, "/live/ev1/manifest.mpd")).doesNotContain("<Location");
    }

    @Test
    void segmentTimelineWithTimeAndBandwidth() throws Exception {
        String in = """
                <?xml version="1.0"?>
                <MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="dynamic" profiles="urn:mpeg:dash:profile:isoff-live:2011"
                     availabilityStartTime="1970-01-01T00:00:00Z" minimumUpdatePeriod="PT6S">
                  <Period id="p0" start="PT0S">
                    <AdaptationSet mimeType="video/mp4" segmentAlignment="true">
                      <SegmentTemplate timescale="90000" initialization="$RepresentationID$/init.mp4"
                                       media="$RepresentationID$/t$Time$-b$Bandwidth$.m4s">
                        <SegmentTimeline>
                          <S t="162000000" d="540000" r="4"/>
                          <S d="450000"/>
                        </SegmentTimeline>
                      </SegmentTemplate>
                      <Representation id="v720" bandwidth="3000000" codecs="avc1.64001f" width="1280" height="720"/>
                      <Representation id="v360" bandwidth="800000" codecs="avc1.64001e" width="640" height="360"/>
                    </AdaptationSet>
                  </Period>
                </MPD>
                """;
        String out = rw(in, "/live/ev1/stream.mpd");
        Document d = parse(out);
        assertThat(attrs(d, "SegmentTemplate", "media"))
                .containsExactly("$RepresentationID$/t$Time$-b$Bandwidth$.m4s?sg_session=CRED");
        assertThat(attrs(d, "SegmentTemplate", "initialization"))
                .containsExactly("$RepresentationID$/init.mp4?sg_session=CRED");
        assertThat(out).contains("<S t=\"162000000\" d=\"540000\" r=\"4\"/>");
        assertThat(texts(d, "Location")).containsExactly("stream.mpd?sg_session=CRED");
    }

    @Test
    void segmentListWithSegmentUrlsAndInitialization() throws Exception {
        String in = """
                <?xml version="1.0" encoding="UTF-8"?>
                <MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT6S"
                     profiles="urn:mpeg:dash:profile:full:2011">
                  <Period>
                    <AdaptationSet mimeType="video/mp4">
                      <Representation id="r1" bandwidth="500000">
                        <BaseURL>r1/</BaseURL>
                        <SegmentList timescale="1000" duration="2000">
                          <Initialization sourceURL="init.mp4"/>
                          <RepresentationIndex sourceURL="index.sidx"/>
                          <SegmentURL media="s1.m4s"/>
                          <SegmentURL media="s2.m4s?v=1&amp;w=2" index="s2.sidx"/>
                          <SegmentURL media="http://cdn.other.example/r1/s3.m4s"/>
                          <SegmentURL media="../../../elsewhere/s4.m4s"/>
                        </SegmentList>
                      </Representation>
                    </AdaptationSet>
                  </Period>
                </MPD>
                """;
        String out = rw(in, "/live/ev1/vod.mpd");
        Document d = parse(out);
        assertThat(attrs(d, "SegmentURL", "media")).containsExactly("s1.m4s?sg_session=CRED",
                "s2.m4s?v=1&w=2&sg_session=CRED", "http://cdn.other.example/r1/s3.m4s", "../../../elsewhere/s4.m4s");
        assertThat(out).contains("media=\"s2.m4s?v=1&amp;w=2&amp;sg_session=CRED\"");
        assertThat(attrs(d, "SegmentURL", "index")).containsExactly("s2.sidx?sg_session=CRED");
        assertThat(attrs(d, "Initialization", "sourceURL")).containsExactly("init.mp4?sg_session=CRED");
        assertThat(attrs(d, "RepresentationIndex", "sourceURL")).containsExactly("index.sidx?sg_session=CRED");
        // a directory BaseURL: resolution drops a base's query, the URLs under it carry the credential
        assertThat(texts(d, "BaseURL")).containsExactly("r1/");
    }

    @Test
    void multiPeriodWithBaseUrlsAtEveryLevel() throws Exception {
        String in = """
                <MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT20S">
                  <BaseURL>http://gw.example:8080/live/ev1/</BaseURL>
                  <Period id="ad" duration="PT10S">
                    <BaseURL>https://ads.example.net/break1/</BaseURL>
                    <AdaptationSet mimeType="video/mp4">
                      <SegmentTemplate media="ad-$Number$.m4s" initialization="ad-init.mp4" duration="2" startNumber="1"/>
                      <Representation id="ad" bandwidth="1000000"/>
                    </AdaptationSet>
                  </Period>
                  <Period id="main" duration="PT10S">
                    <BaseURL>main/</BaseURL>
                    <AdaptationSet mimeType="video/mp4">
                      <BaseURL>video/</BaseURL>
                      <SegmentTemplate media="$RepresentationID$-$Number$.m4s" initialization="$RepresentationID$-init.mp4"
                                       duration="2" startNumber="1"/>
                      <Representation id="hd" bandwidth="3000000"><BaseURL>hd/</BaseURL></Representation>
                      <Representation id="sd" bandwidth="1000000"/>
                    </AdaptationSet>
                    <AdaptationSet mimeType="audio/mp4">
                      <Representation id="a" bandwidth="64000">
                        <BaseURL>/other-route/audio/</BaseURL>
                        <SegmentTemplate media="a-$Number$.m4s" duration="2"/>
                      </Representation>
                    </AdaptationSet>
                  </Period>
                </MPD>
                """;
        String out = rw(in, "/live/ev1/event.mpd");
        Document d = parse(out);
        assertThat(attrs(d, "SegmentTemplate", "media")).containsExactly(
                "ad-$Number$.m4s", // resolves to the ad server: never the credential
                "$RepresentationID$-$Number$.m4s?sg_session=CRED",
                "a-$Number$.m4s"); // resolves outside the route
        assertThat(attrs(d, "SegmentTemplate", "initialization")).containsExactly("ad-init.mp4",
                "$RepresentationID$-init.mp4?sg_session=CRED");
        assertThat(texts(d, "BaseURL")).containsExactly("http://gw.example:8080/live/ev1/",
                "https://ads.example.net/break1/", "main/", "video/", "hd/", "/other-route/audio/");
    }

    @Test
    void alternativeBaseUrlsOnAnotherHostKeepTheCredentialAway() throws Exception {
        String in = """
                <MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static">
                  <BaseURL serviceLocation="gw">./</BaseURL>
                  <BaseURL serviceLocation="cdn">https://cdn.example.com/ev1/</BaseURL>
                  <Period><AdaptationSet><Representation id="v" bandwidth="1">
                    <SegmentTemplate media="v-$Number$.m4s" duration="2"/>
                  </Representation></AdaptationSet></Period>
                  <Period><AdaptationSet><Representation id="v" bandwidth="1">
                    <BaseURL>https://gw.example:8080/live/ev1/p2/</BaseURL>
                    <BaseURL>http://gw.example:8080/live/ev1/p2b/</BaseURL>
                    <SegmentTemplate media="v-$Number$.m4s" duration="2"/>
                  </Representation></AdaptationSet></Period>
                </MPD>
                """;
        Document d = parse(rw(in, "/live/ev1/m.mpd"));
        // one alternative leads to the CDN: the credential is not handed to it
        // (the player fails over to the CDN); all alternatives on the gateway: credential
        assertThat(attrs(d, "SegmentTemplate", "media")).containsExactly("v-$Number$.m4s",
                "v-$Number$.m4s?sg_session=CRED");
    }

    @Test
    void aBaseUrlNamingTheMediaFileItselfCarriesTheCredential() throws Exception {
        String in = """
                <MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" profiles="urn:mpeg:dash:profile:isoff-on-demand:2011">
                  <Period><AdaptationSet mimeType="video/mp4">
                    <Representation id="1" bandwidth="1000">
                      <BaseURL> video_1000k.mp4 </BaseURL>
                      <SegmentBase indexRange="832-1199"><Initialization range="0-831"/></SegmentBase>
                    </Representation>
                    <Representation id="2" bandwidth="2000">
                      <BaseURL>https://cdn.example.com/video_2000k.mp4</BaseURL>
                      <SegmentBase indexRange="832-1199"/>
                    </Representation>
                  </AdaptationSet></Period>
                </MPD>
                """;
        Document d = parse(rw(in, "/live/vod/m.mpd"));
        assertThat(texts(d, "BaseURL")).containsExactly("video_1000k.mp4?sg_session=CRED",
                "https://cdn.example.com/video_2000k.mp4");
    }

    @Test
    void locationAndPatchLocationOnTheRouteGetTheCredentialAndNoSecondLocationIsAdded() throws Exception {
        String in = """
                <MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="dynamic" minimumUpdatePeriod="PT2S"
                     availabilityStartTime="2026-01-01T00:00:00Z" publishTime="2026-01-01T00:00:00Z" id="ev1">
                  <Location>https://gw.example:8080/live/ev1/m.mpd?src=loc</Location>
                  <Location>https://backup.example.com/ev1/m.mpd</Location>
                  <PatchLocation ttl="60">patch.mpp?publishTime=2026-01-01T00:00:00Z</PatchLocation>
                  <Period id="1"><AdaptationSet><Representation id="v" bandwidth="1">
                    <SegmentTemplate media="v-$Number$.m4s" duration="2"/>
                  </Representation></AdaptationSet></Period>
                </MPD>
                """;
        Document d = parse(rw(in, "/live/ev1/m.mpd"));
        assertThat(texts(d, "Location")).containsExactly("https://gw.example:8080/live/ev1/m.mpd?src=loc&sg_session=CRED",
                "https://backup.example.com/ev1/m.mpd");
        assertThat(texts(d, "PatchLocation")).containsExactly("patch.mpp?publishTime=2026-01-01T00:00:00Z&sg_session=CRED");
    }

    @Test
    void prefixedNamespacesCommentsXlinkAndUnknownElementsArePreserved() throws Exception {
        String in = """
                <?xml version="1.0" encoding="UTF-8"?>
                <!-- packaged by Example Packager 4.2 -->
                <?xml-stylesheet type="text/xsl" href="mpd.xsl"?>
                <mpd:MPD xmlns:mpd="urn:mpeg:dash:schema:mpd:2011" xmlns:xl="http://www.w3.org/1999/xlink"
                         xmlns:cenc="urn:mpeg:cenc:2013" xmlns:ex="urn:example:ext" type='static'>
                  <mpd:Period xl:href="periods/p1.xml" xl:actuate="onLoad"/>
                  <mpd:Period xl:href="urn:mpeg:dash:resolve-to-zero:2013"/>
                  <mpd:Period id="2">
                    <ex:Extra media="not-a-dash-attribute.m4s"><ex:BaseURL>ignored/</ex:BaseURL></ex:Extra>
                    <mpd:AdaptationSet>
                      <mpd:ContentProtection schemeIdUri="urn:mpeg:dash:mp4protection:2011" value="cenc"
                          cenc:default_KID="10000000-1000-1000-1000-100000000001"/>
                      <!-- <mpd:SegmentTemplate media="commented-out.m4s"/> -->
                      <mpd:SegmentTemplate media='seg-$Number$.m4s' duration="2" ex:note="kept"/>
                      <mpd:Representation id="v" bandwidth="1"><ex:Custom>text &amp; more</ex:Custom></mpd:Representation>
                    </mpd:AdaptationSet>
                  </mpd:Period>
                </mpd:MPD>
                """;
        String out = rw(in, "/live/ev1/m.mpd");
        assertThat(out).isEqualTo(in.replace("\"periods/p1.xml\"", "\"periods/p1.xml?sg_session=CRED\"")
                .replace("'seg-$Number$.m4s'", "'seg-$Number$.m4s?sg_session=CRED'"));
        parse(out);
    }

    @Test
    void aDefaultNamespaceOtherThanDashIsNotRewritten() {
        String in = "<MPD xmlns=\"urn:example:not-dash\"><Period><AdaptationSet><Representation id=\"v\">"
                + "<SegmentTemplate media=\"s.m4s\"/></Representation></AdaptationSet></Period></MPD>";
        MpdRewriter.Result r = result(in, "/live/ev1/m.mpd");
        assertThat(r.manifest()).isEqualTo(in);
        assertThat(r.outcome()).isEqualTo(MpdRewriter.Outcome.UNCHANGED_NOT_DASH);
    }

    @Test
    void aBaseUrlOutsideTheDashNamespaceNeverGetsTheCredential() throws Exception {
        String dash = "xmlns=\"urn:mpeg:dash:schema:mpd:2011\"";
        // regression: a manifest without the DASH namespace had its BaseURL given the credential
        String none = "<MPD><Period><AdaptationSet><Representation id=\"v\"><BaseURL>file.mp4</BaseURL>"
                + "<SegmentBase/></Representation></AdaptationSet></Period></MPD>";
        assertThat(result(none, "/live/ev1/m.mpd").manifest()).isEqualTo(none);
        assertThat(result(none, "/live/ev1/m.mpd").outcome()).isEqualTo(MpdRewriter.Outcome.UNCHANGED_NOT_DASH);
        // a BaseURL of another namespace (or none) in a DASH manifest is left alone
        for (String foreign : List.of("<BaseURL xmlns=\"urn:other\">file.mp4</BaseURL>",
                "<o:BaseURL xmlns:o=\"urn:other\">file.mp4</o:BaseURL>", "<BaseURL xmlns=\"\">file.mp4</BaseURL>",
                "<x:BaseURL>file.mp4</x:BaseURL>")) {
            String in = "<MPD " + dash + "><Period><AdaptationSet><Representation id=\"v\">" + foreign
                    + "<SegmentBase/></Representation></AdaptationSet></Period></MPD>";
            assertThat(rw(in, "/live/ev1/m.mpd")).as(foreign).isEqualTo(in);
        }
        // a player matching names only would take it as a base on another host: nothing below is
        // given the credential (a strict player then fails to play; the credential stays home)
        String alternative = "<MPD " + dash + "><Period><BaseURL xmlns=\"urn:other\">https://evil.example/</BaseURL>"
                + "<AdaptationSet><Representation id=\"v\"><SegmentTemplate media=\"s-$Number$.m4s\"/>"
                + "</Representation></AdaptationSet></Period></MPD>";
        assertThat(rw(alternative, "/live/ev1/m.mpd")).isEqualTo(alternative);
        // a level of another namespace could hold such a base: nothing inside it gets the credential
        String level = "<MPD " + dash + "><Period><o:AdaptationSet xmlns:o=\"urn:other\"><o:BaseURL>"
                + "https://evil.example/</o:BaseURL><Representation id=\"v\"><BaseURL>file.mp4</BaseURL>"
                + "<SegmentTemplate media=\"s-$Number$.m4s\"/></Representation></o:AdaptationSet></Period></MPD>";
        assertThat(rw(level, "/live/ev1/m.mpd")).isEqualTo(level);
        // nor does an xlink:href on an element of another namespace
        String xlink = "<MPD " + dash + " xmlns:xl=\"http://www.w3.org/1999/xlink\"><ex:Remote xmlns:ex=\"urn:other\""
                + " xl:href=\"remote.xml\"/><Period xl:href=\"p1.xml\"/></MPD>";
        assertThat(rw(xlink, "/live/ev1/m.mpd")).isEqualTo(xlink.replace("p1.xml", "p1.xml?sg_session=CRED"));
        // the DASH BaseURL beside them still gets it
        String ok = "<MPD " + dash + "><Period><AdaptationSet><Representation id=\"v\"><BaseURL>file.mp4</BaseURL>"
                + "<SegmentBase/></Representation></AdaptationSet></Period></MPD>";
        assertThat(texts(parse(rw(ok, "/live/ev1/m.mpd")), "BaseURL")).containsExactly("file.mp4?sg_session=CRED");
    }

    @Test
    void aUtf8ByteOrderMarkIsKept() {
        String in = "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\"><Period><AdaptationSet><Representation id=\"v\">"
                + "<SegmentTemplate media=\"s-$Number$.m4s\" duration=\"2\"/></Representation></AdaptationSet></Period>"
                + "<!-- ünïcödé --></MPD>";
        byte[] body = ("\uFEFF" + in).getBytes(StandardCharsets.UTF_8);
        assertThat(body[0]).isEqualTo((byte) 0xEF);
        MpdRewriter.Bytes r = MpdRewriter.rewrite(body, body.length, "/live/ev1/m.mpd", null, HOST, "/live/", P);
        assertThat(r.outcome()).isEqualTo(MpdRewriter.Outcome.REWRITTEN);
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("\uFEFF"
                + in.replace("s-$Number$.m4s", "s-$Number$.m4s?sg_session=CRED"));
        // and on text, as the string entry point sees it
        assertThat(rw("\uFEFF" + in, "/live/ev1/m.mpd")).startsWith("\uFEFF<MPD ");
    }

    @Test
    void utf16WithAByteOrderMarkIsWrittenBackInUtf16() {
        String in = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\"><Period>"
                + "<AdaptationSet><Representation id=\"v\"><SegmentTemplate media=\"s.m4s\"/></Representation>"
                + "</AdaptationSet></Period></MPD>";
        byte[] body = ("\uFEFF" + in).getBytes(StandardCharsets.UTF_16LE);
        MpdRewriter.Bytes r = MpdRewriter.rewrite(body, body.length, "/live/ev1/m.mpd", null, HOST, "/live/", P);
        assertThat(new String(r.body(), StandardCharsets.UTF_16LE)).isEqualTo("\uFEFF" + in.replace("s.m4s", "s.m4s?"
                + P));
    }

    @Test
    void aDoctypeIsNeverResolvedAndTheManifestPassesUnchanged() {
        // an external entity (XXE) and an internal one that would move BaseURL to another host
        String in = """
                <?xml version="1.0"?>
                <!DOCTYPE MPD [
                  <!ENTITY xxe SYSTEM "file:///etc/passwd">
                  <!ENTITY cdn "https://evil.example/">
                ]>
                <MPD xmlns="urn:mpeg:dash:schema:mpd:2011"><BaseURL>&cdn;</BaseURL><Period><AdaptationSet>
                <Representation id="v"><SegmentTemplate media="s.m4s?x=&xxe;"/></Representation></AdaptationSet></Period></MPD>
                """;
        MpdRewriter.Result r = result(in, "/live/ev1/m.mpd");
        assertThat(r.outcome()).isEqualTo(MpdRewriter.Outcome.UNCHANGED_DOCTYPE);
        assertThat(r.manifest()).isSameAs(in);
        assertThat(r.rewritten()).isZero();
    }

    @Test
    void anUnknownEntityInABaseUrlMeansNoCredentialBelowIt() throws Exception {
        String in = "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\"><BaseURL>&cdn;</BaseURL><Period><AdaptationSet>"
                + "<Representation id=\"v\"><SegmentTemplate media=\"s.m4s\"/></Representation></AdaptationSet></Period></MPD>";
        assertThat(rw(in, "/live/ev1/m.mpd")).isEqualTo(in);
    }

    @Test
    void malformedManifestsPassUnchanged() {
        for (String in : List.of(
                "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\"><Period><SegmentTemplate media=\"s.m4s\"/></MPD>",
                "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\"><Period><SegmentTemplate media=\"s.m4s/></Period></MPD>",
                "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\"><!-- never closed <SegmentTemplate media=\"s.m4s\"/></MPD>",
                "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\"/><MPD/>",
                "not xml at all",
                "")) {
            MpdRewriter.Result r = result(in, "/live/ev1/m.mpd");
            assertThat(r.outcome()).as(in).isEqualTo(MpdRewriter.Outcome.UNCHANGED_MALFORMED);
            assertThat(r.manifest()).isSameAs(in);
        }
    }

    @Test
    void absoluteUrlsToTheGatewayCountAsOursOthersDoNot() throws Exception {
        String in = """
                <MPD xmlns="urn:mpeg:dash:schema:mpd:2011"><Period><AdaptationSet><Representation id="v">
                  <SegmentList>
                    <SegmentURL media="http://gw.example:8080/live/ev1/a.m4s"/>
                    <SegmentURL media="//gw.example:8080/live/ev1/b.m4s"/>
                    <SegmentURL media="http://gw.example:9999/live/ev1/c.m4s"/>
                    <SegmentURL media="ftp://gw.example:8080/live/ev1/d.m4s"/>
                    <SegmentURL media="/live/ev2/e.m4s"/>
                    <SegmentURL media="/livestream/f.m4s"/>
                    <SegmentURL media="data:video/mp4;base64,AAAA"/>
                    <SegmentURL media="g.m4s#t=10"/>
                  </SegmentList>
                </Representation></AdaptationSet></Period></MPD>
                """;
        Document d = parse(rw(in, "/live/ev1/m.mpd"));
        assertThat(attrs(d, "SegmentURL", "media")).containsExactly(
                "http://gw.example:8080/live/ev1/a.m4s?sg_session=CRED",
                "//gw.example:8080/live/ev1/b.m4s?sg_session=CRED",
                "http://gw.example:9999/live/ev1/c.m4s",
                "ftp://gw.example:8080/live/ev1/d.m4s",
                "/live/ev2/e.m4s?sg_session=CRED", // same route: the credential's own prefix decides at use
                "/livestream/f.m4s",
                "data:video/mp4;base64,AAAA",
                "g.m4s?sg_session=CRED#t=10");
    }

    @Test
    void theDemoOriginsManifestIsRewrittenWhereTheTemplateIsInheritedFromTheAdaptationSet() throws Exception {
        try (io.streamgate.origin.DemoOrigin o = io.streamgate.origin.DemoOrigin.start("127.0.0.1", 0,
                java.time.Clock.systemUTC())) {
            java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create(o.httpBase() + "/live/demo/manifest.mpd"))
                            .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t)
                    .startsWith("application/dash+xml"));
            Document d = parse(rw(r.body(), "/live/demo/manifest.mpd"));
            assertThat(attrs(d, "SegmentTemplate", "media")).hasSize(2)
                    .allMatch(m -> m.equals("seg-$RepresentationID$-$Number$.m4s?sg_session=CRED"));
            assertThat(texts(d, "Location")).containsExactly("manifest.mpd?sg_session=CRED");
        }
    }

    @Test
    void originSuppliedSessionParameterNeverShadowsTheGatewaysCredential() throws Exception {
        String in = """
                <MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="dynamic" minimumUpdatePeriod="PT2S">
                  <Period><AdaptationSet><Representation id="v" bandwidth="1">
                    <SegmentTemplate media="seg-$Number$.m4s?sg_session=ORIGIN" initialization="init.m4s?a=1&amp;SG_SESSION=x"/>
                  </Representation></AdaptationSet></Period>
                </MPD>
                """;
        Document d = parse(MpdRewriter.rewrite(in, "/live/ev1/m.mpd", "x=1&sg%5Fsession=viewer", HOST, "/live/", P)
                .manifest());
        assertThat(attrs(d, "SegmentTemplate", "media")).containsExactly("seg-$Number$.m4s?sg_session=CRED");
        assertThat(attrs(d, "SegmentTemplate", "initialization")).containsExactly("init.m4s?a=1&sg_session=CRED");
        assertThat(texts(d, "Location")).containsExactly("m.mpd?x=1&sg_session=CRED");
    }
}
