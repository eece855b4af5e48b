package io.streamgate.gateway.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Clock;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.streamgate.filters.testing.TestKeys;
import io.streamgate.filters.testing.Tokens;
import io.streamgate.gateway.GatewayHarness;
import io.streamgate.origin.DemoOrigin;

/** The public listener with TLS from a PKCS#12 keystore (made here with the JDK's keytool). */
class TlsListenerTest {
    @TempDir
    Path dir;

    @Test
    void servesHttpsFromAPkcs12Keystore() throws Exception {
        Path ks = dir.resolve("gateway.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "gw", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", ks.toString(), "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes())).isZero();

        TestKeys key = TestKeys.es256("k1");
        try (DemoOrigin origin = DemoOrigin.start("127.0.0.1", 0, Clock.systemUTC());
             GatewayServer gw = GatewayHarness.start(dir, key,
                     "listen: {host: 127.0.0.1, port: 0, tls: {keystore: gateway.p12, password: changeit}}\nwarmup: {verifications: 0}\n"
                             + "admin: {enabled: false}\nkeys: [{kid: k1, file: key.pem}]\n"
                             + "routes: [{name: hls, path: /live/, type: hls, upstream: '" + origin.httpBase() + "/live/'}]\n",
                     Clock.systemUTC())) {
            assertThat(gw.uri().getScheme()).isEqualTo("https");
            KeyStore trust = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(ks)) {
                trust.load(in, "changeit".toCharArray());
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, tmf.getTrustManagers(), null);
            HttpClient client = HttpClient.newBuilder().sslContext(ssl).build();
            String t = Tokens.signedBy(key, System.currentTimeMillis() / 1000).sign();
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(gw.uri().resolve("/live/demo/master.m3u8?token=" + t))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).startsWith("#EXTM3U");
            HttpResponse<String> denied = client.send(HttpRequest.newBuilder(gw.uri().resolve("/live/demo/master.m3u8"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(denied.statusCode()).isEqualTo(401);
        }
    }
}
