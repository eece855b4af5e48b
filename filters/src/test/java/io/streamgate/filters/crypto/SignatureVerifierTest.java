package io.streamgate.filters.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import io.streamgate.filters.testing.Fixture;
import io.streamgate.filters.testing.TestKeys;

class SignatureVerifierTest {
    private static final byte[] INPUT = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ2aWV3ZXIifQ".getBytes(StandardCharsets.US_ASCII);

    /** The P-256 group order n: (r, s) = (n, n) is the other "psychic signature" shape (≡ 0 mod n). */
    private static final BigInteger P256_N = new BigInteger(
            "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", 16);

    private static TestKeys key(JwsAlgorithm alg) {
        return TestKeys.of("sv-" + alg.keyType(), alg);
    }

    private static byte[] sign(JwsAlgorithm alg, byte[] input) throws Exception {
        return SignatureVerifier.sign(alg, key(alg).pair().getPrivate(), input);
    }

    /** Every verifier that can load here: AUTO and each provider alone. */
    static Stream<Arguments> verifiers() {
        List<Arguments> list = new ArrayList<>();
        list.add(Arguments.of("auto", Fixture.crypto()));
        for (CryptoProvider p : List.of(CryptoProvider.CONSCRYPT, CryptoProvider.BOUNCYCASTLE, CryptoProvider.JDK)) {
            SignatureVerifier v = SignatureVerifier.only(p);
            if (v != null) {
                list.add(Arguments.of(p.configName(), v));
            }
        }
        return list.stream();
    }

    /** Every loadable verifier crossed with every algorithm it supports. */
    static Stream<Arguments> verifiersAndAlgorithms() {
        return verifiers().flatMap(a -> {
            SignatureVerifier v = (SignatureVerifier) a.get()[1];
            return Arrays.stream(JwsAlgorithm.values()).filter(v::supports)
                    .map(alg -> Arguments.of(a.get()[0], v, alg));
        });
    }

    // --- selection ---------------------------------------------------------------------------

    @Test
    void autoPicksAProviderForEveryAlgorithm() {
        SignatureVerifier auto = SignatureVerifier.select(CryptoProvider.AUTO);
        for (JwsAlgorithm alg : JwsAlgorithm.values()) {
            assertThat(auto.supports(alg)).as(alg.jwaName()).isTrue();
            assertThat(auto.providerFor(alg)).as(alg.jwaName()).isNotNull().isNotEqualTo(CryptoProvider.AUTO);
        }
    }

    @Test
    void autoPrefersConscryptThenBouncyCastleThenJdk() {
        SignatureVerifier auto = SignatureVerifier.select(CryptoProvider.AUTO);
        SignatureVerifier conscrypt = SignatureVerifier.only(CryptoProvider.CONSCRYPT);
        SignatureVerifier bc = SignatureVerifier.only(CryptoProvider.BOUNCYCASTLE);
        for (JwsAlgorithm alg : JwsAlgorithm.values()) {
            CryptoProvider expected = conscrypt != null && conscrypt.supports(alg) ? CryptoProvider.CONSCRYPT
                    : bc != null && bc.supports(alg) ? CryptoProvider.BOUNCYCASTLE : CryptoProvider.JDK;
            assertThat(auto.providerFor(alg)).as(alg.jwaName()).isEqualTo(expected);
        }
    }

    @Test
    void describeNamesTheProviderOfEveryAlgorithm() {
        SignatureVerifier auto = Fixture.crypto();
        List<String> expected = new ArrayList<>();
        for (JwsAlgorithm alg : JwsAlgorithm.values()) {
            expected.add(alg.jwaName() + "=" + auto.providerFor(alg).configName());
        }
        assertThat(auto.describe()).isEqualTo(String.join(", ", expected));
    }

    /**
     * The JDK 17 SunEC ECDSA rejects valid Wycheproof ES256 signatures (tcId 115, 257); its
     * known-answer test keeps it off ES256. Only where the JDK passes that test (a newer JDK
     * with the fix) does it serve ES256.
     */
    private static boolean jdkPassesEs256KnownAnswer() {
        return SignatureVerifier.only(CryptoProvider.JDK).supports(JwsAlgorithm.ES256);
    }

