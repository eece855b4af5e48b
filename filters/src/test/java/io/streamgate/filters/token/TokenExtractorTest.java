package io.streamgate.filters.token;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.streamgate.filters.core.BasicRequestView;
import io.streamgate.filters.core.RequestView;

/** Where a token is found, in the configured order, and how it is removed again. */
class TokenExtractorTest {
    // Shaped like a JWS (three dot-separated parts); never a real token.
    private static final String A = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnLWE";
    private static final String B = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJiIn0.c2lnLWI";

    private static final TokenExtractor DEFAULT = new TokenExtractor(TokenExtractor.DEFAULT_SOURCES);

    private static TokenExtractor of(String... specs) {
        return new TokenExtractor(java.util.Arrays.stream(specs).map(TokenSource::parse).toList());
    }

    private static void assertFound(ExtractedToken t, String token, String source) {
        assertThat(t).isNotNull();
        assertThat(t.token()).isEqualTo(token);
        assertThat(t.source()).isEqualTo(TokenSource.parse(source));
    }

    @Test
    void defaultOrderIsTheContracts() {
        assertThat(DEFAULT.sources()).extracting(TokenSource::toString)
                .containsExactly("query:token", "query:jwtoken", "header:Authorization", "cookie:sg_token",
                        "websocket-protocol");
    }

    @Test
    void noTokenAnywhereIsNull() {
        assertThat(DEFAULT.extract(BasicRequestView.of("/live/x?a=1"))).isNull();
    }

    @Test
    void queryTokenParameter() {
        assertFound(DEFAULT.extract(BasicRequestView.of("/x?a=1&token=" + A)), A, "query:token");
    }

    @Test
    void queryJwtokenParameter() {
        assertFound(DEFAULT.extract(BasicRequestView.of("/x?jwtoken=" + A)), A, "query:jwtoken");
    }

    @Test
    void tokenParameterComesBeforeJwtoken() {
        assertFound(DEFAULT.extract(BasicRequestView.of("/x?jwtoken=" + B + "&token=" + A)), A, "query:token");
    }

    @Test
    void queryComesBeforeHeaderCookieAndProtocolInDefaultOrder() {
        RequestView r = BasicRequestView.builder("/x?jwtoken=" + A).header("Authorization", "Bearer " + B)
                .header("Cookie", "sg_token=" + B).header("Sec-WebSocket-Protocol", "h5live, " + B).build();
        assertFound(DEFAULT.extract(r), A, "query:jwtoken");
    }

    @Test
    void configuredOrderIsFollowed() {
        RequestView r = BasicRequestView.builder("/x?token=" + A).header("Authorization", "Bearer " + B).build();
        assertFound(of("header:Authorization", "query:token").extract(r), B, "header:Authorization");
        assertFound(of("query:token", "header:Authorization").extract(r), A, "query:token");
    }

    @Test
    void unconfiguredSourcesAreNotRead() {
        RequestView r = BasicRequestView.builder("/x?jwtoken=" + A).header("Cookie", "sg_token=" + A).build();
        assertThat(of("query:token", "header:Authorization").extract(r)).isNull();
    }

    @Test
    void bearerSchemeIsCaseInsensitive() {
        for (String scheme : List.of("Bearer", "bearer", "BEARER", "bEaReR")) {
            RequestView r = BasicRequestView.builder("/x").header("Authorization", scheme + " " + A).build();
            assertFound(DEFAULT.extract(r), A, "header:Authorization");
        }
    }

    @Test
    void extraSpacesAroundABearerTokenAreIgnored() {
        RequestView r = BasicRequestView.builder("/x").header("Authorization", "  Bearer    " + A + "  ").build();
        assertFound(DEFAULT.extract(r), A, "header:Authorization");
    }

