package io.streamgate.filters.verify;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.streamgate.filters.core.DenialReason;
import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.crypto.JwsSigner;
import io.streamgate.filters.keys.KeyRegistry;
import io.streamgate.filters.keys.VerificationKey;
import io.streamgate.filters.testing.Fixture;
import io.streamgate.filters.testing.MutableClock;
import io.streamgate.filters.testing.TestKeys;
import io.streamgate.filters.testing.Tokens;

/** The hardening beyond jose4j's defaults, one behaviour per test, through the verifier's three steps. */
class TokenVerifierTest {
    private final MutableClock clock = MutableClock.fixed();
    private final TestKeys key = TestKeys.es256("k1");
    private final KeyRegistry keys = Fixture.registry(key, TestKeys.rs256("r1"), TestKeys.eddsa("e1"));

    private DenialReason check(VerifyPolicy policy, String token) {
        TokenVerifier v = new TokenVerifier(policy, Fixture.crypto());
        DecodedToken d = v.decode(token);
        if (d.failure() != null) {
            return d.failure();
        }
        VerificationKey[] candidates = keys.find(d.kid(), d.algorithm());
        if (candidates.length == 0) {
            return DenialReason.UNKNOWN_KEY;
        }
        Verification result = v.verify(d, candidates);
        if (!result.ok()) {
            return result.failure();
        }
        return v.checkClaims(result.token().claims(), clock.millis());
    }

    private DenialReason check(String token) {
        return check(VerifyPolicy.defaults(), token);
    }

    private Tokens token() {
        return Tokens.signedBy(key, clock);
    }

    private String raw(String header, String payload) {
        return Tokens.signRaw(key, header, payload);
    }

    private static final String HEADER = "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"k1\"}";

    private String payload(String extra) {
        long now = clock.epochSeconds();
        return "{\"sub\":\"v\",\"jti\":\"j\",\"iat\":" + now + ",\"exp\":" + (now + 3600) + extra + "}";
    }

    @Test
    void validTokenPasses() {
        assertThat(check(token().sign())).isNull();
    }

    @Test
    void validTokensOfEveryDefaultAlgorithmPass() {
        assertThat(check(Tokens.signedBy(TestKeys.rs256("r1"), clock).sign())).isNull();
        assertThat(check(Tokens.signedBy(TestKeys.eddsa("e1"), clock).sign())).isNull();
    }

    // --- shape ---------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "..", "a.b", "a.b.c.d", "a.b.c.d.e", ".b.c", "a..c", "a.b.", "abc"})
    void wrongPartCountsOrEmptyPartsAreMalformed(String token) {
        assertThat(check(token)).isEqualTo(DenialReason.MALFORMED_TOKEN);
    }

    @Test
    void fivePartJweIsMalformedNeverDecrypted() {
        String jwe = "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGeipsEdY3mx_etLbbWSrFr05kLzcSr4qKAq7YN7e9jwQRb23nfa6c9d-StnImGyFDbSv04uVuxIp5Zms1gNxKKK2Da14B8S4rzVRltdYwam_lDp5XnZAYpQdb76FdIKLaVmqgfwX7XWRxv2322i-vDxRfqNzo_tETKzpVLzfiwQyeyPGLBIO56YJ7eObdv0je81860ppamavo35UgoRdbYaBcoh9QcfylQr66oc6vFWXRcZ_ZT2LawVCWTIy3brGPi6UklfCpIMfIjf7iGdXKHzg.48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6jiSdiwkIr3ajwQzaBtQD_A.XFBoMYUZodetZdvTiFvSkQ";
        assertThat(check(jwe)).isEqualTo(DenialReason.MALFORMED_TOKEN);
    }

    @Test
    void nonBase64urlAlphabetIsMalformed() {
        String t = token().sign();
        int dot = t.indexOf('.');
        assertThat(check(t.substring(0, dot - 1) + "+" + t.substring(dot))).isEqualTo(DenialReason.MALFORMED_TOKEN);
        assertThat(check(t.substring(0, dot - 1) + "/" + t.substring(dot))).isEqualTo(DenialReason.MALFORMED_TOKEN);
        assertThat(check(t.replaceFirst("\\.", ".?"))).isEqualTo(DenialReason.MALFORMED_TOKEN);
    }

