package io.streamgate.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.streamgate.filters.testing.TestKeys;

/** {@code check-config} refuses an admin listener off loopback without {@code admin.token}, naming the key. */
class CheckConfigAdminTokenTest {
    @TempDir
    Path dir;

    @Test
    void checkConfigRefusesAnOpenAdminListenerWithoutAToken() throws Exception {
        Files.writeString(dir.resolve("k.pem"), TestKeys.es256("k").publicPem());
        String base = "keys: [{kid: k, file: k.pem}]\nroutes: [{name: r, path: /live/, type: hls, upstream: 'http://127.0.0.1:1/'}]\n";
        Path open = dir.resolve("open.yaml");
        Files.writeString(open, base + "admin: {host: 0.0.0.0, port: 9090}\n");
        Path tokened = dir.resolve("tokened.yaml");
        Files.writeString(tokened, base + "admin: {host: 0.0.0.0, port: 9090, token: an-admin-token-0123456789}\n");

        PrintStream savedErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int refused;
        int accepted;
        try {
            refused = Main.execute("check-config", "--config", open.toString());
            accepted = Main.execute("check-config", "--config", tokened.toString());
        } finally {
            System.setErr(savedErr);
        }
        assertThat(refused).isEqualTo(Main.USAGE);
        // in-process the loggers are not quieted as in the jar: look at the command's own lines
        java.util.List<String> printed = err.toString(StandardCharsets.UTF_8).lines()
                .filter(l -> !l.matches("^\\d.*")).toList();
        assertThat(printed).first().asString().startsWith("admin.token: required");
        assertThat(accepted).isEqualTo(Main.OK);
    }
}
