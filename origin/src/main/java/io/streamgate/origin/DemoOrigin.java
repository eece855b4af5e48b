package io.streamgate.origin;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.ee10.websocket.server.JettyWebSocketServlet;
import org.eclipse.jetty.ee10.websocket.server.JettyWebSocketServletFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;

/**
 * A synthetic live origin for the demo and the tests: an HLS stream under
 * {@code /live/<name>/} ({@code master.m3u8} → {@code media.m3u8} → {@code seg-<n>.ts}) that
 * rolls forward in real time over six real 2-second segments shipped as resources (each
 * wrap-around marked {@code #EXT-X-DISCONTINUITY}); the same media as a live MPEG-DASH
 * presentation ({@code manifest.mpd}, live profile, {@code SegmentTemplate} with
 * {@code $Number$}, {@code init-<rep>.m4s} and {@code seg-<rep>-<n>.m4s}: fragmented MP4
 * whose decode times are moved forward on every loop); a WebSocket stream at
 * {@code /h5live/stream} sending numbered binary frames ten times a second and echoing text,
 * and {@code /public/status}. It also records the last request it saw, so tests can assert
 * the token never reaches it.
 */
public final class DemoOrigin implements AutoCloseable {
    static final int SEGMENTS = 6;
    static final Duration SEGMENT_DURATION = Duration.ofSeconds(2);
    static final int WINDOW = 5;
    private static final Pattern SEGMENT = Pattern.compile("/seg-(\\d+)\\.ts");
    private static final Pattern DASH_SEGMENT = Pattern.compile("/seg-([01])-(\\d+)\\.m4s");
    private static final Pattern DASH_INIT = Pattern.compile("/init-([01])\\.m4s");
    /** The DASH representations: 0 video (timescale 12800), 1 audio (timescale 44100). */
    static final long[] DASH_TIMESCALE = {12800, 44100};
    static final int MPD_UPDATE_SECONDS = 4;

    private final Server server;
    private final ServerConnector connector;
    private final byte[][] segments;
    private final byte[][] dashInit = new byte[2][];
    private final byte[][][] dashSegments = new byte[2][SEGMENTS][];
    private final Clock clock;
    private final long startMillis;
    private final ScheduledExecutorService ticker;
    private volatile String lastRequestLine = "";
    private volatile String lastRequestHeaders = "";

