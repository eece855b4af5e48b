package io.streamgate.filters.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What the Redis test processes (single node, Cluster, Sentinel) share: PATH checks, ports, redis-cli, polls. */
final class RedisTools {
    private RedisTools() {
    }

    /** A condition polled until it holds. */
    interface Check {
        boolean ok() throws IOException, InterruptedException;
    }

    static boolean onPath(String binary) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, binary))) {
                return true;
            }
        }
        return false;
    }

    /** Starts something on a port, e.g. a redis-server. */
    interface OnPort<T> {
        T start(int port) throws IOException, InterruptedException;
    }

    /**
     * redis-server cannot pick its own port ({@code --port 0} turns TCP off), so it is given one
     * that was free a moment ago: when another process took it meanwhile ("Address already in
     * use"), {@code start} is tried again on another (at most five times).
     */
    static <T> T onAFreePort(OnPort<T> start) throws IOException, InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                return start.start(freePort());
            } catch (IOException e) {
                if (attempt == 5 || e.getMessage() == null || !e.getMessage().contains("Address already in use")) {
                    throw e;
                }
            }
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static boolean free(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Runs {@code redis-cli -h 127.0.0.1 -p port ARGS}; its output. */
    static String cli(int port, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(port)));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor(10, TimeUnit.SECONDS);
        return out;
    }

    /** Polls {@code check} for at most 20 s (a starting server), else fails naming {@code what}. */
    static void await(Check check, String what) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!check.ok()) {
            if (System.nanoTime() > deadline) {
                throw new IOException("timed out waiting until " + what);
            }
            Thread.sleep(50); // bounded poll of a starting server
        }
    }

    static void deleteTree(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
