package io.streamgate.gateway.demo;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The demo's player page at {@code /} (the token pre-filled and editable; HLS, or DASH with
 * {@code ?format=dash}), hls.js at {@code /player/hls.min.js}, served from the hls.js WebJar
 * on the classpath, and dash.js at {@code /player/dash.all.min.js}, which the build unpacks
 * from the npm registry's tarball (see gateway/pom.xml): no CDN. A build without dash.js
 * ({@code -Ddashjs.skip}, or offline) serves a page that says DASH is unavailable.
 */
final class PlayerHandler extends Handler.Abstract.NonBlocking {

    private final String page;
    private final byte[] hlsJs;
    private final byte[] dashJs;

    PlayerHandler(String token) throws IOException {
        String html;
        try (InputStream in = PlayerHandler.class.getResourceAsStream("/demo/player.html")) {
            html = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        // The token is base64url and dots only: nothing to escape in HTML.
        if (!token.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("unexpected token characters");
        }
        byte[] dash;
        try (InputStream in = PlayerHandler.class.getResourceAsStream("/META-INF/resources/dashjs/dash.all.min.js")) {
            dash = in == null ? null : in.readAllBytes();
        }
        this.dashJs = dash;
        this.page = html.replace("__TOKEN__", token).replace("<!--DASHJS-->",
                dash == null ? "" : "<script src=\"/player/dash.all.min.js\"></script>");
        Properties pom = new Properties();
        try (InputStream in = PlayerHandler.class.getResourceAsStream("/META-INF/maven/org.webjars.npm/hls.js/pom.properties")) {
            if (in == null) {
                throw new IOException("hls.js WebJar missing from the classpath");
            }
            pom.load(in);
        }
        String path = "/META-INF/resources/webjars/hls.js/" + pom.getProperty("version") + "/dist/hls.min.js";
        try (InputStream in = PlayerHandler.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IOException(path + " missing from the classpath");
            }
            this.hlsJs = in.readAllBytes();
        }
    }

    /** Serves the page and hls.js; anything else is not ours (the gateway answers 404). */
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = request.getHttpURI().getPath();
        byte[] b;
        if (path.equals("/player/hls.min.js")) {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/javascript");
            response.getHeaders().put(HttpHeader.CACHE_CONTROL, "max-age=3600");
            b = hlsJs;
        } else if (path.equals("/player/dash.all.min.js") && dashJs != null) {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/javascript");
            response.getHeaders().put(HttpHeader.CACHE_CONTROL, "max-age=3600");
            b = dashJs;
        } else if (path.equals("/")) {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/html; charset=utf-8");
            response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
            b = page.getBytes(StandardCharsets.UTF_8);
        } else {
            return false;
        }
        if (!"GET".equals(request.getMethod()) && !"HEAD".equals(request.getMethod())) {
            return false;
        }
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, b.length);
        response.write(true, "HEAD".equals(request.getMethod()) ? null : ByteBuffer.wrap(b), callback);
        return true;
    }
}
