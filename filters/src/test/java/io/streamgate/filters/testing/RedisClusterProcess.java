package io.streamgate.filters.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A real Redis Cluster of {@code masters} {@code redis-server} nodes on loopback, made with
 * {@code redis-cli --cluster create} as an operator would. Without {@code redis-server} and
 * {@code redis-cli} (Debian {@code redis-server}, {@code redis-tools}; {@code .ci/run}
 * installs them) the calling test is skipped loudly.
 */
public final class RedisClusterProcess implements AutoCloseable {
    private final Path dir;
    private final int[] ports;
    private final List<Process> nodes = new ArrayList<>();
    private final boolean fullCoverage;

    private RedisClusterProcess(Path dir, int[] ports, boolean fullCoverage) {
        this.dir = dir;
        this.ports = ports;
        this.fullCoverage = fullCoverage;
    }

    public static RedisClusterProcess start(int masters) throws IOException, InterruptedException {
        return start(masters, true);
    }

    /**
     * @param fullCoverage Redis's {@code cluster-require-full-coverage} (default yes: the whole
     *                     cluster refuses every key while any slot has no master)
     */
    public static RedisClusterProcess start(int masters, boolean fullCoverage) throws IOException, InterruptedException {
        boolean present = RedisTools.onPath("redis-server") && RedisTools.onPath("redis-cli");
        if (!present) {
            System.err.println("!!! SKIPPED: redis-server/redis-cli not installed (Debian redis-server, redis-tools; "
                    + ".ci/run installs them)");
        }
        assumeTrue(present, "redis-server or redis-cli is not installed");
        for (int attempt = 1; ; attempt++) { // ports free a moment ago may be taken meanwhile: others then
            RedisClusterProcess c = new RedisClusterProcess(Files.createTempDirectory("sg-redis-cluster"),
                    freePorts(masters), fullCoverage);
            try {
                c.launch();
                return c;
            } catch (IOException | InterruptedException | RuntimeException e) {
                c.stopNodes();
                RedisTools.deleteTree(c.dir);
                if (attempt == 3 || !String.valueOf(e.getMessage()).contains("Address already in use")) {
                    throw e;
                }
            }
        }
    }

    private void launch() throws IOException, InterruptedException {
        for (int port : ports) {
            Path nodeDir = Files.createDirectories(dir.resolve(Integer.toString(port)));
            nodes.add(new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000",
                    "--cluster-require-full-coverage", fullCoverage ? "yes" : "no",
                    "--save", "", "--appendonly", "no", "--dir", nodeDir.toString(), "--protected-mode", "no")
                    .redirectErrorStream(true).redirectOutput(nodeDir.resolve("redis.log").toFile()).start());
        }
        for (int i = 0; i < ports.length; i++) {
            int port = ports[i];
            Process node = nodes.get(i);
            Path log = dir.resolve(Integer.toString(port)).resolve("redis.log");
            RedisTools.await(() -> {
                if (!node.isAlive()) {
                    throw new IOException("node " + port + " exited: " + Files.readString(log));
                }
                return Files.readString(log).contains("Ready to accept connections") && cli(port, "PING").startsWith("PONG");
            }, "node " + port + " answers");
        }
        List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
        for (int port : ports) {
            create.add("127.0.0.1:" + port);
        }
        create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
        Process p = new ProcessBuilder(create).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("redis-cli --cluster create failed: " + out);
        }
        for (int port : ports) {
            RedisTools.await(() -> cli(port, "CLUSTER", "INFO").contains("cluster_state:ok"), "node " + port + " sees the cluster ok");
        }
    }

    /** Runs {@code redis-cli -p port ARGS} against one node; its output. */
    public String cli(int port, String... args) throws IOException, InterruptedException {
        return RedisTools.cli(port, args);
    }

    /** {@code redis-cluster://127.0.0.1:p1,127.0.0.1:p2,...}: the form StreamGate's config takes. */
    public URI uri() {
        StringBuilder sb = new StringBuilder("redis-cluster://");
        for (int i = 0; i < ports.length; i++) {
            sb.append(i == 0 ? "" : ",").append("127.0.0.1:").append(ports[i]);
        }
        return URI.create(sb.toString());
    }

    /** Kills one node at once, as a crash would. */
    public void kill(int port) throws InterruptedException {
        for (int i = 0; i < ports.length; i++) {
            if (ports[i] == port) {
                nodes.get(i).destroyForcibly();
                nodes.get(i).waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Waits (bounded, 20 s) until every other node has marked the node at {@code deadPort}
     * failed ({@code fail}, no longer the suspected {@code fail?}), after cluster-node-timeout
     * (2 s here), and the cluster state follows: {@code fail} with full coverage, else
     * {@code ok}.
     */
    public void awaitMarkedFailed(int deadPort) throws IOException, InterruptedException {
        for (int port : ports) {
            if (port == deadPort) {
                continue;
            }
            RedisTools.await(() -> cli(port, "CLUSTER", "NODES").lines()
                    .filter(l -> l.contains("127.0.0.1:" + deadPort + "@"))
                    .anyMatch(l -> java.util.Arrays.asList(l.split(" ")[2].split(",")).contains("fail")),
                    "node " + port + " marks node " + deadPort + " failed");
            String state = fullCoverage ? "cluster_state:fail" : "cluster_state:ok";
            RedisTools.await(() -> cli(port, "CLUSTER", "INFO").contains(state), "node " + port + " says " + state);
        }
    }

    public int[] ports() {
        return ports.clone();
    }

    /** Keys held by one node. */
    public long keys(int port) throws IOException, InterruptedException {
        return Long.parseLong(cli(port, "DBSIZE").replaceAll("\\D", ""));
    }

    /** Free ports whose cluster bus port (port + 10000) is free too. */
    private static int[] freePorts(int n) throws IOException {
        int[] out = new int[n];
        int found = 0;
        for (int attempt = 0; attempt < 1000 && found < n; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(20_000, 50_000);
            if (RedisTools.free(port) && RedisTools.free(port + 10_000)) {
                boolean taken = false;
                for (int i = 0; i < found; i++) {
                    taken |= Math.abs(out[i] - port) < 2;
                }
                if (!taken) {
                    out[found++] = port;
                }
            }
        }
        if (found < n) {
            throw new IOException("no free port pairs for a Redis Cluster");
        }
        return out;
    }

    private void stopNodes() throws InterruptedException {
        for (Process p : nodes) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() throws Exception {
        stopNodes();
        RedisTools.deleteTree(dir);
    }
}
