package io.streamgate.gateway.admin;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.keys.KeyRegistry;

/**
 * The answer of {@code GET /keys}: per loaded key its {@code kid}, {@code algorithms}, the config
 * entry it comes from ({@code source}, e.g. {@code keys[0]}) with the key file's path
 * ({@code file}) or the JWKS URL ({@code jwks}), when it was loaded ({@code loadedAt}, ISO-8601
 * UTC; a reload or refresh that keeps an equal key keeps its time) and {@code spkiSha256}: the
 * SHA-256 of its SubjectPublicKeyInfo (DER) in lowercase hex, the same as
 * {@code openssl pkey -pubin -in key.pem -outform DER | sha256sum}.
 */
public final class KeysJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private KeysJson() {
    }

    public static String of(List<KeyRegistry.KeyInfo> keys) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (KeyRegistry.KeyInfo k : keys) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kid", k.kid());
            m.put("algorithms", k.algorithms().stream().map(JwsAlgorithm::jwaName).toList());
            m.put("source", k.source());
            if (k.location() != null) {
                boolean url = k.location().startsWith("http://") || k.location().startsWith("https://");
                m.put(url ? "jwks" : "file", k.location());
            }
            m.put("loadedAt", k.loadedAt() == null ? null : k.loadedAt().toString());
            m.put("spkiSha256", k.spkiSha256());
            out.add(m);
        }
        try {
            return JSON.writeValueAsString(Map.of("keys", out));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
