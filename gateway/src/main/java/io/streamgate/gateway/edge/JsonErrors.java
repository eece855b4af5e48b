package io.streamgate.gateway.edge;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's error pages replaced by a small JSON body — {@code {"error": "...", "status": N}} —
 * with CORS headers. Jetty's own pages show the request URI, which carries the token on a
 * {@code ?token=} request (e.g. a 400 for an ambiguous path), and are HTML a player cannot
 * read. Never echoes the URI, the message or a stack, and logs nothing of the request. Like
 * every answer it carries {@code X-Request-Id} (a new id when Jetty refused the request before
 * the edge named it: such a request has no access line).
 *
 * <p>Every method gets the JSON body: Jetty's {@link org.eclipse.jetty.server.handler.ErrorHandler}
 * writes a body only for {@code GET}, {@code POST} and {@code HEAD} and answers any other
 * (a malformed {@code CONNECT}, {@code PUT}, an unknown method) with an empty 400 and no CORS
 * headers, which a player cannot read.
 */
public final class JsonErrors {
    private JsonErrors() {
    }

    static String body(int code) {
        return body(code, null);
    }

    /** With {@code reason} (a fixed word of ours, never request data) after the error, when given. */
    static String body(int code, String reason) {
        String error = switch (code) {
            case 400 -> "bad_request";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 408 -> "request_timeout";
            case 413 -> "payload_too_large";
            case 414 -> "uri_too_long";
            case 431 -> "headers_too_large";
            case 503 -> "temporarily_unavailable";
            default -> code >= 500 ? "server_error" : "http_" + code;
        };
        return "{\"error\":\"" + error + "\"" + (reason == null ? "" : ",\"reason\":\"" + reason + "\"")
                + ",\"status\":" + code + "}";
    }

    /** For the server (errors before any context, e.g. a malformed request line). */
    public static final class ForServer extends org.eclipse.jetty.server.handler.ErrorHandler {
        public ForServer() {
            setShowStacks(false);
            setShowMessageInTitle(false);
        }

        @Override
        public boolean errorPageForMethod(String method) {
            return true; // the JSON answer for every method (a HEAD still gets no body: Jetty drops it)
        }

        @Override
        protected boolean generateAcceptableResponse(Request request, Response response, Callback callback,
                                                     String contentType, List<Charset> charsets, int code,
                                                     String message, Throwable cause) throws IOException {
            Answers.cors(request, response);
            if (!response.getHeaders().contains(AccessRecord.REQUEST_ID)) {
                // a request cut for its slow body keeps the id of its access line; one refused before
                // the edge named it (two Hosts, headers too large...) gets one: every answer names its request
                Object cut = request.getAttribute(MinBodyRate.CUT_REQUEST_ID);
                response.getHeaders().put(AccessRecord.REQUEST_ID, cut instanceof String id ? id : io.streamgate.filters.http.Denial.newRequestId());
            }
            // only our own causes travel on (their type names the reason); no stack is ever shown
            return super.generateAcceptableResponse(request, response, callback, "application/json",
                    List.of(StandardCharsets.UTF_8), code, HttpStatus.getMessage(code),
                    cause instanceof MinBodyRate.BodyTooSlow ? cause : null);
        }

        @Override
        protected void writeErrorJson(Request request, PrintWriter writer, int code, String message, Throwable cause) {
            writer.write(body(code, cause instanceof MinBodyRate.BodyTooSlow ? MinBodyRate.REASON : null));
        }
    }
}
