package io.streamgate.filters.verify;

import java.util.Map;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * Strict JSON for token headers and claims: one object, nothing after it, no duplicate
 * member names (a verifier and an origin must never disagree on which {@code exp} counts),
 * nesting and sizes bounded. Jackson rather than jose4j's parser because this runs for every
 * cold verification: jose4j's lexer allocates a 32 KB buffer per parse.
 */
final class TokenJson {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    static {
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(64).maxNumberLength(64).maxStringLength(1 << 20).build());
    }

    private TokenJson() {
    }

    /** A JSON object (values: String, Integer/Long/BigInteger, Double, Boolean, List, Map), or null. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> parseObject(byte[] utf8) {
        try {
            Object v = MAPPER.readValue(utf8, Object.class);
            return v instanceof Map ? (Map<String, Object>) v : null;
        } catch (Exception | StackOverflowError e) {
            return null;
        }
    }
}
