package io.streamgate.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

import io.streamgate.filters.replay.ReplayMode;
import io.streamgate.filters.testing.TestKeys;

/**
 * The docker-compose stack's files agree with each other: the replicas' gateway config is valid
 * with the environment the stack gives it, the compose file is valid (when {@code docker-compose}
 * is installed), every file it mounts exists, and nginx, Prometheus and the gateway config point
 * at the services and ports the compose file defines. No Docker engine is needed.
 */
class ComposeStackTest {
    private static final Path REPO = ConfigLoaderTest.repo();
    private static final Path COMPOSE = REPO.resolve("docker-compose.yml");
    private static final String SECRET = "compose-test-session-secret-0123456789";

    @TempDir
    Path dir;

    @SuppressWarnings("unchecked")
    private static Map<String, Object> compose() throws IOException {
        return (Map<String, Object>) new Yaml().load(Files.readString(COMPOSE));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> services() throws IOException {
        return (Map<String, Map<String, Object>>) compose().get("services");
    }

    private GatewayConfig replicaConfig() throws IOException {
        Path pub = dir.resolve("public.pem");
        Files.writeString(pub, TestKeys.es256("compose").publicPem());
        // what docker-compose.yml sets in the gateway services
        Map<String, String> env = Map.of("SG_KEY_FILE", pub.toString(), "SG_SESSION_SECRET", SECRET,
                "SG_REDIS", "redis://redis:6379", "SG_ADMIN_TOKEN", "compose-admin-token", "SG_ADMIN_HOST", "0.0.0.0");
        return new ConfigLoader(env::get).load(REPO.resolve("conf/compose/gateway.yaml"));
    }

    @Test
    void replicaConfigIsValidWithTheStacksEnvironment() throws IOException {
        GatewayConfig c = replicaConfig();
        assertThat(c.listen().host()).isEqualTo("0.0.0.0");
        assertThat(c.listen().port()).isEqualTo(8080);
        assertThat(c.admin().host()).as("Prometheus scrapes the admin port from another container").isEqualTo("0.0.0.0");
        assertThat(c.admin().port()).isEqualTo(9090);
        assertThat(c.admin().token()).as("required off loopback").isEqualTo("compose-admin-token");
        assertThat(c.keys()).singleElement().satisfies(k -> {
            assertThat(k.kid()).isEqualTo("compose");
            assertThat(k.file()).isEqualTo(dir.resolve("public.pem"));
        });
        assertThat(c.replay().mode()).isEqualTo(ReplayMode.ONCE);
        assertThat(c.replay().store()).isEqualTo(GatewayConfig.Replay.Store.REDIS);
        assertThat(c.replay().redis()).hasToString("redis://redis:6379");
        assertThat(c.replay().allowOnStoreError()).isFalse();
        assertThat(c.hls().sessionSecret()).as("shared by both replicas").isEqualTo(SECRET);
        assertThat(c.routes()).extracting(GatewayConfig.Route::type).containsExactlyInAnyOrder(
                GatewayConfig.RouteType.WEBSOCKET, GatewayConfig.RouteType.HLS, GatewayConfig.RouteType.HTTP);
        assertThat(c.routes()).extracting(GatewayConfig.Route::path)
                .contains("/live/", "/h5live/authstream");
    }

    @Test
    void everyUpstreamIsTheOriginServiceOnItsPort() throws IOException {
        Map<String, Map<String, Object>> services = services();
        assertThat(services).containsKeys("origin", "redis", "keygen", "gateway-1", "gateway-2", "loadbalancer",
                "prometheus", "grafana");
        assertThat(String.join(" ", strings(services.get("origin").get("command"))))
                .contains("origin", "--host 0.0.0.0", "--port 8180");
        for (GatewayConfig.Route r : replicaConfig().routes()) {
            assertThat(r.upstream().getHost()).as(r.name()).isEqualTo("origin");
            assertThat(r.upstream().getPort()).as(r.name()).isEqualTo(8180);
        }
        assertThat(replicaConfig().replay().redis().getHost()).isIn(services.keySet());
    }

    @Test
    void composeFileIsValidForDockerCompose() throws Exception {
        Optional<Path> dc = onPath("docker-compose");
        if (dc.isEmpty()) {
            System.err.println("ComposeStackTest: SKIPPED `docker-compose config -q`: docker-compose is not on PATH "
                    + "(Debian package docker-compose)");
        }
        Assumptions.assumeTrue(dc.isPresent(), "docker-compose is not on PATH");
        Path log = dir.resolve("docker-compose.log");
        ProcessBuilder pb = new ProcessBuilder(dc.get().toString(), "-f", COMPOSE.toString(), "config", "-q")
                .directory(REPO.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().remove("SG_SESSION_SECRET");
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("docker-compose config did not finish in 60 s");
        }
        assertThat(p.exitValue()).as(Files.readString(log, StandardCharsets.UTF_8)).isZero();
    }

    @Test
    void everyMountedConfigFileIsInTheRepository() throws IOException {
        List<String> binds = new ArrayList<>();
        services().forEach((name, s) -> {
            for (String v : strings(s.get("volumes"))) {
                if (v.startsWith("./")) {
                    binds.add(v);
                    Path host = REPO.resolve(v.substring(0, v.indexOf(':'))).normalize();
                    assertThat(host).as(name + ": " + v).exists();
                    assertThat(host.startsWith(REPO.resolve("conf"))).as(name + ": " + v + " mounts from conf/").isTrue();
                }
            }
        });
        assertThat(binds).as("bind mounts found").anyMatch(v -> v.startsWith("./conf/compose/gateway.yaml:/conf/gateway.yaml"))
                .anyMatch(v -> v.startsWith("./conf/compose/nginx.conf:"))
                .anyMatch(v -> v.startsWith("./conf/prometheus.yml:"))
                .anyMatch(v -> v.startsWith("./conf/grafana/provisioning:"))
                .anyMatch(v -> v.startsWith("./conf/grafana/dashboards:"));
        for (String g : List.of("gateway-1", "gateway-2")) {
            assertThat(strings(services().get(g).get("volumes"))).as(g)
                    .contains("./conf/compose/gateway.yaml:/conf/gateway.yaml:ro");
            assertThat(services().get(g)).as(g + " is not published: only the load balancer is").doesNotContainKey("ports");
        }
    }

    @Test
    void prometheusScrapesBothReplicasAdminPorts() throws IOException {
        int admin = replicaConfig().admin().port();
        String prom = Files.readString(REPO.resolve("conf/prometheus.yml"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> jobs = (List<Map<String, Object>>) ((Map<String, Object>) new Yaml().load(prom))
                .get("scrape_configs");
        Set<String> targets = new TreeSet<>();
        for (Map<String, Object> job : jobs) {
            for (Object sc : (List<?>) job.getOrDefault("static_configs", List.of())) {
                targets.addAll(strings(((Map<?, ?>) sc).get("targets")));
            }
        }
        assertThat(targets).contains("gateway-1:" + admin, "gateway-2:" + admin);
        // the admin listener answers only Host names of its own: the names Prometheus scrapes by are listed
        assertThat(replicaConfig().admin().hosts()).contains("gateway-1", "gateway-2");
    }

    @Test
    void loadBalancerSpreadsOverBothReplicasAndStreams() throws IOException {
        int port = replicaConfig().listen().port();
        String nginx = Files.readString(REPO.resolve("conf/compose/nginx.conf"));
        assertThat(nginx).contains("server gateway-1:" + port, "server gateway-2:" + port, "listen 8080;",
                "proxy_set_header Upgrade $http_upgrade;", "proxy_set_header Connection $connection_upgrade;",
                "proxy_set_header X-Forwarded-For", "proxy_buffering off;", "proxy_http_version 1.1;");
        assertThat(strings(services().get("loadbalancer").get("ports"))).anyMatch(p -> p.endsWith(":8080:8080"));
    }

    @Test
    void grafanaDashboardChartsTheGatewayMetrics() throws IOException {
        String dashboard = Files.readString(REPO.resolve("conf/grafana/dashboards/streamgate.json"));
        assertThat(dashboard).contains("streamgate_decisions_total", "histogram_quantile(0.5",
                "histogram_quantile(0.99", "streamgate_verification_seconds_bucket",
                "streamgate_token_cache_requests_total{result=\\\"hit\\\"", "streamgate_websocket_sessions_active",
                "streamgate_upstream_seconds_bucket", "streamgate_replay_store_errors_total");
        String datasource = Files.readString(REPO.resolve("conf/grafana/provisioning/datasources/prometheus.yml"));
        assertThat(datasource).contains("url: http://prometheus:9090", "uid: prometheus");
    }

    @Test
    void noPrivateKeyIsShipped() throws IOException {
        try (Stream<Path> files = Files.walk(REPO.resolve("conf"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                assertThat(Files.readString(f, StandardCharsets.ISO_8859_1)).as(f.toString())
                        .doesNotContain("PRIVATE KEY-----");
            }
        }
    }

    private static List<String> strings(Object o) {
        if (o == null) {
            return List.of();
        }
        if (o instanceof List<?> l) {
            return l.stream().map(String::valueOf).toList();
        }
        return List.of(String.valueOf(o));
    }

    private static Optional<Path> onPath(String exe) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String d : path.split(File.pathSeparator)) {
            Path p = Path.of(d).resolve(exe);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
