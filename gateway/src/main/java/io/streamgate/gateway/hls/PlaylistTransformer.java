package io.streamgate.gateway.hls;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import org.eclipse.jetty.ee10.proxy.AsyncMiddleManServlet;

/**
 * Buffers one playlist response — bounded by {@code hls.maxPlaylistBytes}, above which the
 * response fails with a clear error instead of growing — and emits it rewritten by
 * {@link PlaylistRewriter}. Used for playlists only; segments stream untouched.
 */
final class PlaylistTransformer implements AsyncMiddleManServlet.ContentTransformer {
    private final int maxBytes;
    private final java.util.function.Function<String, String> rewrite;
    private byte[] buffer = new byte[8192];
    private int size;

    PlaylistTransformer(int maxBytes, java.util.function.Function<String, String> rewrite) {
        this.maxBytes = maxBytes;
        this.rewrite = rewrite;
    }

    @Override
    public void transform(ByteBuffer input, boolean finished, List<ByteBuffer> output) throws IOException {
        int n = input.remaining();
        if (size + n > maxBytes) {
            throw new IOException("playlist larger than hls.maxPlaylistBytes (" + maxBytes + " bytes)");
        }
        if (size + n > buffer.length) {
            buffer = Arrays.copyOf(buffer, Math.min(maxBytes, Math.max(buffer.length * 2, size + n)));
        }
        input.get(buffer, size, n);
        size += n;
        if (finished) {
            String text = new String(buffer, 0, size, StandardCharsets.UTF_8);
            output.add(ByteBuffer.wrap(rewrite.apply(text).getBytes(StandardCharsets.UTF_8)));
        }
    }
}
