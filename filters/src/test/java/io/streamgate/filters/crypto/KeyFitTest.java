package io.streamgate.filters.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.EnumSet;
import java.util.Set;

import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.streamgate.filters.testing.TestKeys;

class KeyFitTest {
    private static final BigInteger F4 = BigInteger.valueOf(65537);

    private static PublicKey generated(String algorithm, Object param) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm);
        if (param instanceof Integer bits) {
            g.initialize(bits);
        } else if (param instanceof String curve) {
            g.initialize(new ECGenParameterSpec(curve));
        }
        return g.generateKeyPair().getPublic();
    }

    /** An RSA public key with a modulus of exactly {@code bits} bits (not a real key: fit only looks at size). */
    private static PublicKey rsaOfBits(int bits) throws Exception {
        BigInteger n = BigInteger.ONE.shiftLeft(bits - 1).add(BigInteger.ONE);
        return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(n, F4));
    }

    private static Set<JwsAlgorithm> fitting(PublicKey key) {
        Set<JwsAlgorithm> s = EnumSet.noneOf(JwsAlgorithm.class);
        for (JwsAlgorithm a : JwsAlgorithm.values()) {
            if (KeyFit.fits(a, key)) {
                s.add(a);
            }
        }
        return s;
    }

    @Test
    void ecP256KeyFitsOnlyEs256() {
        PublicKey key = TestKeys.es256("fit-ec").publicKey();
        assertThat(KeyFit.keyType(key)).isEqualTo(JwsAlgorithm.KeyType.EC_P256);
        assertThat(fitting(key)).containsExactly(JwsAlgorithm.ES256);
    }

    @Test
    void ecP384AndP521KeysFitOnlyTheirOwnCurveAlgorithm() throws Exception {
        assertThat(fitting(generated("EC", "secp384r1"))).containsExactly(JwsAlgorithm.ES384);
        assertThat(fitting(generated("EC", "secp521r1"))).containsExactly(JwsAlgorithm.ES512);
    }

    @Test
    void rsa2048KeyFitsEveryRsAndPsAlgorithmAndNothingElse() {
        PublicKey key = TestKeys.rs256("fit-rsa").publicKey();
        assertThat(KeyFit.keyType(key)).isEqualTo(JwsAlgorithm.KeyType.RSA);
        assertThat(fitting(key)).containsExactlyInAnyOrder(JwsAlgorithm.RS256, JwsAlgorithm.RS384,
                JwsAlgorithm.RS512, JwsAlgorithm.PS256, JwsAlgorithm.PS384, JwsAlgorithm.PS512);
    }

    @Test
    void ed25519KeyFitsOnlyEdDsa() {
        PublicKey key = TestKeys.eddsa("fit-ed").publicKey();
        assertThat(KeyFit.keyType(key)).isEqualTo(JwsAlgorithm.KeyType.OKP);
        assertThat(fitting(key)).containsExactly(JwsAlgorithm.EdDSA);
    }

    @Test
    void rsaBelow2048BitsFitsNothing() throws Exception {
        assertThat(KeyFit.MIN_RSA_BITS).isEqualTo(2048);
        PublicKey rsa1024 = generated("RSA", 1024);
        assertThat(KeyFit.keyType(rsa1024)).isNull();
        assertThat(fitting(rsa1024)).isEmpty();
        assertThat(KeyFit.signatureLength(JwsAlgorithm.RS256, rsa1024)).isEqualTo(-1);
    }

    @Test
    void rsaBoundaryIsExactly2048Bits() throws Exception {
        assertThat(KeyFit.keyType(rsaOfBits(2047))).isNull();
        assertThat(KeyFit.keyType(rsaOfBits(2048))).isEqualTo(JwsAlgorithm.KeyType.RSA);
    }

    @Test
    void secp256k1KeyIsNotEs256DespiteSameFieldSize() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", new BouncyCastleProvider());
        g.initialize(new ECGenParameterSpec("secp256k1"));
        PublicKey k1 = g.generateKeyPair().getPublic();
        assertThat(KeyFit.keyType(k1)).isNull();
        assertThat(fitting(k1)).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(JwsAlgorithm.class)
    void signatureLengthIsExactForEachAlgorithm(JwsAlgorithm alg) {
        PublicKey key = TestKeys.of("fit-len", alg).publicKey();
        int expected = switch (alg.keyType()) {
            case RSA -> 256;
            case EC_P256, OKP -> 64;
            case EC_P384 -> 96;
            case EC_P521 -> 132;
        };
        assertThat(KeyFit.signatureLength(alg, key)).isEqualTo(expected);
        assertThat(SignatureVerifier.signatureLength(alg, key)).isEqualTo(expected);
    }

    @Test
    void signatureLengthFollowsRsaModulusSize() throws Exception {
        assertThat(KeyFit.signatureLength(JwsAlgorithm.RS256, generated("RSA", 3072))).isEqualTo(384);
        assertThat(KeyFit.signatureLength(JwsAlgorithm.PS512, generated("RSA", 4096))).isEqualTo(512);
    }

    @Test
    void ed448SignatureIs114Bytes() throws Exception {
        PublicKey ed448 = generated("Ed448", null);
        assertThat(KeyFit.keyType(ed448)).isEqualTo(JwsAlgorithm.KeyType.OKP);
        assertThat(KeyFit.signatureLength(JwsAlgorithm.EdDSA, ed448)).isEqualTo(114);
    }

    @Test
    void signatureLengthIsMinusOneWhenAlgorithmDoesNotFitKey() {
        PublicKey ec = TestKeys.es256("fit-ec").publicKey();
        PublicKey rsa = TestKeys.rs256("fit-rsa").publicKey();
        PublicKey ed = TestKeys.eddsa("fit-ed").publicKey();
        assertThat(KeyFit.signatureLength(JwsAlgorithm.RS256, ec)).isEqualTo(-1);
        assertThat(KeyFit.signatureLength(JwsAlgorithm.ES384, ec)).isEqualTo(-1);
        assertThat(KeyFit.signatureLength(JwsAlgorithm.EdDSA, ec)).isEqualTo(-1);
        assertThat(KeyFit.signatureLength(JwsAlgorithm.ES256, rsa)).isEqualTo(-1);
        assertThat(KeyFit.signatureLength(JwsAlgorithm.ES256, ed)).isEqualTo(-1);
        assertThat(KeyFit.signatureLength(JwsAlgorithm.PS256, ed)).isEqualTo(-1);
    }
}
