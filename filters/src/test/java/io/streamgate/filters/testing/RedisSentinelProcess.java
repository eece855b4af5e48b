package io.streamgate.filters.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Redis Sentinel set-up on loopback: a master, a replica and one sentinel watching
 * them (quorum 1, down after 1 s), as an operator would run it, for failover tests. Without
 * {@code redis-server}/{@code redis-cli} the calling test is skipped loudly.
 */
public final class RedisSentinelProcess implements AutoCloseable {
    public static final String MASTER_NAME = "mymaster";

    private final Path dir;
    private final int masterPort;
    private final int replicaPort;
    private final int sentinelPort;
    private Process master;
    private Process replica;
    private Process sentinel;

    private RedisSentinelProcess(Path dir, int masterPort, int replicaPort, int sentinelPort) {
        this.dir = dir;
        this.masterPort = masterPort;
        this.replicaPort = replicaPort;
        this.sentinelPort = sentinelPort;
    }

    public static RedisSentinelProcess start() throws IOException, InterruptedException {
        boolean present = RedisTools.onPath("redis-server") && RedisTools.onPath("redis-cli");
        if (!present) {
            System.err.println("!!! SKIPPED: redis-server/redis-cli not installed (Debian redis-server, redis-tools)");
        }
        assumeTrue(present, "redis-server or redis-cli is not installed");
        for (int attempt = 1; ; attempt++) { // ports free a moment ago may be taken meanwhile: others then
            RedisSentinelProcess r = new RedisSentinelProcess(Files.createTempDirectory("sg-redis-sentinel"),
                    RedisTools.freePort(), RedisTools.freePort(), RedisTools.freePort());
            try {
                r.launch();
                return r;
            } catch (IOException | InterruptedException | RuntimeException e) {
                r.stopAll();
                RedisTools.deleteTree(r.dir);
                if (attempt == 3 || !String.valueOf(e.getMessage()).contains("Address already in use")) {
                    throw e;
                }
            }
        }
    }

    private void launch() throws IOException, InterruptedException {
        master = server(masterPort);
        replica = server(replicaPort, "--replicaof", "127.0.0.1", Integer.toString(masterPort));
        RedisTools.await(() -> cli(replicaPort, "INFO", "replication").contains("master_link_status:up"), "the replica syncs");
        Path conf = dir.resolve("sentinel.conf");
        Files.writeString(conf, "port " + sentinelPort + "\nbind 127.0.0.1\nprotected-mode no\ndir " + dir + "\n"
                + "sentinel monitor " + MASTER_NAME + " 127.0.0.1 " + masterPort + " 1\n"
                + "sentinel down-after-milliseconds " + MASTER_NAME + " 1000\n"
                + "sentinel failover-timeout " + MASTER_NAME + " 5000\n");
        sentinel = new ProcessBuilder("redis-server", conf.toString(), "--sentinel").redirectErrorStream(true)
                .redirectOutput(dir.resolve("sentinel.log").toFile()).start();
        RedisTools.await(() -> cli(sentinelPort, "SENTINEL", "get-master-addr-by-name", MASTER_NAME)
                .contains(Integer.toString(masterPort)), "the sentinel knows the master");
        RedisTools.await(() -> cli(sentinelPort, "SENTINEL", "replicas", MASTER_NAME).contains(Integer.toString(replicaPort)),
                "the sentinel knows the replica");
    }

    private Process server(int port, String... extra) throws IOException, InterruptedException {
        Path nodeDir = Files.createDirectories(dir.resolve(Integer.toString(port)));
        List<String> cmd = new ArrayList<>(List.of("redis-server", "--port", Integer.toString(port), "--bind",
                "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", nodeDir.toString(), "--protected-mode", "no"));
        cmd.addAll(List.of(extra));
        Path log = nodeDir.resolve("redis.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            RedisTools.await(() -> {
                if (!p.isAlive()) {
                    throw new IOException("node " + port + " exited: " + Files.readString(log));
                }
                return Files.readString(log).contains("Ready to accept connections") && cli(port, "PING").startsWith("PONG");
            }, "node " + port + " answers");
        } catch (IOException | InterruptedException | RuntimeException e) {
            p.destroyForcibly();
            throw e;
        }
        return p;
    }

    /** Kills the master at once, as a crash would; the sentinel then promotes the replica. */
    public void killMaster() throws InterruptedException {
        master.destroyForcibly();
        master.waitFor(10, TimeUnit.SECONDS);
    }

    /** The port of the master the sentinel names now. */
    public int currentMasterPort() throws IOException, InterruptedException {
        String out = cli(sentinelPort, "SENTINEL", "get-master-addr-by-name", MASTER_NAME);
        String[] lines = out.split("\\R");
        return Integer.parseInt(lines[lines.length - 1].trim());
    }

    public int replicaPort() {
        return replicaPort;
    }

    /** {@code redis-sentinel://127.0.0.1:PORT#mymaster}: the form StreamGate's config takes. */
    public URI uri() {
        return URI.create("redis-sentinel://127.0.0.1:" + sentinelPort + "#" + MASTER_NAME);
    }

    /** Runs {@code redis-cli -p port ARGS} against one node; its output. */
    public String cli(int port, String... args) throws IOException, InterruptedException {
        return RedisTools.cli(port, args);
    }

    private void stopAll() throws InterruptedException {
        for (Process p : new Process[] {sentinel, replica, master}) {
            if (p != null) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Override
    public void close() throws Exception {
        stopAll();
        RedisTools.deleteTree(dir);
    }
}
