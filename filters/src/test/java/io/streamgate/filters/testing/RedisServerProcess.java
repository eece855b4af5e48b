package io.streamgate.filters.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} on an ephemeral loopback port, for tests. Without the binary on
 * PATH the calling test is skipped with a loud message (install the Debian package
 * {@code redis-server}; {@code .ci/run} does), never silently passed.
 */
public final class RedisServerProcess implements AutoCloseable {
    private final int port;
    private final Path dir;
    private Process process;
    private boolean tls;

    private RedisServerProcess(int port, Path dir) {
        this.port = port;
        this.dir = dir;
    }

    /** Starts a server, or skips the test when redis-server is not installed. */
    public static RedisServerProcess start() throws IOException, InterruptedException {
        boolean present = RedisTools.onPath("redis-server");
        if (!present) {
            System.err.println("!!! SKIPPED: redis-server is not installed; install the Debian package redis-server "
                    + "(.ci/run does) to run the Redis tests");
        }
        assumeTrue(present, "redis-server is not installed");
        return RedisTools.onAFreePort(port -> launched(new RedisServerProcess(port, Files.createTempDirectory("sg-redis"))));
    }

    /**
     * Starts a server that speaks TLS only (a self-signed certificate made with {@code openssl}),
     * or skips the test when redis-server or openssl is missing.
     */
    public static RedisServerProcess startTls() throws IOException, InterruptedException {
        assumeTrue(RedisTools.onPath("redis-server") && RedisTools.onPath("openssl"), "redis-server or openssl is not installed");
        return RedisTools.onAFreePort(RedisServerProcess::startTls);
    }

    private static RedisServerProcess startTls(int port) throws IOException, InterruptedException {
        RedisServerProcess r = new RedisServerProcess(port, Files.createTempDirectory("sg-redis-tls"));
        Process cert = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                "-keyout", r.dir.resolve("key.pem").toString(), "-out", r.dir.resolve("cert.pem").toString(),
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1").redirectErrorStream(true).start();
        cert.getInputStream().readAllBytes();
        if (cert.waitFor() != 0) {
            throw new IOException("openssl could not make a test certificate");
        }
        r.tls = true;
        return launched(r);
    }

    /** {@code r} launched, or removed (process and folder) when it could not start. */
    private static RedisServerProcess launched(RedisServerProcess r) throws IOException, InterruptedException {
        try {
            r.launch();
            return r;
        } catch (IOException | InterruptedException | RuntimeException e) {
            try {
                r.close();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** (Re)starts the server on the same port, e.g. to test recovery after an outage. */
    public void launch() throws IOException, InterruptedException {
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("redis-server", "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--protected-mode", "no"));
        if (tls) {
            cmd.addAll(java.util.List.of("--port", "0", "--tls-port", Integer.toString(port),
                    "--tls-cert-file", dir.resolve("cert.pem").toString(), "--tls-key-file", dir.resolve("key.pem").toString(),
                    "--tls-ca-cert-file", dir.resolve("cert.pem").toString(), "--tls-auth-clients", "no"));
        } else {
            cmd.addAll(java.util.List.of("--port", Integer.toString(port)));
        }
        process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        if (tls) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!Files.readString(dir.resolve("redis.log")).contains("Ready to accept connections")) {
                if (System.nanoTime() > deadline || !process.isAlive()) {
                    throw new IOException("redis-server (TLS) did not start: " + Files.readString(dir.resolve("redis.log")));
                }
                Thread.sleep(20); // bounded poll until it is ready
            }
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        // ready means ours answers: its log says it listens (a PONG alone could be another server's)
        while (!(Files.readString(dir.resolve("redis.log")).contains("Ready to accept connections") && ping())) {
            if (System.nanoTime() > deadline || !process.isAlive()) {
                throw new IOException("redis-server did not start: " + Files.readString(dir.resolve("redis.log")));
            }
            Thread.sleep(20); // bounded poll until it answers
        }
    }

    /** Kills the server at once (no shutdown), as a crash or network loss would. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    public URI uri() {
        return URI.create((tls ? "rediss" : "redis") + "://127.0.0.1:" + port);
    }

    public int port() {
        return port;
    }

    /** True when the server answers PING. */
    public boolean ping() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            s.setSoTimeout(500);
            OutputStream out = s.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] b = new byte[7];
            int n = in.read(b);
            return n > 0 && new String(b, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
        } catch (IOException e) {
            return false;
        }
    }

    /** Runs one inline command and returns the raw reply (for assertions such as PTTL). */
    public String command(String line) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(1000);
            s.getOutputStream().write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] b = new byte[4096];
            int n = s.getInputStream().read(b);
            return n <= 0 ? "" : new String(b, 0, n, StandardCharsets.US_ASCII).trim();
        }
    }

    @Override
    public void close() throws Exception {
        if (process != null) {
            kill();
        }
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(dir);
    }
}
