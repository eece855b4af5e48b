package io.streamgate.gateway;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.ee10.websocket.server.JettyWebSocketServlet;
import org.eclipse.jetty.ee10.websocket.server.JettyWebSocketServletFactory;
import org.eclipse.jetty.ee10.websocket.server.config.JettyWebSocketServletContainerInitializer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;

/**
 * A real origin on an ephemeral loopback port that records every request it receives
 * (method, path and query as received, headers, body) and every WebSocket upgrade.
 * <ul>
 *   <li>{@code .../status/NNN} answers status NNN;</li>
 *   <li>{@code .../hold} never answers until {@link #close()} (a silent origin);</li>
 *   <li>anything else answers 200 {@code origin:<path>};</li>
 *   <li>under {@code /ws/}: a WebSocket echo endpoint.</li>
 * </ul>
 */
public final class RecordingOrigin implements AutoCloseable {
    /** What the origin received. Header names lower case; values as received, one per line. */
    public record Seen(String method, String target, Map<String, List<String>> headers, String body,
                       List<String> subprotocols) {
        public String header(String name) {
            List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
            return v == null ? null : String.join(", ", v);
        }

        /** Every header line, for "the token is nowhere" checks. */
        public String allHeaders() {
            StringBuilder sb = new StringBuilder();
            headers.forEach((k, v) -> v.forEach(x -> sb.append(k).append(": ").append(x).append('\n')));
            return sb.toString();
        }
    }

    private final Server server;
    private final ServerConnector connector;
    private final BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
    private final CountDownLatch release = new CountDownLatch(1);

    public RecordingOrigin() throws Exception {
        this(0);
    }

    /**
     * An origin on {@code port}, e.g. one held by a {@link io.streamgate.gateway.testing.ReservedPort}
     * (it listens with {@code SO_REUSEPORT}, so it can take over a port that reservation holds).
     */
    public RecordingOrigin(int port) throws Exception {
        server = new Server();
        connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        connector.setReusePort(port != 0);
        server.addConnector(connector);
        ServletContextHandler ctx = new ServletContextHandler();
        ctx.addServlet(new ServletHolder(new Recorder()), "/*");
        ctx.addServlet(new ServletHolder(new Upgrades()), "/ws/*");
        JettyWebSocketServletContainerInitializer.configure(ctx, null);
        server.setHandler(ctx);
        server.start();
    }

    public int port() {
        return connector.getLocalPort();
    }

    public String http() {
        return "http://127.0.0.1:" + port();
    }

    public String ws() {
        return "ws://127.0.0.1:" + port();
    }

    /** The next request the origin received, waiting up to 10 s; fails the test when none came. */
    public Seen next() throws InterruptedException {
        Seen s = seen.poll(10, TimeUnit.SECONDS);
        if (s == null) {
            throw new AssertionError("the origin received nothing within 10 s");
        }
        return s;
    }

    /** What the origin received so far, without waiting. */
    public List<Seen> drain() {
        List<Seen> out = new ArrayList<>();
        seen.drainTo(out);
        return out;
    }

    /** True when the origin received nothing within {@code d} (after a request already answered). */
    public boolean nothingWithin(Duration d) throws InterruptedException {
        Seen s = seen.poll(d.toMillis(), TimeUnit.MILLISECONDS);
        return s == null;
    }

    @Override
    public void close() throws Exception {
        release.countDown();
        server.stop();
    }

    private static Map<String, List<String>> headers(HttpServletRequest req) {
        Map<String, List<String>> h = new LinkedHashMap<>();
        for (String n : Collections.list(req.getHeaderNames())) {
            h.computeIfAbsent(n.toLowerCase(Locale.ROOT), k -> new ArrayList<>()).addAll(Collections.list(req.getHeaders(n)));
        }
        return h;
    }

    private final class Recorder extends HttpServlet {
        @Override
        protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            String body = new String(req.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String target = req.getRequestURI() + (req.getQueryString() == null ? "" : "?" + req.getQueryString());
            seen.add(new Seen(req.getMethod(), target, headers(req), body, List.of()));
            String path = req.getRequestURI();
            int s = path.lastIndexOf("/status/");
            if (s >= 0) {
                resp.setStatus(Integer.parseInt(path.substring(s + 8)));
                resp.getWriter().write("status");
                return;
            }
            if (path.endsWith("/hold")) {
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return;
            }
            resp.setContentType("text/plain");
            resp.getWriter().write("origin:" + path + (body.isEmpty() ? "" : " body:" + body));
        }
    }

    private final class Upgrades extends JettyWebSocketServlet {
        @Override
        protected void configure(JettyWebSocketServletFactory factory) {
            factory.setCreator((req, resp) -> {
                String q = req.getQueryString();
                Map<String, List<String>> h = new LinkedHashMap<>();
                req.getHeaders().forEach((k, v) -> h.put(k.toLowerCase(Locale.ROOT), List.copyOf(v)));
                seen.add(new Seen("UPGRADE", req.getRequestURI().getPath() + (q == null ? "" : "?" + q), h, "",
                        List.copyOf(req.getSubProtocols())));
                if (!req.getSubProtocols().isEmpty()) {
                    resp.setAcceptedSubProtocol(req.getSubProtocols().get(0));
                }
                return new Echo();
            });
        }
    }

    /** Echoes text. */
    public static final class Echo implements Session.Listener.AutoDemanding {
        private volatile Session session;

        @Override
        public void onWebSocketOpen(Session s) {
            session = s;
        }

        @Override
        public void onWebSocketText(String message) {
            session.sendText(message, Callback.NOOP);
        }
    }
}
