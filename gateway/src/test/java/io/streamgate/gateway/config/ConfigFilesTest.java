package io.streamgate.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.jose4j.json.JsonUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.streamgate.filters.testing.TestKeys;
import io.streamgate.gateway.GatewayHarness;
import io.streamgate.gateway.cli.Main;
import io.streamgate.gateway.runtime.GatewayServer;

/**
 * Every file a configuration names is read bounded ({@link ConfigFiles}, 1 MiB): a key file or
 * the config file pointing at {@code /dev/zero} or a huge sparse file is a config problem
 * naming the key and the file, whether met by {@code POST /reload} (422, counted as rejected,
 * the gateway serving on), the key-file watcher (previous keys kept), {@code run} or
 * {@code check-config}; never an {@code OutOfMemoryError} answered 500.
 */
@SuppressWarnings("unchecked")
class ConfigFilesTest {
    private static final Path DEV_ZERO = Path.of("/dev/zero");

    @TempDir
    Path dir;

    private final TestKeys k1 = TestKeys.es256("k1");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private GatewayServer gateway;

    @BeforeEach
    void keys() throws Exception {
        Files.writeString(dir.resolve("k1.pem"), k1.publicPem());
    }

    @AfterEach
    void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
    }

    private static String config(String keys) {
        return "listen: {host: 127.0.0.1, port: 0}\nwarmup: {verifications: 0}\n"
                + "admin: {host: 127.0.0.1, port: 0}\n"
                + "keys: " + keys + "\n"
                + "routes: [{name: r, path: /r/, type: http, upstream: 'http://127.0.0.1:1/'}]\n";
    }

    private HttpResponse<String> admin(String method, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.adminPort() + path))
                .timeout(Duration.ofSeconds(60)).method(method, HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private double metric(String series) throws Exception {
        return admin("GET", "/metrics").body().lines().filter(l -> l.startsWith(series + " "))
                .mapToDouble(l -> Double.parseDouble(l.substring(series.length() + 1).trim())).findFirst().orElse(0);
    }

    private static void assumeDevZero() {
        assumeTrue(Files.isReadable(DEV_ZERO), "no /dev/zero on this system");
    }

    /** A file of {@code size} bytes that takes no disk (a hole): reads as zeros, forever as far as a parser cares. */
    private Path sparse(String name, long size) throws Exception {
        Path p = dir.resolve(name);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(size);
        }
        return p;
    }

    /** POST /reload with keys[1] the given file: 422 naming keys[1].file and the file, counted, nothing changed. */
    private void reloadIsRejectedNaming(Path keyFile, String why) throws Exception {
        Files.writeString(dir.resolve("gateway.yaml"), config("[{kid: k1, file: k1.pem}, {kid: k2, file: "
                + keyFile.getFileName() + "}]"));
        HttpResponse<String> r = admin("POST", "/reload");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
        Map<String, Object> body = JsonUtil.parseJson(r.body());
        assertThat(body).containsEntry("result", "rejected");
        assertThat((List<String>) body.get("problems")).singleElement().asString()
                .startsWith("keys[1].file: " + dir.resolve(keyFile.getFileName()))
                .contains(why);
        assertThat(metric("streamgate_config_reloads_total{result=\"rejected\"}")).isEqualTo(1.0);
        assertThat(metric("streamgate_config_reloads_total{result=\"applied\"}")).isZero();
        // still serving, on the keys it had
        assertThat(admin("GET", "/keys").body()).contains("\"kid\":\"k1\"").doesNotContain("k2");
        assertThat(admin("GET", "/healthz").statusCode()).isEqualTo(200);
    }

    @Test
    void reloadOfAKeyFilePointingAtDevZeroIsRejectedNotOom() throws Exception {
        assumeDevZero();
        gateway = GatewayHarness.startFromFile(dir, config("[{kid: k1, file: k1.pem}]"), Clock.systemUTC());
        Path zero = Files.createSymbolicLink(dir.resolve("k2.pem"), DEV_ZERO);
        reloadIsRejectedNaming(zero, "is not a regular file");
    }

    @Test
    void reloadOfAHugeSparseKeyFileIsRejectedNotOom() throws Exception {
        gateway = GatewayHarness.startFromFile(dir, config("[{kid: k1, file: k1.pem}]"), Clock.systemUTC());
        reloadIsRejectedNaming(sparse("k2.pem", 8L << 30), "larger than 1 MiB"); // 8 GiB of holes
    }

    @Test
    void reloadOfAKeyFileThatIsAFifoIsRejectedNotHung() throws Exception {
        gateway = GatewayHarness.startFromFile(dir, config("[{kid: k1, file: k1.pem}]"), Clock.systemUTC());
        Path fifo = dir.resolve("k2.pem");
        Process mk;
        try {
            mk = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        } catch (IOException e) {
            assumeTrue(false, "no mkfifo here");
            return;
        }
        assumeTrue(mk.waitFor(30, TimeUnit.SECONDS) && mk.exitValue() == 0, "mkfifo failed");
        // regression: opening a FIFO blocks until a writer comes; the reload never answered, and
        // every later reload (one at a time) waited behind it
        reloadIsRejectedNaming(fifo, "is not a regular file");
    }

    @Test
    void reloadOfAConfigFilePointingAtDevZeroIsRejectedNotOom() throws Exception {
        assumeDevZero();
        gateway = GatewayHarness.startFromFile(dir, config("[{kid: k1, file: k1.pem}]"), Clock.systemUTC());
        Path file = dir.resolve("gateway.yaml");
        Files.delete(file);
        Files.createSymbolicLink(file, DEV_ZERO);
        HttpResponse<String> r = admin("POST", "/reload");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
        assertThat((List<String>) JsonUtil.parseJson(r.body()).get("problems")).singleElement().asString()
                .startsWith(file.toString()).contains("larger than 1 MiB");
        assertThat(metric("streamgate_config_reloads_total{result=\"rejected\"}")).isEqualTo(1.0);
    }

    @Test
    void aWatchedKeyFileReplacedByAnEndlessOneKeepsThePreviousKeys() throws Exception {
        assumeDevZero();
        gateway = GatewayHarness.startFromFile(dir, config("[{kid: k1, file: k1.pem}]"), Clock.systemUTC());
        Path link = Files.createSymbolicLink(dir.resolve(".k1.tmp"), DEV_ZERO);
        Files.move(link, dir.resolve("k1.pem"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        String failures = "streamgate_keys_fetches_total{result=\"failure\",source=\"keys[0]\"}";
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (metric(failures) < 1 && System.nanoTime() < end) {
            Thread.sleep(50); // bounded poll: the watcher or the 2 s check finds it
        }
        assertThat(metric(failures)).as("refused and counted").isEqualTo(1.0);
        assertThat(admin("GET", "/keys").body()).contains("\"kid\":\"k1\"");
    }

    /** Runs a command line in-process; returns its exit code and what it printed on standard error. */
    private static Object[] cli(String... args) {
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.execute(args);
        } finally {
            System.setErr(saved);
        }
        return new Object[] {code, err.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void checkConfigAndRunRefuseAKeyFilePointingAtDevZeroNamingIt() throws Exception {
        assumeDevZero();
        Files.createSymbolicLink(dir.resolve("zero.pem"), DEV_ZERO);
        Path file = dir.resolve("gateway.yaml");
        Files.writeString(file, config("[{kid: k1, file: k1.pem}, {kid: k2, file: zero.pem}]"));
        String expected = "keys[1].file: " + dir.resolve("zero.pem") + " is not a regular file";

        Object[] check = cli("check-config", "--config", file.toString());
        assertThat(check[0]).isEqualTo(Main.USAGE);
        assertThat((String) check[1]).contains(expected);

        // run, as an operator starts it: its own JVM, exit 2 with the same line
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                "io.streamgate.gateway.cli.Main", "run", "--config", file.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("run.log").toFile()).start();
        try {
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("run exits").isTrue();
        } finally {
            p.destroyForcibly();
        }
        String out = Files.readString(dir.resolve("run.log"));
        assertThat(p.exitValue()).as(out).isEqualTo(Main.USAGE);
        assertThat(out).contains(expected).doesNotContain("OutOfMemoryError");
    }

    @Test
    void checkConfigRefusesAConfigFileThatNeverEnds() throws Exception {
        Path huge = sparse("huge.yaml", 4L << 30);
        Object[] check = cli("check-config", "--config", huge.toString());
        assertThat(check[0]).isEqualTo(Main.USAGE);
        assertThat((String) check[1]).contains(huge + " is larger than 1 MiB");
    }

    @Test
    void aFileOfExactlyOneMebibyteIsRead() throws Exception {
        Path p = dir.resolve("max.txt");
        Files.write(p, new byte[ConfigFiles.MAX_BYTES]);
        assertThat(ConfigFiles.read(p, "keys[0].file")).hasSize(ConfigFiles.MAX_BYTES);
        Files.write(p, new byte[ConfigFiles.MAX_BYTES + 1]);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ConfigFiles.read(p, "keys[0].file"))
                .isInstanceOf(io.streamgate.filters.core.ConfigException.class)
                .hasMessage("keys[0].file: " + p + " is larger than 1 MiB (1048576 bytes); not read");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ConfigFiles.read(dir.resolve("none"), "keys[0].file"))
                .hasMessage("keys[0].file: cannot read " + dir.resolve("none") + ": no such file or directory");
    }
}
