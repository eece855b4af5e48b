package io.streamgate.gateway.edge;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.streamgate.filters.testing.TestKeys;
import io.streamgate.gateway.config.ConfigLoader;
import io.streamgate.gateway.config.GatewayConfig;

/** RouteEntry.handler(h) became public (runtime is another package now). */
class RouteEntryTest {
    @TempDir
    Path dir;

    /**
     * "Set once, when the runtime builds the route's handler" is only a comment: anyone holding a
     * RouteTable (RouteTable.route/match are public, Renewal.Context extends it) can swap a route's
     * handler on the live table, e.g. for one that skips authorisation.
     */
    @Test
    void aRoutesHandlerIsSetOnce() throws Exception {
        TestKeys key = TestKeys.es256("k1");
        Files.writeString(dir.resolve("key.pem"), key.publicPem());
        GatewayConfig c = new ConfigLoader(System::getenv).parse("keys: [{kid: k1, file: key.pem}]\n"
                + "routes: [{name: r, path: /live/, upstream: 'http://127.0.0.1:1/live/'}]\n", dir);
        RouteEntry entry = new RouteEntry(c.routes().get(0));
        entry.handler((ex, request, response, callback) -> callback.succeeded());
        assertThatThrownBy(() -> entry.handler((ex, request, response, callback) -> callback.succeeded()))
                .isInstanceOf(IllegalStateException.class);
    }
}