    private DemoOrigin(String host, int port, Clock clock) throws IOException {
        this.clock = clock;
        // Start in the past so that the live window is full from the first request.
        this.startMillis = clock.millis() - SEGMENT_DURATION.toMillis() * (WINDOW + 1);
        this.segments = new byte[SEGMENTS][];
        for (int i = 0; i < SEGMENTS; i++) {
            try (InputStream in = DemoOrigin.class.getResourceAsStream("/origin/media/seg" + i + ".ts")) {
                if (in == null) {
                    throw new IOException("demo segment seg" + i + ".ts missing from resources");
                }
                segments[i] = in.readAllBytes();
            }
        }
        for (int r = 0; r < 2; r++) {
            dashInit[r] = resource("/origin/media/dash/init-" + r + ".m4s");
            for (int i = 0; i < SEGMENTS; i++) {
                dashSegments[r][i] = resource("/origin/media/dash/seg-" + r + "-" + i + ".m4s");
            }
        }
        ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "demo-origin-frames");
            t.setDaemon(true);
            return t;
        });
        QueuedThreadPool pool = new QueuedThreadPool(64, 4);
        pool.setName("demo-origin");
        server = new Server(pool);
        connector = new ServerConnector(server);
        connector.setHost(host);
        connector.setPort(port);
        server.addConnector(connector);
        ServletContextHandler ctx = new ServletContextHandler();
        ctx.setContextPath("/");
        ctx.addServlet(new ServletHolder(new Hls()), "/live/*");
        ctx.addServlet(new ServletHolder(new PublicStatus()), "/public/*");
        ctx.addServlet(new ServletHolder(new Stream()), "/h5live/stream/*");
        org.eclipse.jetty.ee10.websocket.server.config.JettyWebSocketServletContainerInitializer.configure(ctx, null);
        server.setHandler(ctx);
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = DemoOrigin.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("demo media " + name + " missing from resources");
            }
            return in.readAllBytes();
        }
    }

    /** Starts on {@code host:port} (port 0: any free port). */
    public static DemoOrigin start(String host, int port, Clock clock) throws Exception {
        DemoOrigin o = new DemoOrigin(host, port, clock);
        o.server.start();
        return o;
    }

    public int port() {
        return connector.getLocalPort();
    }

    /** Blocks until the origin is stopped ({@link #close()}). */
    public void join() throws InterruptedException {
        server.join();
    }

    public String httpBase() {
        return "http://127.0.0.1:" + port();
    }

    public String wsBase() {
        return "ws://127.0.0.1:" + port();
    }

    /** The last request's method, URI and query, e.g. {@code GET /live/demo/media.m3u8?x=1}. */
    public String lastRequestLine() {
        return lastRequestLine;
    }

    /** The last request's headers, one {@code name: value} per line. */
    public String lastRequestHeaders() {
        return lastRequestHeaders;
    }

    private void record(HttpServletRequest req) {
        lastRequestLine = req.getMethod() + " " + req.getRequestURI()
                + (req.getQueryString() == null ? "" : "?" + req.getQueryString());
        StringBuilder sb = new StringBuilder();
        for (String n : java.util.Collections.list(req.getHeaderNames())) {
            for (String v : java.util.Collections.list(req.getHeaders(n))) {
                sb.append(n).append(": ").append(v).append('\n');
            }
        }
        lastRequestHeaders = sb.toString();
    }

    /** The index of the newest complete segment now. */
    long liveEdge() {
        return (clock.millis() - startMillis) / SEGMENT_DURATION.toMillis() - 1;
    }

    /** The media playlist at this moment: the last {@link #WINDOW} segments, ever increasing. */
    String mediaPlaylist() {
        long last = liveEdge();
        long first = Math.max(0, last - WINDOW + 1);
        StringBuilder sb = new StringBuilder(512);
        sb.append("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:")
                .append(SEGMENT_DURATION.toSeconds()).append('\n')
                .append("#EXT-X-MEDIA-SEQUENCE:").append(first).append('\n')
                .append("#EXT-X-DISCONTINUITY-SEQUENCE:").append(first / SEGMENTS).append('\n');
        for (long s = first; s <= last; s++) {
            if (s > first && s % SEGMENTS == 0) {
                sb.append("#EXT-X-DISCONTINUITY\n");
            }
            sb.append("#EXTINF:").append(SEGMENT_DURATION.toSeconds()).append(".000,\n")
                    .append("seg-").append(s).append(".ts\n");
        }
        return sb.toString();
    }

    static String masterPlaylist() {
        return "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n"
                + "#EXT-X-STREAM-INF:BANDWIDTH=200000,RESOLUTION=320x180\nmedia.m3u8\n";
    }

    /**
     * The live MPD at this moment: segment {@code n} of each representation covers
     * {@code [2n, 2n+2)} seconds after {@code availabilityStartTime} and is available at its
     * end, as {@link #liveEdge()} says. The template sits on the AdaptationSet, as packagers
     * write it; {@code UTCTiming} is direct, so that players ask no time server.
     */
    String mpd() {
        java.time.Instant now = java.time.Instant.ofEpochMilli(clock.millis());
        String ast = java.time.Instant.ofEpochMilli(startMillis).toString();
        long d = SEGMENT_DURATION.toSeconds();
        return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                + "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" profiles=\"urn:mpeg:dash:profile:isoff-live:2011\"\n"
                + "     type=\"dynamic\" availabilityStartTime=\"" + ast + "\" publishTime=\"" + now + "\"\n"
                + "     minimumUpdatePeriod=\"PT" + MPD_UPDATE_SECONDS + "S\" timeShiftBufferDepth=\"PT" + (WINDOW * d)
                + "S\" suggestedPresentationDelay=\"PT" + (2 * d) + "S\"\n"
                + "     maxSegmentDuration=\"PT" + d + "S\" minBufferTime=\"PT" + d + "S\">\n"
                + "  <Period id=\"0\" start=\"PT0S\">\n"
                + "    <AdaptationSet id=\"0\" contentType=\"video\" mimeType=\"video/mp4\" segmentAlignment=\"true\""
                + " startWithSAP=\"1\">\n"
                + "      <SegmentTemplate timescale=\"" + DASH_TIMESCALE[0] + "\" duration=\"" + DASH_TIMESCALE[0] * d
                + "\" startNumber=\"0\" initialization=\"init-$RepresentationID$.m4s\""
                + " media=\"seg-$RepresentationID$-$Number$.m4s\"/>\n"
                + "      <Representation id=\"0\" codecs=\"avc1.42c00c\" bandwidth=\"110000\" width=\"320\" height=\"180\""
                + " frameRate=\"25\" sar=\"1:1\"/>\n"
                + "    </AdaptationSet>\n"
                + "    <AdaptationSet id=\"1\" contentType=\"audio\" mimeType=\"audio/mp4\" lang=\"en\""
                + " segmentAlignment=\"true\" startWithSAP=\"1\">\n"
                + "      <SegmentTemplate timescale=\"" + DASH_TIMESCALE[1] + "\" duration=\"" + DASH_TIMESCALE[1] * d
                + "\" startNumber=\"0\" initialization=\"init-$RepresentationID$.m4s\""
                + " media=\"seg-$RepresentationID$-$Number$.m4s\"/>\n"
                + "      <Representation id=\"1\" codecs=\"mp4a.40.2\" bandwidth=\"35000\" audioSamplingRate=\"44100\">\n"
                + "        <AudioChannelConfiguration schemeIdUri=\"urn:mpeg:dash:23003:3:audio_channel_configuration:2011\""
                + " value=\"1\"/>\n"
                + "      </Representation>\n"
                + "    </AdaptationSet>\n"
                + "  </Period>\n"
                + "  <UTCTiming schemeIdUri=\"urn:mpeg:dash:utc:direct:2014\" value=\"" + now + "\"/>\n"
                + "</MPD>\n";
    }

    /**
     * Segment {@code n} of representation {@code rep}: the shipped segment {@code n % 6} with
     * its decode time ({@code tfdt}, and the {@code sidx} earliest presentation time) moved
     * to where segment {@code n} lies on the timeline, so a player sees one continuous stream.
     */
    byte[] dashSegment(int rep, long n) {
        byte[] shipped = dashSegments[rep][(int) (n % SEGMENTS)];
        byte[] first = dashSegments[rep][0];
        long loop = n / SEGMENTS;
        long shift = loop * SEGMENTS * SEGMENT_DURATION.toSeconds() * DASH_TIMESCALE[rep];
        byte[] out = shipped.clone();
        Fmp4.shiftTimes(out, shift - Fmp4.decodeTime(first));
        return out;
    }

    private final class Hls extends HttpServlet {
        private static final long serialVersionUID = 1L;

        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            record(req);
            String rest = req.getPathInfo() == null ? "" : req.getPathInfo(); // /<stream>/<file>
            int slash = rest.indexOf('/', 1);
            String file = slash < 0 ? "" : rest.substring(slash);
            // as live packagers do: a playlist stays fresh for half a segment (2 s segments)
            resp.setHeader("Cache-Control", "max-age=1");
            if (file.equals("/master.m3u8")) {
                send(resp, "application/vnd.apple.mpegurl", masterPlaylist());
            } else if (file.equals("/media.m3u8")) {
                send(resp, "application/vnd.apple.mpegurl", mediaPlaylist());
            } else if (file.equals("/manifest.mpd")) {
                send(resp, "application/dash+xml", mpd());
            } else if (file.endsWith(".m4s")) {
                Matcher init = DASH_INIT.matcher(file);
                Matcher seg = DASH_SEGMENT.matcher(file);
                byte[] body = null;
                int rep = 0;
                if (init.matches()) {
                    rep = Integer.parseInt(init.group(1));
                    body = dashInit[rep];
                } else if (seg.matches() && seg.group(2).length() < 12 && Long.parseLong(seg.group(2)) <= liveEdge()) {
                    rep = Integer.parseInt(seg.group(1));
                    body = dashSegment(rep, Long.parseLong(seg.group(2)));
                }
                if (body == null) {
                    resp.sendError(404);
                    return;
                }
                resp.setContentType(rep == 0 ? "video/mp4" : "audio/mp4");
                resp.setHeader("Cache-Control", "max-age=60");
                resp.setContentLength(body.length);
                resp.getOutputStream().write(body);
            } else {
                Matcher m = SEGMENT.matcher(file);
                if (m.matches() && m.group(1).length() < 12) {
                    long s = Long.parseLong(m.group(1));
                    if (s <= liveEdge()) {
                        byte[] body = segments[(int) (s % SEGMENTS)];
                        resp.setContentType("video/mp2t");
                        resp.setHeader("Cache-Control", "max-age=60");
                        resp.setContentLength(body.length);
                        resp.getOutputStream().write(body);
                        return;
                    }
                }
                resp.sendError(404);
            }
        }
    }

    private final class PublicStatus extends HttpServlet {
        private static final long serialVersionUID = 1L;

        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            record(req);
            send(resp, "text/plain", "origin ok\n");
        }
    }

    private static void send(HttpServletResponse resp, String type, String body) throws IOException {
        byte[] b = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        resp.setContentType(type);
        resp.setContentLength(b.length);
        resp.getOutputStream().write(b);
    }

    /** The H5Live-like WebSocket stream: numbered binary frames, text echoed back. */
    private final class Stream extends JettyWebSocketServlet {
        private static final long serialVersionUID = 1L;

        @Override
        protected void configure(JettyWebSocketServletFactory factory) {
            factory.setCreator((upReq, upResp) -> {
                record(upReq.getHttpServletRequest());
                List<String> offered = upReq.getSubProtocols();
                if (!offered.isEmpty()) {
                    upResp.setAcceptedSubProtocol(offered.get(0));
                }
                return new FrameSource(framePeriodMillis(upReq.getHttpServletRequest().getParameter("fps")),
                        frameSize(upReq.getHttpServletRequest().getParameter("size")));
            });
        }
    }

    /** {@code ?fps=N} (0.1 to 50, default 10) sets the frame rate, e.g. low for many idle viewers. */
    static long framePeriodMillis(String fps) {
        double f = 10;
        try {
            if (fps != null) {
                f = Math.max(0.1, Math.min(50, Double.parseDouble(fps)));
            }
        } catch (NumberFormatException e) {
            // default
        }
        return Math.round(1000 / f);
    }

    /**
     * {@code ?size=N} (16 to 65536 bytes, default 1024) sets the frame size, e.g. 10 KB as a
     * 2 Mbit/s stream at 25 frames/s sends.
     */
    static int frameSize(String size) {
        try {
            return size == null ? 1024 : Math.max(16, Math.min(65536, Integer.parseInt(size)));
        } catch (NumberFormatException e) {
            return 1024;
        }
    }

    /** Sends a binary frame (1 KiB by default) every period (100 ms by default), its first 8 bytes a counter; echoes text. */
    public final class FrameSource implements Session.Listener.AutoDemanding {
        private final long periodMillis;
        private final int frameSize;
        private volatile Session session;
        private volatile ScheduledFuture<?> task;
        private long n;

        FrameSource(long periodMillis, int frameSize) {
            this.periodMillis = periodMillis;
            this.frameSize = frameSize;
        }

        @Override
        public void onWebSocketOpen(Session s) {
            session = s;
            task = ticker.scheduleAtFixedRate(this::send, 0, periodMillis, TimeUnit.MILLISECONDS);
        }

        private void send() {
            Session s = session;
            if (s == null || !s.isOpen()) {
                return;
            }
            ByteBuffer frame = ByteBuffer.allocate(frameSize);
            frame.putLong(0, n++);
            s.sendBinary(frame, Callback.NOOP);
        }

        @Override
        public void onWebSocketText(String message) {
            Session s = session;
            if (s != null) {
                s.sendText(message, Callback.NOOP);
            }
        }

        @Override
        public void onWebSocketClose(int statusCode, String reason, Callback callback) {
            stop();
            callback.succeed();
        }

        /** The gateway went away mid-frame (it stopped first): an ordinary end, not a warning with a stack. */
        @Override
        public void onWebSocketError(Throwable cause) {
            stop();
        }

        private void stop() {
            ScheduledFuture<?> t = task;
            if (t != null) {
                t.cancel(false);
            }
        }
    }

    @Override
    public void close() throws Exception {
        ticker.shutdownNow();
        server.stop();
    }
}