    @Test
    void otherAuthorizationSchemesAreIgnored() {
        RequestView basic = BasicRequestView.builder("/x").header("Authorization", "Basic dXNlcjpwYXNz").build();
        RequestView dpop = BasicRequestView.builder("/x").header("Authorization", "DPoP " + A).build();
        assertThat(DEFAULT.extract(basic)).isNull();
        assertThat(DEFAULT.extract(dpop)).isNull();
    }

    @Test
    void otherSchemeFallsThroughToTheNextSource() {
        RequestView r = BasicRequestView.builder("/x").header("Authorization", "Basic dXNlcjpwYXNz")
                .header("Cookie", "sg_token=" + A).build();
        assertFound(DEFAULT.extract(r), A, "cookie:sg_token");
    }

    @Test
    void customHeaderCarriesTheBareToken() {
        RequestView r = BasicRequestView.builder("/x").header("x-stream-token", A).build();
        assertFound(of("header:X-Stream-Token").extract(r), A, "header:X-Stream-Token");
    }

    @Test
    void customHeaderAlsoAcceptsBearer() {
        RequestView r = BasicRequestView.builder("/x").header("X-Stream-Token", "Bearer " + A).build();
        assertFound(of("header:X-Stream-Token").extract(r), A, "header:X-Stream-Token");
    }

    @Test
    void cookie() {
        RequestView r = BasicRequestView.builder("/x").header("Cookie", "theme=dark; sg_token=" + A).build();
        assertFound(DEFAULT.extract(r), A, "cookie:sg_token");
    }

    @Test
    void websocketProtocolEntry() {
        RequestView r = BasicRequestView.builder("/h5live/authstream").header("Sec-WebSocket-Protocol",
                "h5live, " + A).build();
        assertFound(DEFAULT.extract(r), A, "websocket-protocol");
    }

    @Test
    void websocketProtocolAcrossSeveralHeaderLines() {
        RequestView r = BasicRequestView.builder("/h5live/authstream").header("Sec-WebSocket-Protocol", "h5live")
                .header("Sec-WebSocket-Protocol", "v2.json," + A).build();
        assertFound(DEFAULT.extract(r), A, "websocket-protocol");
    }

    @Test
    void websocketProtocolsWithoutAJwsAreNotATokenAndSimpleDottedNamesAreNotEither() {
        RequestView r = BasicRequestView.builder("/x").header("Sec-WebSocket-Protocol", "h5live, v2.json").build();
        assertThat(DEFAULT.extract(r)).isNull();
    }

    @Test
    void emptyValuesCountAsAbsentAndTheNextSourceIsTried() {
        RequestView r = BasicRequestView.builder("/x?token=&jwtoken=").header("Authorization", "Bearer ")
                .header("Cookie", "sg_token=").header("Sec-WebSocket-Protocol", "h5live, " + A).build();
        assertFound(DEFAULT.extract(r), A, "websocket-protocol");
    }

    @Test
    void emptyBearerCredentialsAreAbsent() {
        for (String value : List.of("Bearer", "Bearer ", "bearer    ", "")) {
            RequestView r = BasicRequestView.builder("/x").header("Authorization", value).build();
            assertThat(DEFAULT.extract(r)).as("Authorization: \"%s\"", value).isNull();
        }
    }

    @Test
    void valuelessQueryParameterIsAbsent() {
        assertFound(DEFAULT.extract(BasicRequestView.of("/x?token&jwtoken=" + A)), A, "query:jwtoken");
    }

    @Test
    void extractedTokenToStringNeverShowsTheToken() {
        ExtractedToken t = DEFAULT.extract(BasicRequestView.of("/x?token=" + A));
        assertThat(t.toString()).doesNotContain(A).doesNotContain("eyJ").contains("query:token");
    }

    // ---- stripping ----

    @Test
    void stripQueryRemovesOnlyTheTokenParameterKeepingOthersInOrder() {
        assertThat(TokenExtractor.stripQuery("b=2&token=" + A + "&a=1&streamname=x", TokenSource.parse("query:token")))
                .isEqualTo("b=2&a=1&streamname=x");
    }

