package io.streamgate.demo;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.function.Supplier;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The demo's player page at {@code /} (a fresh token pre-filled and editable; HLS, or DASH with
 * {@code ?format=dash}), hls.js at {@code /player/hls.min.js}, served from the hls.js WebJar
 * on the classpath, and dash.js at {@code /player/dash.all.min.js}, which the build unpacks
 * from the npm registry's tarball (see gateway/pom.xml): no CDN. A build without dash.js
 * ({@code -Ddashjs.skip}, or offline) serves a page that says DASH is unavailable. The page
 * renews its short token with {@code /player/renew.js}, which fetches the next one from
 * {@code GET /demo/token}: a fresh token of the page's subject, minted with the demo's key.
 * That endpoint exists only here, in the demo.
 */
final class PlayerHandler extends Handler.Abstract.NonBlocking {

    static final String TOKEN_PATH = "/demo/token";
    private static final String RENEW_JS_PATH = "/player/renew.js";

    private final String page;
    private final byte[] hlsJs;
    private final byte[] dashJs;
    private final byte[] renewJs;
    private final Supplier<String> tokens;

    /** @param tokens mints a fresh token for the page (each page load and each {@code GET /demo/token}) */
    PlayerHandler(Supplier<String> tokens) throws IOException {
        this.tokens = tokens;
        String html;
        try (InputStream in = PlayerHandler.class.getResourceAsStream("/demo/player.html")) {
            html = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        try (InputStream in = PlayerHandler.class.getResourceAsStream("/demo/renew.js")) {
            this.renewJs = in.readAllBytes();
        }
        byte[] dash;
        try (InputStream in = PlayerHandler.class.getResourceAsStream("/META-INF/resources/dashjs/dash.all.min.js")) {
            dash = in == null ? null : in.readAllBytes();
        }
        this.dashJs = dash;
        this.page = html.replace("<!--DASHJS-->",
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

    /** A fresh token; base64url and dots only, so nothing to escape in HTML or text. */
    private String freshToken() {
        String token = tokens.get();
        if (!token.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalStateException("unexpected token characters");
        }
        return token;
    }

    /** Serves the page, hls.js, renew.js and fresh tokens; anything else is not ours (the gateway answers 404). */
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        if (!"GET".equals(request.getMethod()) && !"HEAD".equals(request.getMethod())) {
            return false;
        }
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
        } else if (path.equals(RENEW_JS_PATH)) {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/javascript");
            response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
            b = renewJs;
        } else if (path.equals(TOKEN_PATH)) {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
            response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
            b = freshToken().getBytes(StandardCharsets.US_ASCII);
        } else if (path.equals("/")) {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/html; charset=utf-8");
            response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
            b = page.replace("__TOKEN__", freshToken()).getBytes(StandardCharsets.UTF_8);
        } else {
            return false;
        }
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, b.length);
        response.write(true, "HEAD".equals(request.getMethod()) ? null : ByteBuffer.wrap(b), callback);
        return true;
    }
}