    @Test
    void paddingIsMalformed() {
        String h = JwsSigner.b64("{\"alg\":\"ES256\",\"kid\":\"k1\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(h.length() % 4).isNotZero();
        String t = token().sign();
        String padded = h + "=".repeat(4 - h.length() % 4) + t.substring(t.indexOf('.'));
        assertThat(check(padded)).isEqualTo(DenialReason.MALFORMED_TOKEN);
    }

    @Test
    void whitespaceIsMalformed() {
        String t = token().sign();
        assertThat(check(" " + t)).isEqualTo(DenialReason.MALFORMED_TOKEN);
        assertThat(check(t + "\n")).isEqualTo(DenialReason.MALFORMED_TOKEN);
        assertThat(check(t.replaceFirst("\\.", ". "))).isEqualTo(DenialReason.MALFORMED_TOKEN);
    }

    @Test
    void nonCanonicalTrailingBitsAreMalformed() {
        // The ES256 signature is 64 bytes = 86 chars with 2 unused bits in the last character.
        String t = token().sign();
        char last = t.charAt(t.length() - 1);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        int v = alphabet.indexOf(last);
        assertThat(v & 0x03).isZero();
        String tweaked = t.substring(0, t.length() - 1) + alphabet.charAt(v | 0x01);
        assertThat(check(tweaked)).isEqualTo(DenialReason.MALFORMED_TOKEN);
    }

    // --- signature length ----------------------------------------------------------------------

    @Test
    void es256SignatureMustBeExactly64Bytes() {
        String t = token().sign();
        String input = t.substring(0, t.lastIndexOf('.'));
        assertThat(check(input + "." + JwsSigner.b64(new byte[63]))).isEqualTo(DenialReason.BAD_SIGNATURE);
        assertThat(check(input + "." + JwsSigner.b64(new byte[65]))).isEqualTo(DenialReason.BAD_SIGNATURE);
        // A DER-encoded signature of the same key (what JCA produces) is not a JWS signature.
        assertThat(check(input + "." + JwsSigner.b64(new byte[72]))).isEqualTo(DenialReason.BAD_SIGNATURE);
    }

    @Test
    void rsaSignatureMustBeTheModulusLength() {
        String t = Tokens.signedBy(TestKeys.rs256("r1"), clock).sign();
        String input = t.substring(0, t.lastIndexOf('.'));
        byte[] sig = java.util.Base64.getUrlDecoder().decode(t.substring(t.lastIndexOf('.') + 1));
        byte[] longer = new byte[sig.length + 1];
        System.arraycopy(sig, 0, longer, 1, sig.length); // a leading zero: same integer, wrong length
        assertThat(check(input + "." + JwsSigner.b64(longer))).isEqualTo(DenialReason.BAD_SIGNATURE);
    }

    @Test
    void eddsaSignatureMustBe64Bytes() {
        String t = Tokens.signedBy(TestKeys.eddsa("e1"), clock).sign();
        String input = t.substring(0, t.lastIndexOf('.'));
        assertThat(check(input + "." + JwsSigner.b64(new byte[63]))).isEqualTo(DenialReason.BAD_SIGNATURE);
    }

    // --- header --------------------------------------------------------------------------------

    @Test
    void b64FalseIsMalformed() {
        assertThat(check(token().header("b64", false).sign())).isEqualTo(DenialReason.MALFORMED_TOKEN);
    }

    @Test
    void nestedJwtContentTypeIsMalformed() {
        assertThat(check(token().header("cty", "JWT").sign())).isEqualTo(DenialReason.MALFORMED_TOKEN);
        assertThat(check(token().header("cty", "jwt").sign())).isEqualTo(DenialReason.MALFORMED_TOKEN);
    }

    @Test
    void critInAnyFormIsMalformed() {
        assertThat(check(token().header("crit", List.of()).sign())).isEqualTo(DenialReason.MALFORMED_TOKEN);
        assertThat(check(token().header("crit", List.of("exp")).sign())).isEqualTo(DenialReason.MALFORMED_TOKEN);
        assertThat(check(token().header("crit", "b64").sign())).isEqualTo(DenialReason.MALFORMED_TOKEN);
    }

    @Test
    void zipIsMalformed() {
        assertThat(check(token().header("zip", "DEF").sign())).isEqualTo(DenialReason.MALFORMED_TOKEN);
    }

    @Test
    void headerMustBeAJsonObjectWithStringAlgAndKid() {
        String p = payload("");
        assertThat(check(raw("[\"ES256\"]", p))).isEqualTo(DenialReason.MALFORMED_TOKEN);
        assertThat(check(raw("\"ES256\"", p))).isEqualTo(DenialReason.MALFORMED_TOKEN);
        assertThat(check(raw("{\"alg\":\"ES256\"", p))).isEqualTo(DenialReason.MALFORMED_TOKEN);
        assertThat(check(raw("{\"alg\":256,\"kid\":\"k1\"}", p))).isEqualTo(DenialReason.MALFORMED_TOKEN);
        assertThat(check(raw("{\"kid\":\"k1\"}", p))).isEqualTo(DenialReason.MALFORMED_TOKEN);
        assertThat(check(raw("{\"alg\":\"ES256\",\"kid\":7}", p))).isEqualTo(DenialReason.MALFORMED_TOKEN);
        assertThat(check(raw("{\"alg\":\"ES256\",\"alg\":\"ES256\",\"kid\":\"k1\"}", p)))
                .as("duplicate member names").isEqualTo(DenialReason.MALFORMED_TOKEN);
    }

    @Test
    void algorithmOutsideTheAllowlistIsUnsupported() {
        VerifyPolicy onlyRs = VerifyPolicy.builder().algorithms(Set.of(JwsAlgorithm.RS256)).build();
        assertThat(check(onlyRs, token().sign())).isEqualTo(DenialReason.UNSUPPORTED_ALGORITHM);
    }

    @Test
    void algorithmNamesAreCaseSensitive() {
        assertThat(check(token().header("alg", "es256").sign())).isEqualTo(DenialReason.UNSUPPORTED_ALGORITHM);
    }

    @Test
    void tokenWithoutKidUsesTheOnlyKeyOfItsAlgorithm() {
        assertThat(check(token().header("kid", null).sign())).isNull();
    }

    @Test
    void tokenWithoutKidIsUnknownKeyWhenSeveralKeysFit() {
        KeyRegistry two = Fixture.registry(key, TestKeys.of("k2", JwsAlgorithm.ES256));
        TokenVerifier v = new TokenVerifier(VerifyPolicy.defaults(), Fixture.crypto());
        DecodedToken d = v.decode(token().header("kid", null).sign());
        assertThat(two.find(d.kid(), d.algorithm())).isEmpty();
    }

    // --- claims --------------------------------------------------------------------------------

    @Test
    void payloadMustBeAJsonObject() {
        assertThat(check(raw(HEADER, "[1,2]"))).isEqualTo(DenialReason.MALFORMED_TOKEN);
        assertThat(check(raw(HEADER, "\"x\""))).isEqualTo(DenialReason.MALFORMED_TOKEN);
        assertThat(check(raw(HEADER, "{"))).isEqualTo(DenialReason.MALFORMED_TOKEN);
    }

    @Test
    void invalidUtf8PayloadIsMalformed() {
        String h = JwsSigner.b64(HEADER.getBytes(StandardCharsets.UTF_8));
        byte[] bad = {'{', '"', 's', '"', ':', '"', (byte) 0xC3, '"', '}'};
        String input = h + "." + JwsSigner.b64(bad);
        try {
            byte[] sig = io.streamgate.filters.crypto.SignatureVerifier.sign(JwsAlgorithm.ES256,
                    key.pair().getPrivate(), input.getBytes(StandardCharsets.US_ASCII));
            assertThat(check(input + "." + JwsSigner.b64(sig))).isEqualTo(DenialReason.MALFORMED_TOKEN);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void expIsRequiredByDefault() {
        assertThat(check(token().claim("exp", null).sign())).isEqualTo(DenialReason.MISSING_CLAIM);
    }

    @Test
    void expNeedNotBeRequiredWhenConfigured() {
        VerifyPolicy p = VerifyPolicy.builder().requiredClaims(List.of()).build();
        assertThat(check(p, token().claim("exp", null).sign())).isNull();
    }

    @Test
    void otherRequiredClaimsAreEnforced() {
        VerifyPolicy p = VerifyPolicy.builder().requiredClaims(List.of("exp", "organization_id")).build();
        assertThat(check(p, token().sign())).isEqualTo(DenialReason.MISSING_CLAIM);
        assertThat(check(p, token().claim("organization_id", "org-1").sign())).isNull();
    }

    @Test
    void expiryHonoursLeewayToTheMillisecond() {
        long now = clock.epochSeconds();
        String t = token().claim("exp", now + 10).sign();
        clock.advance(Duration.ofSeconds(10 + 30).minusMillis(1));
        assertThat(check(t)).isNull();
        clock.advance(Duration.ofMillis(1));
        assertThat(check(t)).isEqualTo(DenialReason.EXPIRED);
    }

    @Test
    void notBeforeHonoursLeeway() {
        long now = clock.epochSeconds();
        assertThat(check(token().claim("nbf", now + 30).sign())).isNull();
        assertThat(check(token().claim("nbf", now + 31).sign())).isEqualTo(DenialReason.NOT_YET_VALID);
    }

    @Test
    void issuedAtInTheFutureBeyondLeewayIsNotYetValid() {
        long now = clock.epochSeconds();
        assertThat(check(token().claim("nbf", null).claim("iat", now + 30).sign())).isNull();
        assertThat(check(token().claim("nbf", null).claim("iat", now + 31).sign())).isEqualTo(DenialReason.NOT_YET_VALID);
    }

    @Test
    void lifetimeIsMeasuredFromNbfThenIat() {
        long now = clock.epochSeconds();
        long day = 86_400;
        VerifyPolicy p = VerifyPolicy.builder().maxLifetime(Duration.ofDays(1)).build();
        assertThat(check(p, token().claim("nbf", now).claim("exp", now + day).sign())).isNull();
        assertThat(check(p, token().claim("nbf", now).claim("exp", now + day + 1).sign()))
                .isEqualTo(DenialReason.LIFETIME_TOO_LONG);
        // nbf wins over an older iat
        assertThat(check(p, token().claim("iat", now - day).claim("nbf", now).claim("exp", now + day).sign())).isNull();
        // without nbf, iat counts
        assertThat(check(p, token().claim("nbf", null).claim("iat", now - 10).claim("exp", now + day).sign()))
                .isEqualTo(DenialReason.LIFETIME_TOO_LONG);
    }

    @Test
    void partnerKeyTokensOf365DaysPassTheDefaultMaximum() {
        long now = clock.epochSeconds();
        assertThat(check(token().claim("exp", now + 365 * 86_400L).sign())).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"1767225600\"", "true", "null2", "1e300", "9223372036854775807", "-1e11", "[1]", "{}"})
    void numericDatesMustBeFiniteNumbersInRange(String exp) {
        String token = raw(HEADER, "{\"sub\":\"v\",\"exp\":" + exp + "}");
        assertThat(check(token)).isEqualTo(DenialReason.MALFORMED_TOKEN);
    }

    @Test
    void fractionalNumericDatesAreAccepted() {
        long now = clock.epochSeconds();
        assertThat(check(raw(HEADER, "{\"exp\":" + (now + 60) + ".5}"))).isNull();
    }

    @Test
    void negativeExpIsExpiredNotAnError() {
        assertThat(check(raw(HEADER, "{\"exp\":-5}"))).isEqualTo(DenialReason.EXPIRED);
    }

    @Test
    void issuerAllowlist() {
        VerifyPolicy p = VerifyPolicy.builder().issuers(Set.of("https://idp.example")).build();
        assertThat(check(p, token().claim("iss", "https://idp.example").sign())).isNull();
        assertThat(check(p, token().claim("iss", "https://evil.example").sign())).isEqualTo(DenialReason.ISSUER_NOT_ALLOWED);
        assertThat(check(p, token().sign())).isEqualTo(DenialReason.ISSUER_NOT_ALLOWED);
        assertThat(check(token().claim("iss", 5).sign())).isEqualTo(DenialReason.MALFORMED_TOKEN);
    }

    @Test
    void audienceIsNotCheckedWhenNoneConfigured() {
        assertThat(check(token().claim("aud", "somebody-else").sign())).isNull();
        assertThat(check(token().claim("aud", List.of("a", "b")).sign())).isNull();
    }

    @Test
    void audienceAllowlistNeedsOneMatch() {
        VerifyPolicy p = VerifyPolicy.builder().audiences(Set.of("player")).build();
        assertThat(check(p, token().claim("aud", List.of("x", "player")).sign())).isNull();
        assertThat(check(p, token().claim("aud", "player").sign())).isNull();
        assertThat(check(p, token().claim("aud", "x").sign())).isEqualTo(DenialReason.AUDIENCE_NOT_ALLOWED);
        assertThat(check(p, token().sign())).isEqualTo(DenialReason.AUDIENCE_NOT_ALLOWED);
        assertThat(check(p, token().claim("aud", List.of(1)).sign())).isEqualTo(DenialReason.MALFORMED_TOKEN);
    }

    @Test
    void oversizedTokenIsRefusedBeforeParsing() {
        VerifyPolicy p = VerifyPolicy.builder().maxTokenLength(100).build();
        assertThat(check(p, token().sign())).isEqualTo(DenialReason.TOKEN_TOO_LARGE);
    }
}
