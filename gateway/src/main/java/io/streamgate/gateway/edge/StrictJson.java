package io.streamgate.gateway.edge;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The one parser of JSON request bodies (the renewal endpoint, the revocation API): exactly
 * one JSON value, UTF-8 (a malformed sequence is refused, not replaced), no member name twice in an object (which of two
 * {@code "jti"} counts would be a guess, and two parsers could guess differently), nothing
 * after the value but whitespace, nesting bounded. Jackson's own checks
 * ({@code STRICT_DUPLICATE_DETECTION}, {@code FAIL_ON_TRAILING_TOKENS}), as for token JSON.
 */
public final class StrictJson {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    static {
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(32).maxNumberLength(64).maxStringLength(64 * 1024).build());
    }

    private StrictJson() {
    }

    /** A body that is not one strict JSON value; {@link #getMessage()} says what is wrong, safe to answer. */
    public static final class MalformedException extends Exception {
        private static final long serialVersionUID = 1L;

        MalformedException(String detail) {
            super(detail, null, false, false);
        }
    }

    /** The body's one JSON value (never null: an empty body is malformed). */
    public static JsonNode parse(byte[] utf8) throws MalformedException {
        String text;
        try {
            text = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(utf8)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new MalformedException("the body is not UTF-8");
        }
        try {
            JsonNode n = MAPPER.readTree(text);
            if (n == null || n.isMissingNode()) {
                throw new MalformedException("the body is empty");
            }
            return n;
        } catch (MismatchedInputException e) {
            String m = e.getOriginalMessage();
            throw new MalformedException(m != null && m.startsWith("Trailing token")
                    ? "content after the JSON value" : "the body is not JSON");
        } catch (StreamReadException e) {
            String m = e.getOriginalMessage();
            throw new MalformedException(m != null && m.startsWith("Duplicate field")
                    ? "a field appears twice" : "the body is not JSON");
        } catch (java.io.IOException | RuntimeException | StackOverflowError e) {
            throw new MalformedException("the body is not JSON");
        }
    }
}
