package io.streamgate.origin;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The demo origin's WebSocket stream: numbered binary frames, their size and rate set by the query. */
class DemoOriginTest {
    private DemoOrigin origin;
    private WebSocketClient client;

    @BeforeEach
    void start() throws Exception {
        origin = DemoOrigin.start("127.0.0.1", 0, Clock.systemUTC());
        client = new WebSocketClient();
        client.start();
    }

    @AfterEach
    void stop() throws Exception {
        client.stop();
        origin.close();
    }

    /** Collects binary frames. */
    public static final class Frames implements Session.Listener.AutoDemanding {
        final BlockingQueue<ByteBuffer> frames = new LinkedBlockingQueue<>();

        @Override
        public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
            frames.add(ByteBuffer.allocate(payload.remaining()).put(payload).flip());
            callback.succeed();
        }
    }

    private ByteBuffer[] twoFrames(String query) throws Exception {
        Frames f = new Frames();
        Session s = client.connect(f, URI.create(origin.wsBase() + "/h5live/stream" + query)).get(10, TimeUnit.SECONDS);
        try {
            ByteBuffer a = f.frames.poll(10, TimeUnit.SECONDS);
            ByteBuffer b = f.frames.poll(10, TimeUnit.SECONDS);
            assertThat(a).isNotNull();
            assertThat(b).isNotNull();
            return new ByteBuffer[] {a, b};
        } finally {
            s.close();
        }
    }

    @Test
    void framesAreNumberedAndOneKibByDefault() throws Exception {
        ByteBuffer[] f = twoFrames("?fps=50");
        assertThat(f[0].remaining()).isEqualTo(1024);
        assertThat(f[1].getLong(0)).isEqualTo(f[0].getLong(0) + 1);
    }

    @Test
    void sizeSetsTheFrameSizeWithinBounds() throws Exception {
        assertThat(twoFrames("?fps=50&size=10000")[0].remaining()).isEqualTo(10000);
        assertThat(twoFrames("?fps=50&size=9999999")[0].remaining()).isEqualTo(65536);
        assertThat(twoFrames("?fps=50&size=nope")[0].remaining()).isEqualTo(1024);
    }
}
