package io.streamgate.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;

import io.streamgate.filters.testing.TestKeys;

class PlaylistAndTokensTest {
    @Test
    void parsesMasterAndMediaPlaylists() {
        Playlist master = Playlist.parse("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=200000\nmedia.m3u8?sg_session=abc\n"
                + "#EXT-X-STREAM-INF:BANDWIDTH=400000\r\nhi/media.m3u8\r\n");
        assertThat(master.master()).isTrue();
        assertThat(master.variants()).containsExactly("media.m3u8?sg_session=abc", "hi/media.m3u8");

        Playlist media = Playlist.parse("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:41\n"
                + "#EXTINF:2.000,\nseg-41.ts?sg_session=x\n#EXT-X-DISCONTINUITY\n#EXTINF:2.000,\nseg-42.ts\n");
        assertThat(media.master()).isFalse();
        assertThat(media.targetDuration()).isEqualTo(2.0);
        assertThat(media.mediaSequence()).isEqualTo(41);
        assertThat(media.segments()).containsExactly("seg-41.ts?sg_session=x", "seg-42.ts");
        assertThat(media.endList()).isFalse();
        assertThat(Playlist.parse("#EXTM3U\n#EXTINF:4,\na.ts\n#EXT-X-ENDLIST\n").endList()).isTrue();
    }

    @Test
    void mintsFreshTokensWithTheGivenClaims() throws Exception {
        TestKeys key = TestKeys.es256("loadtest-unit");
        TokenMinter minter = new TokenMinter(TokenMinter.parsePrivateKey(key.privatePem(), "test"), null, "k1",
                "viewer", "iss1", null, Duration.ofMinutes(5), List.of("demo"),
                List.of("roles=[{\"eventId\":\"demo\"}]", "orgawide=true", "note=plain text"), Clock.systemUTC());
        List<String> tokens = minter.take(3);
        assertThat(tokens).doesNotHaveDuplicates();
        ObjectMapper json = new ObjectMapper();
        String[] parts = tokens.get(0).split("\\.");
        assertThat(parts).hasSize(3);
        Map<String, Object> header = json.readValue(Base64.getUrlDecoder().decode(parts[0]), new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() { });
        assertThat(header).containsEntry("alg", "ES256").containsEntry("kid", "k1").containsEntry("typ", "JWT");
        Map<String, Object> claims = json.readValue(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8),
                new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() { });
        assertThat(claims).containsEntry("sub", "viewer").containsEntry("iss", "iss1")
                .containsEntry("streams", List.of("demo")).containsEntry("orgawide", true)
                .containsEntry("note", "plain text").containsKeys("jti", "iat", "nbf", "exp");
        assertThat(claims.get("roles")).isEqualTo(List.of(Map.of("eventId", "demo")));
        assertThat(((Number) claims.get("exp")).longValue() - ((Number) claims.get("iat")).longValue()).isEqualTo(300);
        assertThat(minter.fresh()).isTrue();
        assertThat(minter.describe()).doesNotContain(tokens.get(0));
    }
}
