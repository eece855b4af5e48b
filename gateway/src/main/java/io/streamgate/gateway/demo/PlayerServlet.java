package io.streamgate.gateway.demo;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * The demo's player page at {@code /} (the token pre-filled and editable) and hls.js at
 * {@code /player/hls.min.js}, served from the hls.js WebJar on the classpath: no CDN.
 */
final class PlayerServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    private final String page;
    private final byte[] hlsJs;

    PlayerServlet(String token) throws IOException {
        String html;
        try (InputStream in = PlayerServlet.class.getResourceAsStream("/demo/player.html")) {
            html = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        // The token is base64url and dots only: nothing to escape in HTML.
        if (!token.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("unexpected token characters");
        }
        this.page = html.replace("__TOKEN__", token);
        Properties pom = new Properties();
        try (InputStream in = PlayerServlet.class.getResourceAsStream("/META-INF/maven/org.webjars.npm/hls.js/pom.properties")) {
            if (in == null) {
                throw new IOException("hls.js WebJar missing from the classpath");
            }
            pom.load(in);
        }
        String path = "/META-INF/resources/webjars/hls.js/" + pom.getProperty("version") + "/dist/hls.min.js";
        try (InputStream in = PlayerServlet.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IOException(path + " missing from the classpath");
            }
            this.hlsJs = in.readAllBytes();
        }
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String path = req.getRequestURI();
        if (path.equals("/player/hls.min.js")) {
            resp.setContentType("application/javascript");
            resp.setHeader("Cache-Control", "max-age=3600");
            resp.setContentLength(hlsJs.length);
            resp.getOutputStream().write(hlsJs);
        } else if (path.equals("/")) {
            byte[] b = page.getBytes(StandardCharsets.UTF_8);
            resp.setContentType("text/html; charset=utf-8");
            resp.setHeader("Cache-Control", "no-store");
            resp.setContentLength(b.length);
            resp.getOutputStream().write(b);
        } else {
            resp.sendError(404);
        }
    }
}