    @Test
    void jdkIsKeptOffEs256WhenItFailsTheKnownAnswerTestButTheBaselineStillUsesIt() {
        SignatureVerifier baseline = SignatureVerifier.baseline(CryptoProvider.JDK);
        assertThat(baseline.providerFor(JwsAlgorithm.ES256)).isEqualTo(CryptoProvider.JDK);
        if (!jdkPassesEs256KnownAnswer()) {
            assertThat(SignatureVerifier.select(CryptoProvider.JDK).providerFor(JwsAlgorithm.ES256))
                    .isNotEqualTo(CryptoProvider.JDK).isNotNull();
        }
    }

    @Test
    void onlyJdkVerifiesEveryAlgorithmWithTheJdk() throws Exception {
        SignatureVerifier jdk = SignatureVerifier.only(CryptoProvider.JDK);
        assertThat(jdk).isNotNull();
        for (JwsAlgorithm alg : JwsAlgorithm.values()) {
            if (alg == JwsAlgorithm.ES256 && !jdkPassesEs256KnownAnswer()) {
                assertThat(jdk.supports(alg)).isFalse();
                continue;
            }
            assertThat(jdk.supports(alg)).as(alg.jwaName()).isTrue();
            assertThat(jdk.providerFor(alg)).as(alg.jwaName()).isEqualTo(CryptoProvider.JDK);
            PublicKey pub = key(alg).publicKey();
            byte[] sig = sign(alg, INPUT);
            assertThat(jdk.verify(alg, jdk.prepare(alg, pub), KeyFit.signatureLength(alg, pub), INPUT, sig))
                    .as(alg.jwaName()).isTrue();
        }
        assertThat(jdk.describe()).doesNotContain("conscrypt", "bouncycastle");
    }

    @Test
    void namedPreferenceIsUsedWhereSupportedAndFallsBackElsewhere() {
        SignatureVerifier conscryptOnly = SignatureVerifier.only(CryptoProvider.CONSCRYPT);
        assumeTrue(conscryptOnly != null, "Conscrypt does not load on this platform");
        SignatureVerifier preferred = SignatureVerifier.select(CryptoProvider.CONSCRYPT);
        for (JwsAlgorithm alg : JwsAlgorithm.values()) {
            assertThat(preferred.supports(alg)).as(alg.jwaName()).isTrue();
            if (conscryptOnly.supports(alg)) {
                assertThat(preferred.providerFor(alg)).as(alg.jwaName()).isEqualTo(CryptoProvider.CONSCRYPT);
            } else {
                assertThat(preferred.providerFor(alg)).as(alg.jwaName()).isNotEqualTo(CryptoProvider.CONSCRYPT);
            }
        }
    }

    @Test
    void selectJdkUsesTheJdkForEverythingItPassesItsTestsFor() {
        SignatureVerifier jdk = SignatureVerifier.select(CryptoProvider.JDK);
        for (JwsAlgorithm alg : JwsAlgorithm.values()) {
            if (alg == JwsAlgorithm.ES256 && !jdkPassesEs256KnownAnswer()) {
                continue;
            }
            assertThat(jdk.providerFor(alg)).as(alg.jwaName()).isEqualTo(CryptoProvider.JDK);
        }
    }

    // --- verification ------------------------------------------------------------------------

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("verifiersAndAlgorithms")
    void realSignatureVerifiesAndTamperedOneDoesNot(String name, SignatureVerifier v, JwsAlgorithm alg) throws Exception {
        PublicKey pub = key(alg).publicKey();
        PublicKey prepared = v.prepare(alg, pub);
        int len = KeyFit.signatureLength(alg, pub);
        byte[] sig = sign(alg, INPUT);
        assertThat(sig).hasSize(len);
        assertThat(v.verify(alg, prepared, len, INPUT, sig)).isTrue();

        byte[] otherInput = INPUT.clone();
        otherInput[otherInput.length - 1] ^= 0x01;
        assertThat(v.verify(alg, prepared, len, otherInput, sig)).as("other signing input").isFalse();

        for (int pos : new int[] {0, len / 2, len - 1}) {
            byte[] tampered = sig.clone();
            tampered[pos] ^= 0x01;
            assertThat(v.verify(alg, prepared, len, INPUT, tampered)).as("bit flipped at %d", pos).isFalse();
        }
    }

