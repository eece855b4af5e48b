package io.streamgate.filters.crypto;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Security;
import java.security.spec.X509EncodedKeySpec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jose4j.jca.ProviderContext;
import org.jose4j.jwa.AlgorithmFactoryFactory;
import org.jose4j.jwa.CryptoPrimitive;
import org.jose4j.jws.JsonWebSignatureAlgorithm;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies JWS signatures with a JCA provider chosen per algorithm.
 *
 * <p>Selection ({@link #select}): candidates are tried fastest first — Conscrypt, then
 * BouncyCastle, then the JDK — and each must pass a self-test (a real signature verifies, a
 * tampered one does not) before it is used for an algorithm. A provider that cannot load
 * (Conscrypt's native library on an unsupported platform) or lacks an algorithm (Conscrypt
 * has no PS256 or EdDSA) is skipped, so the choice always falls back safely to the JDK.
 * Providers are appended to the JCA list, never inserted ahead of the JDK's, so the
 * process's TLS and other crypto are not changed by this choice.
 *
 * <p>Every verification goes through {@link #verify}: the signature's length is checked
 * exactly before any provider sees it (an all-zero or truncated ECDSA signature never
 * reaches native code), then jose4j's algorithm implementation verifies it.
 */
public final class SignatureVerifier {
    private static final Logger LOG = LoggerFactory.getLogger(SignatureVerifier.class);

    private static final String CONSCRYPT_NAME = "Conscrypt";
    private static final String BC_NAME = "BC";

    private final Map<JwsAlgorithm, Choice> choices;

    /** One algorithm's provider: its name (null = JDK default) and jose4j context. */
    private record Choice(CryptoProvider provider, String providerName, ProviderContext context,
                          JsonWebSignatureAlgorithm jose, boolean translateKeys) {
    }

    private SignatureVerifier(Map<JwsAlgorithm, Choice> choices) {
        this.choices = choices;
    }

    /**
     * Chooses a provider per algorithm. With {@link CryptoProvider#AUTO} the fastest working
     * one; with a named provider that one wherever it supports the algorithm, else the next
     * that does (logged as a warning). Chosen once per preference and process: the self-tests
     * (a key pair per algorithm, RSA's among them) cost seconds on a busy machine, and their
     * answer does not change while the process runs, so a configuration reload reuses it.
     */
    public static SignatureVerifier select(CryptoProvider preference) {
        return SELECTED.computeIfAbsent(preference, SignatureVerifier::choose);
    }

    private static final Map<CryptoProvider, SignatureVerifier> SELECTED =
            new java.util.concurrent.ConcurrentHashMap<>();

    private static SignatureVerifier choose(CryptoProvider preference) {
        List<CryptoProvider> order = new ArrayList<>();
        if (preference != CryptoProvider.AUTO) {
            order.add(preference);
        }
        for (CryptoProvider p : List.of(CryptoProvider.CONSCRYPT, CryptoProvider.BOUNCYCASTLE, CryptoProvider.JDK)) {
            if (!order.contains(p)) {
                order.add(p);
            }
        }
        Map<JwsAlgorithm, Choice> chosen = new EnumMap<>(JwsAlgorithm.class);
        Map<CryptoProvider, String> loaded = new LinkedHashMap<>();
        for (CryptoProvider p : order) {
            String name = register(p);
            if (name == null && p != CryptoProvider.JDK) {
                continue;
            }
            loaded.put(p, name);
        }
        for (JwsAlgorithm alg : JwsAlgorithm.values()) {
            for (Map.Entry<CryptoProvider, String> e : loaded.entrySet()) {
                Choice c = choice(e.getKey(), e.getValue(), alg);
                if (selfTest(c, alg, true)) {
                    chosen.put(alg, c);
                    if (preference != CryptoProvider.AUTO && e.getKey() != preference) {
                        LOG.warn("crypto provider {} cannot verify {}; using {} for it",
                                preference.configName(), alg.jwaName(), e.getKey().configName());
                    }
                    break;
                }
            }
            if (!chosen.containsKey(alg)) {
                LOG.warn("no crypto provider verifies {} here; tokens using it will be rejected", alg.jwaName());
            }
        }
        SignatureVerifier v = new SignatureVerifier(chosen);
        LOG.info("crypto providers: {}", v.describe());
        return v;
    }

    /** Uses exactly one provider and nothing else (for tests and benchmarks); null if it cannot load. */
    public static SignatureVerifier only(CryptoProvider provider) {
        String name = register(provider);
        if (name == null && provider != CryptoProvider.JDK) {
            return null;
        }
        return exactly(provider, name, true);
    }

    /**
     * One provider for every algorithm it can verify at all, known-answer tests skipped: the
     * "JDK default" baseline of the benchmarks. Never for serving: it may use a provider that
     * rejects valid signatures (SunEC's ES256, see {@link #selfTest}).
     */
    public static SignatureVerifier baseline(CryptoProvider provider) {
        String name = register(provider);
        if (name == null && provider != CryptoProvider.JDK) {
            return null;
        }
        return exactly(provider, name, false);
    }

    private static SignatureVerifier exactly(CryptoProvider provider, String name, boolean knownAnswers) {
        Map<JwsAlgorithm, Choice> chosen = new EnumMap<>(JwsAlgorithm.class);
        for (JwsAlgorithm alg : JwsAlgorithm.values()) {
            Choice c = choice(provider, name, alg);
            if (selfTest(c, alg, knownAnswers)) {
                chosen.put(alg, c);
            } else if (knownAnswers && selfTest(c, alg, false)) {
                LOG.info("crypto provider {} fails a known-answer test for {}; not used for it",
                        provider.configName(), alg.jwaName());
            }
        }
        return new SignatureVerifier(chosen);
    }

    /** e.g. {@code ES256=conscrypt, PS256=bouncycastle, ...}: what the startup log line says. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<JwsAlgorithm, Choice> e : choices.entrySet()) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(e.getKey().jwaName()).append('=').append(e.getValue().provider.configName());
        }
        return sb.toString();
    }

    /** The provider used for an algorithm, or null when none can verify it here. */
    public CryptoProvider providerFor(JwsAlgorithm alg) {
        Choice c = choices.get(alg);
        return c == null ? null : c.provider;
    }

    public boolean supports(JwsAlgorithm alg) {
        return choices.containsKey(alg);
    }

    /**
     * Converts a public key into the chosen provider's own key class once, at key load, so
     * that verification does not re-encode a foreign key on every call.
     */
    public PublicKey prepare(JwsAlgorithm alg, PublicKey key) {
        Choice c = choices.get(alg);
        if (c == null || !c.translateKeys) {
            return key;
        }
        PublicKey translated = translate(key, c.providerName);
        return translated == null ? key : translated;
    }

    /**
     * Verifies {@code signature} over {@code signingInput}. Returns false — never throws — for
     * a signature of the wrong length, an unsupported algorithm, a key of the wrong type, or
     * any provider failure: all mean "this signature does not verify".
     *
     * @param expectedLength the exact signature length the key and algorithm imply
     */
    public boolean verify(JwsAlgorithm alg, PublicKey key, int expectedLength, byte[] signingInput, byte[] signature) {
        if (signature.length != expectedLength) {
            return false;
        }
        Choice c = choices.get(alg);
        if (c == null) {
            return false;
        }
        try {
            return c.jose.verifySignature(signature, key, signingInput, c.context);
        } catch (Exception e) {
            // jose4j and providers signal bad encodings by exceptions; none is a bug of ours.
            return false;
        }
    }

    /** The exact JWS signature length for an algorithm and key, or -1 when they do not fit. */
    public static int signatureLength(JwsAlgorithm alg, PublicKey key) {
        return KeyFit.signatureLength(alg, key);
    }

    private static Choice choice(CryptoProvider p, String providerName, JwsAlgorithm alg) {
        ProviderContext ctx = new ProviderContext();
        ctx.getSuppliedKeyProviderContext().setSignatureProvider(providerName);
        ctx.getGeneralProviderContext().setSignatureProvider(providerName);
        return new Choice(p, providerName, ctx, jose(alg), providerName != null);
    }

    private static JsonWebSignatureAlgorithm jose(JwsAlgorithm alg) {
        try {
            return AlgorithmFactoryFactory.getInstance().getJwsAlgorithmFactory().getAlgorithm(alg.jwaName());
        } catch (org.jose4j.lang.InvalidAlgorithmException e) {
            throw new IllegalStateException("jose4j lacks " + alg.jwaName(), e);
        }
    }

    /** Registers a provider (appended, lowest priority); returns its JCA name, null if it cannot load. */
    private static synchronized String register(CryptoProvider p) {
        try {
            switch (p) {
                case CONSCRYPT:
                    if (Security.getProvider(CONSCRYPT_NAME) == null) {
                        if (!org.conscrypt.Conscrypt.isAvailable()) {
                            LOG.info("Conscrypt is not available on this platform");
                            return null;
                        }
                        Provider conscrypt = org.conscrypt.Conscrypt.newProvider();
                        Security.addProvider(conscrypt);
                    }
                    return CONSCRYPT_NAME;
                case BOUNCYCASTLE:
                    if (Security.getProvider(BC_NAME) == null) {
                        Security.addProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider());
                    }
                    return BC_NAME;
                default:
                    return null; // the JDK's default providers
            }
        } catch (Throwable t) { // NoClassDefFoundError, UnsatisfiedLinkError: fall back
            LOG.info("crypto provider {} cannot load: {}", p.configName(), t.toString());
            return null;
        }
    }

    private static PublicKey translate(PublicKey key, String providerName) {
        try {
            KeyFactory kf = KeyFactory.getInstance(keyFactoryAlgorithm(key), providerName);
            return kf.generatePublic(new X509EncodedKeySpec(key.getEncoded()));
        } catch (GeneralSecurityException | RuntimeException e) {
            return null;
        }
    }

    private static String keyFactoryAlgorithm(PublicKey key) {
        String a = key.getAlgorithm();
        return switch (a) {
            case "EdDSA", "Ed25519", "Ed448" -> a.equals("EdDSA") ? "Ed25519" : a;
            default -> a;
        };
    }

    // --- self-test -------------------------------------------------------------------------

    private static final Map<JwsAlgorithm.KeyType, KeyPair> TEST_KEYS = new EnumMap<>(JwsAlgorithm.KeyType.class);

    private static synchronized KeyPair testKey(JwsAlgorithm.KeyType type) {
        return TEST_KEYS.computeIfAbsent(type, KeyPairs::generate);
    }

    /**
     * Wycheproof ecdsa_secp256r1_sha256_p1363 tcId 257 ("r = 3, x = n + 3 is the smallest
     * possible x with a reduction"), a VALID signature. The JDK 17 SunEC implementation does not
     * reduce x(R) mod n and rejects it (and tcId 115): a provider must verify it to serve ES256.
     * Source: C2SP/wycheproof, Apache License 2.0 (see filters/src/test/resources/testdata/wycheproof).
     */
    private static final String KAT_ES256_KEY = "3059301306072a8648ce3d020106082a8648ce3d03010703420004ce24c990"
            + "32d52ac6ead23c0ae3ec68ef41e51a281fd457808c83136d7dcce90e8f7a154b551e9f39c59279357aa491b2a62bdebc2b"
            + "b78613883fc72936c057e0";
    private static final String KAT_ES256_MSG = "68656c6c6f2c20776f726c64";
    private static final String KAT_ES256_SIG = "0000000000000000000000000000000000000000000000000000000000000003"
            + "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc63254e";

    private static boolean knownAnswer(SignatureVerifier probe, JwsAlgorithm alg) throws Exception {
        if (alg != JwsAlgorithm.ES256) {
            return true;
        }
        java.util.HexFormat hex = java.util.HexFormat.of();
        PublicKey key = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(hex.parseHex(KAT_ES256_KEY)));
        return probe.verify(alg, probe.prepare(alg, key), 64, hex.parseHex(KAT_ES256_MSG), hex.parseHex(KAT_ES256_SIG));
    }

    /**
     * A real signature must verify and a tampered one must not, through the exact verify path;
     * with {@code knownAnswers}, published edge-case vectors must verify too.
     */
    private static boolean selfTest(Choice c, JwsAlgorithm alg, boolean knownAnswers) {
        try {
            KeyPair kp = testKey(alg.keyType());
            byte[] input = "eyJhbGciOiJzZWxmLXRlc3QifQ.e30".getBytes(StandardCharsets.US_ASCII);
            byte[] sig = sign(alg, kp.getPrivate(), input);
            SignatureVerifier probe = new SignatureVerifier(Map.of(alg, c));
            PublicKey key = probe.prepare(alg, kp.getPublic());
            int len = KeyFit.signatureLength(alg, kp.getPublic());
            if (!probe.verify(alg, key, len, input, sig)) {
                return false;
            }
            sig[sig.length / 2] ^= 0x01;
            if (probe.verify(alg, key, len, input, sig)) {
                return false;
            }
            return !knownAnswers || knownAnswer(probe, alg);
        } catch (Exception | LinkageError e) {
            return false;
        }
    }

    /**
     * Signs with the provider this verifier chose for {@code alg} (which passed the self-test),
     * falling back to the JDK's default where none was chosen. For tools that mint many tokens:
     * the load generator signs ES256 about 20 times faster with Conscrypt than with SunEC.
     */
    public byte[] signWithChosen(JwsAlgorithm alg, PrivateKey key, byte[] input) throws Exception {
        Choice c = choices.get(alg);
        if (c == null) {
            return sign(alg, key, input);
        }
        CryptoPrimitive primitive = c.jose.prepareForSign(key, c.context);
        return c.jose.sign(primitive, input);
    }

    /** Signs with the JDK's default provider; used by the self-test and by the CLI's mint. */
    public static byte[] sign(JwsAlgorithm alg, PrivateKey key, byte[] input) throws Exception {
        JsonWebSignatureAlgorithm jose = jose(alg);
        CryptoPrimitive primitive = jose.prepareForSign(key, new ProviderContext());
        return jose.sign(primitive, input);
    }
}
