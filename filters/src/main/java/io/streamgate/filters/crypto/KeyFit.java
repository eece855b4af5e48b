package io.streamgate.filters.crypto;

import java.math.BigInteger;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECPublicKey;
import java.security.interfaces.RSAPublicKey;

/**
 * Which algorithms a public key may verify, and the exact signature length that implies.
 * A key only verifies algorithms of its own type: EC P-256 → ES256 (P-384 → ES384,
 * P-521 → ES512), RSA of at least 2048 bits → RS* and PS*, Ed25519/Ed448 → EdDSA.
 */
public final class KeyFit {
    /** RSA keys below this many bits are refused at load (NIST SP 800-131A). */
    public static final int MIN_RSA_BITS = 2048;

    private KeyFit() {
    }

    /** The key type of a public key, or null when StreamGate cannot use it for verification. */
    public static JwsAlgorithm.KeyType keyType(PublicKey key) {
        if (key instanceof RSAPublicKey rsa) {
            return rsa.getModulus().bitLength() >= MIN_RSA_BITS ? JwsAlgorithm.KeyType.RSA : null;
        }
        if (key instanceof ECPublicKey ec) {
            int bits = ec.getParams().getCurve().getField().getFieldSize();
            BigInteger order = ec.getParams().getOrder();
            return switch (bits) {
                case 256 -> order.bitLength() == 256 && isP256(ec) ? JwsAlgorithm.KeyType.EC_P256 : null;
                case 384 -> JwsAlgorithm.KeyType.EC_P384;
                case 521 -> JwsAlgorithm.KeyType.EC_P521;
                default -> null;
            };
        }
        if (key instanceof EdECPublicKey || "Ed25519".equals(key.getAlgorithm())
                || "Ed448".equals(key.getAlgorithm()) || "EdDSA".equals(key.getAlgorithm())) {
            return JwsAlgorithm.KeyType.OKP;
        }
        return null;
    }

    /** True when an algorithm can verify with this key. */
    public static boolean fits(JwsAlgorithm alg, PublicKey key) {
        return alg.keyType() == keyType(key);
    }

    /** The exact signature length for alg and key, or -1 when they do not fit. */
    public static int signatureLength(JwsAlgorithm alg, PublicKey key) {
        if (!fits(alg, key)) {
            return -1;
        }
        return switch (alg.keyType()) {
            case RSA -> (((RSAPublicKey) key).getModulus().bitLength() + 7) / 8;
            case EC_P256 -> 64;
            case EC_P384 -> 96;
            case EC_P521 -> 132;
            case OKP -> isEd448(key) ? 114 : 64;
        };
    }

    private static boolean isEd448(PublicKey key) {
        if (key instanceof EdECPublicKey ed) {
            return "Ed448".equals(ed.getParams().getName());
        }
        return "Ed448".equals(key.getAlgorithm());
    }

    private static final BigInteger P256_P = new BigInteger(
            "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff", 16);

    /** P-256 and secp256k1 share a field size; only P-256 is ES256 (ES256K is not supported). */
    private static boolean isP256(ECPublicKey ec) {
        return ec.getParams().getCurve().getField() instanceof java.security.spec.ECFieldFp fp
                && fp.getP().equals(P256_P);
    }
}