    /** A token minted with a chosen provider (the load generator's) is an ordinary JWS any provider accepts. */
    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("verifiersAndAlgorithms")
    void signaturesMadeWithTheChosenProviderVerifyEverywhere(String name, SignatureVerifier v, JwsAlgorithm alg)
            throws Exception {
        PublicKey pub = key(alg).publicKey();
        int len = KeyFit.signatureLength(alg, pub);
        byte[] sig = v.signWithChosen(alg, key(alg).pair().getPrivate(), INPUT);
        assertThat(sig).hasSize(len);
        List<Arguments> all = verifiers().toList();
        for (Arguments other : all) {
            SignatureVerifier o = (SignatureVerifier) other.get()[1];
            if (o.supports(alg)) {
                assertThat(o.verify(alg, o.prepare(alg, pub), len, INPUT, sig)).as("verified by " + other.get()[0]).isTrue();
            }
        }
        byte[] tampered = sig.clone();
        tampered[len / 2] ^= 0x01;
        assertThat(v.verify(alg, v.prepare(alg, pub), len, INPUT, tampered)).isFalse();
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("verifiersAndAlgorithms")
    void preparedKeyVerifiesExactlyAsTheOriginalKey(String name, SignatureVerifier v, JwsAlgorithm alg) throws Exception {
        PublicKey pub = key(alg).publicKey();
        PublicKey prepared = v.prepare(alg, pub);
        assertThat(prepared.getEncoded()).as("same key material").isEqualTo(pub.getEncoded());
        int len = KeyFit.signatureLength(alg, pub);
        byte[] sig = sign(alg, INPUT);
        byte[] tampered = sig.clone();
        tampered[len / 3] ^= 0x40;
        assertThat(v.verify(alg, prepared, len, INPUT, sig)).isTrue();
        assertThat(v.verify(alg, pub, len, INPUT, sig)).isTrue();
        assertThat(v.verify(alg, prepared, len, INPUT, tampered)).isFalse();
        assertThat(v.verify(alg, pub, len, INPUT, tampered)).isFalse();
        // A key of another pair never verifies, prepared or not.
        PublicKey other = TestKeys.of("sv-other", alg).publicKey();
        assertThat(v.verify(alg, v.prepare(alg, other), len, INPUT, sig)).isFalse();
    }

    @Test
    void prepareTranslatesIntoTheChosenProvidersKeyClass() {
        SignatureVerifier bc = SignatureVerifier.only(CryptoProvider.BOUNCYCASTLE);
        assertThat(bc).isNotNull();
        PublicKey pub = key(JwsAlgorithm.ES256).publicKey();
        assertThat(bc.prepare(JwsAlgorithm.ES256, pub).getClass().getName()).startsWith("org.bouncycastle.");

        SignatureVerifier jdk = SignatureVerifier.only(CryptoProvider.JDK);
        assertThat(jdk.prepare(JwsAlgorithm.ES256, pub)).isSameAs(pub);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("verifiers")
    void es256SignatureOfWrongLengthIsRejectedWithoutException(String name, SignatureVerifier v) throws Exception {
        JwsAlgorithm alg = JwsAlgorithm.ES256;
        PublicKey prepared = v.prepare(alg, key(alg).publicKey());
        byte[] sig = sign(alg, INPUT);
        byte[] short63 = Arrays.copyOf(sig, 63);
        byte[] long65 = Arrays.copyOf(sig, 65);
        byte[] leadingZero65 = new byte[65];
        System.arraycopy(sig, 0, leadingZero65, 1, 64);
        for (byte[] bad : List.of(short63, long65, leadingZero65, new byte[0], new byte[32], new byte[128])) {
            // Through the length check, as the pipeline calls it ...
            assertThatCode(() -> assertThat(v.verify(alg, prepared, 64, INPUT, bad)).isFalse())
                    .as("%d bytes, expected 64", bad.length).doesNotThrowAnyException();
            // ... and straight to the provider, as if the length check were wrong.
            assertThatCode(() -> assertThat(v.verify(alg, prepared, bad.length, INPUT, bad)).isFalse())
                    .as("%d bytes given to the provider", bad.length).doesNotThrowAnyException();
        }
    }

    /** CVE-2022-21449 ("psychic signatures"): r = s = 0 verified any message on JDK 15-18 SunEC. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("verifiers")
    void allZeroEcdsaSignatureIsRejectedByEveryProvider(String name, SignatureVerifier v) {
        for (JwsAlgorithm alg : List.of(JwsAlgorithm.ES256, JwsAlgorithm.ES384, JwsAlgorithm.ES512)) {
            if (!v.supports(alg)) {
                continue;
            }
            PublicKey pub = key(alg).publicKey();
            int len = KeyFit.signatureLength(alg, pub);
            assertThatCode(() -> assertThat(v.verify(alg, v.prepare(alg, pub), len, INPUT, new byte[len])).isFalse())
                    .as(alg.jwaName()).doesNotThrowAnyException();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("verifiers")
    void es256SignatureWithRAndSEqualToGroupOrderIsRejected(String name, SignatureVerifier v) {
        byte[] n = P256_N.toByteArray(); // 33 bytes with a leading 0
        byte[] sig = new byte[64];
        System.arraycopy(n, n.length - 32, sig, 0, 32);
        System.arraycopy(n, n.length - 32, sig, 32, 32);
        PublicKey pub = key(JwsAlgorithm.ES256).publicKey();
        assertThatCode(() -> assertThat(v.verify(JwsAlgorithm.ES256, v.prepare(JwsAlgorithm.ES256, pub), 64, INPUT, sig))
                .isFalse()).doesNotThrowAnyException();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("verifiers")
    void allZeroRsaAndEdDsaSignaturesAreRejected(String name, SignatureVerifier v) {
        for (JwsAlgorithm alg : List.of(JwsAlgorithm.RS256, JwsAlgorithm.PS256, JwsAlgorithm.EdDSA)) {
            if (!v.supports(alg)) {
                continue;
            }
            PublicKey pub = key(alg).publicKey();
            int len = KeyFit.signatureLength(alg, pub);
            assertThatCode(() -> assertThat(v.verify(alg, v.prepare(alg, pub), len, INPUT, new byte[len])).isFalse())
                    .as(alg.jwaName()).doesNotThrowAnyException();
        }
    }

    @ParameterizedTest
    @EnumSource(JwsAlgorithm.class)
    void keyOfAnotherTypeNeverVerifiesAndNeverThrows(JwsAlgorithm alg) throws Exception {
        SignatureVerifier v = Fixture.crypto();
        byte[] sig = sign(alg, INPUT);
        for (JwsAlgorithm other : JwsAlgorithm.values()) {
            if (other.keyType() == alg.keyType()) {
                continue;
            }
            PublicKey wrong = key(other).publicKey();
            assertThatCode(() -> assertThat(v.verify(alg, v.prepare(alg, wrong), sig.length, INPUT, sig)).isFalse())
                    .as("%s signature with a %s key", alg, other.keyType()).doesNotThrowAnyException();
        }
    }

    @Test
    void rsaSignatureDoesNotVerifyUnderAnotherRsaAlgorithm() throws Exception {
        SignatureVerifier v = Fixture.crypto();
        PublicKey pub = key(JwsAlgorithm.RS256).publicKey();
        byte[] rs256 = sign(JwsAlgorithm.RS256, INPUT);
        for (JwsAlgorithm other : List.of(JwsAlgorithm.RS384, JwsAlgorithm.RS512, JwsAlgorithm.PS256)) {
            assertThat(v.verify(other, v.prepare(other, pub), 256, INPUT, rs256)).as(other.jwaName()).isFalse();
        }
    }
}