    @Test
    void stripQueryRemovesARepeatedTokenParameter() {
        assertThat(TokenExtractor.stripQuery("token=" + A + "&a=1&token=" + B, TokenSource.parse("query:token")))
                .isEqualTo("a=1");
    }

    @Test
    void stripQueryRemovesAPercentEncodedName() {
        String q = "%74oken=" + A + "&a=1";
        TokenSource s = TokenSource.parse("query:token");
        assertFound(new TokenExtractor(List.of(s)).extract(BasicRequestView.of("/x?" + q)), A, "query:token");
        assertThat(TokenExtractor.stripQuery(q, s)).isEqualTo("a=1");
    }

    @Test
    void stripQueryKeepsTheOtherTokenParameterName() {
        assertThat(TokenExtractor.stripQuery("jwtoken=x&token=" + A, TokenSource.parse("query:token")))
                .isEqualTo("jwtoken=x");
    }

    @Test
    void stripQueryLeavesNothingWhenOnlyTheTokenWasThere() {
        assertThat(TokenExtractor.stripQuery("token=" + A, TokenSource.parse("query:token"))).isNull();
    }

    @Test
    void stripQueryDoesNotTouchTheQueryForOtherSources() {
        assertThat(TokenExtractor.stripQuery("token=keep&a=1", TokenSource.parse("header:Authorization")))
                .isEqualTo("token=keep&a=1");
    }

    @Test
    void stripCookieRemovesOnlyTheTokenCookie() {
        TokenSource s = TokenSource.parse("cookie:sg_token");
        assertThat(TokenExtractor.stripCookie("theme=dark; sg_token=" + A + "; lang=de", s))
                .isEqualTo("theme=dark; lang=de");
        assertThat(TokenExtractor.stripCookie("sg_token=" + A, s)).isNull();
        assertThat(TokenExtractor.stripCookie(null, s)).isNull();
    }

    @Test
    void stripCookieDoesNotTouchCookiesForOtherSources() {
        assertThat(TokenExtractor.stripCookie("sg_token=x", TokenSource.parse("query:token"))).isEqualTo("sg_token=x");
    }

    @Test
    void stripProtocolsNeverReturnsTheToken() {
        assertThat(TokenExtractor.stripProtocols(List.of("h5live, " + A))).containsExactly("h5live");
        assertThat(TokenExtractor.stripProtocols(List.of(A + ", h5live", "v2, " + B + " ,", "chat")))
                .containsExactly("h5live", "v2", "chat");
        assertThat(TokenExtractor.stripProtocols(List.of(A))).isEmpty();
        assertThat(TokenExtractor.stripProtocols(List.of())).isEmpty();
    }

    // ---- source specs ----

    @Test
    void parseReadsEveryForm() {
        assertThat(TokenSource.parse("query:token")).isEqualTo(new TokenSource(TokenSource.Kind.QUERY, "token"));
        assertThat(TokenSource.parse("header:Authorization"))
                .isEqualTo(new TokenSource(TokenSource.Kind.HEADER, "Authorization"));
        assertThat(TokenSource.parse("cookie:sg_token")).isEqualTo(new TokenSource(TokenSource.Kind.COOKIE, "sg_token"));
        assertThat(TokenSource.parse("websocket-protocol").kind()).isEqualTo(TokenSource.Kind.WEBSOCKET_PROTOCOL);
    }

    @Test
    void parseRefusesBadSpecsNamingTheAllowedForms() {
        for (String bad : List.of("", "query", "query:", "query:  ", "form:token", "header:X Token", "cookie:a;b",
                "query:a,b", "websocket-protocol:x", "websocket")) {
            assertThatThrownBy(() -> TokenSource.parse(bad)).as("spec \"%s\"", bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("query:NAME");
        }
        assertThatThrownBy(() -> TokenSource.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
