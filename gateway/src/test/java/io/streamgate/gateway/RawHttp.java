package io.streamgate.gateway;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** Requests written byte for byte on a socket, for what Java's HttpClient refuses to send. */
public final class RawHttp {
    private RawHttp() {
    }

    /** Writes {@code request} and reads the whole answer (the request should say {@code Connection: close}). */
    public static String exchange(int port, String request) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            return readAll(s.getInputStream());
        }
    }

    public static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
            }
        } catch (SocketTimeoutException e) {
            // answered without closing: what came is the answer
        } catch (IOException e) {
            if (out.size() == 0) {
                throw e;
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The status code of a raw response, or -1. */
    public static int status(String response) {
        if (!response.startsWith("HTTP/1.1 ")) {
            return -1;
        }
        return Integer.parseInt(response.substring(9, 12));
    }

    /** The body of a raw, non-chunked response. */
    public static String body(String response) {
        int i = response.indexOf("\r\n\r\n");
        return i < 0 ? "" : response.substring(i + 4);
    }
}
