package io.streamgate.gateway.hls;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import io.streamgate.filters.DenialReason;

/**
 * HLS session credentials: what lets a player fetch child playlists and segments after its
 * token opened the master playlist — so that a one-time token still plays a whole session,
 * and a segment costs an HMAC instead of a signature verification.
 *
 * <p>A credential is {@code "2." base64url(nonce || AES-256-GCM(fields))}: the fields (route,
 * granted path prefix, the token's {@code iss}, {@code jti} and {@code sub}, the credential's
 * expiry, the token's own expiry, the session lease) are sealed, not merely signed, so a
 * viewer — and every CDN or proxy log that keeps the URL — reads nothing of who the viewer
 * is (a {@code sub} is often an e-mail). The key is derived from {@code hls.sessionSecret}
 * (HMAC-SHA256 of a fixed label), so replicas sharing the secret open each other's
 * credentials; a segment still costs one AES-GCM open, no store call. It expires after the
 * session TTL (sliding: each playlist re-issues it) and never after the token's {@code exp}.
 */
public final class SessionCredentials {
    /** The query parameter carrying the credential. */
    public static final String PARAM = "sg_session";
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();
    private static final int MAX_LENGTH = 2048;

    private final Duration ttl;
    private final Clock clock;
    private final long maxAgeSeconds;
    private final SecretKeySpec key;
    private final ThreadLocal<Cipher> ciphers = ThreadLocal.withInitial(SessionCredentials::newCipher);
    private final ThreadLocal<SecureRandom> nonces = ThreadLocal.withInitial(SecureRandom::new);
    private static final String VERSION = "2.";
    private static final byte[] AAD = "streamgate sg_session v2".getBytes(StandardCharsets.US_ASCII);
    private static final int NONCE = 12;
    private static final int TAG_BITS = 128;

    /** A session: who, which route and prefix, until when. */
    /** {@code lease} is the session's lease id under {@code replay.mode: limit}, else empty. */
    public record Session(String route, String prefix, String iss, String jti, String sub, long expiresAt,
                          long tokenExpiresAt, String lease, long openedAt, String binding) {
    }

    /** The outcome of checking a credential: the session, or why it was refused. */
    public record Check(Session session, DenialReason failure) {
        static Check failed(DenialReason r) {
            return new Check(null, r);
        }
    }

    public SessionCredentials(byte[] secret, Duration ttl, Clock clock) {
        this(secret, ttl, Duration.ofHours(12), clock);
    }

    /** @param maxAge the absolute limit of a session ({@code hls.sessionMaxAge}), however often it slides */
    public SessionCredentials(byte[] secret, Duration ttl, Duration maxAge, Clock clock) {
        this.ttl = ttl;
        this.maxAgeSeconds = maxAge.toSeconds();
        this.clock = clock;
        this.key = new SecretKeySpec(derive(secret), "AES");
    }

    /** The credential key: HMAC-SHA256(secret, label), so the configured secret is never the AES key itself. */
    private static byte[] derive(byte[] secret) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal("streamgate/hls-session-credential/aes-256-gcm".getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    private static Cipher newCipher() {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/GCM unavailable", e);
        }
    }

    /** A random 256-bit secret, for a single gateway without a configured one. */
    public static byte[] randomSecret() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return b;
    }

    /**
     * Issues a credential for a token's session.
     *
     * @param tokenExpiresAt the token's exp in epoch seconds, or {@link Long#MAX_VALUE} when it has none
     */
    public String issue(String route, String prefix, String jti, String sub, long tokenExpiresAt) {
        return issue(route, prefix, null, jti, sub, tokenExpiresAt, "");
    }

    /** Issues a credential carrying the token's issuer and a session lease id ({@code replay.mode: limit}). */
    public String issue(String route, String prefix, String iss, String jti, String sub, long tokenExpiresAt,
                        String lease) {
        return issue(route, prefix, iss, jti, sub, tokenExpiresAt, lease, "");
    }

    /**
     * Issues the first credential of a session opened now.
     *
     * @param binding the request values the session is bound to (client address, origin host), or empty
     */
    public String issue(String route, String prefix, String iss, String jti, String sub, long tokenExpiresAt,
                        String lease, String binding) {
        return seal(route, prefix, iss, jti, sub, tokenExpiresAt, lease, clock.millis() / 1000, binding);
    }

    private String seal(String route, String prefix, String iss, String jti, String sub, long tokenExpiresAt,
                        String lease, long openedAt, String binding) {
        long now = clock.millis() / 1000;
        // sliding with the TTL, never past the token's exp nor the session's absolute maximum age
        long exp = Math.min(Math.min(tokenExpiresAt, now + ttl.toSeconds()), openedAt + maxAgeSeconds);
        String fields = "2|" + esc(route) + "|" + esc(prefix) + "|" + esc(iss) + "|" + esc(jti) + "|" + esc(sub) + "|"
                + exp + "|" + tokenExpiresAt + "|" + esc(lease) + "|" + openedAt + "|" + esc(binding);
        byte[] data = fields.getBytes(StandardCharsets.UTF_8);
        byte[] nonce = new byte[NONCE];
        nonces.get().nextBytes(nonce);
        try {
            Cipher c = ciphers.get();
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            c.updateAAD(AAD);
            byte[] out = new byte[NONCE + c.getOutputSize(data.length)];
            System.arraycopy(nonce, 0, out, 0, NONCE);
            c.doFinal(data, 0, data.length, out, NONCE);
            return VERSION + B64.encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot seal a session credential", e);
        }
    }

    /** Re-issues a credential for the same session with a fresh (sliding) expiry. */
    public String renew(Session s) {
        return seal(s.route(), s.prefix(), s.iss(), s.jti(), s.sub(), s.tokenExpiresAt(), s.lease(), s.openedAt(),
                s.binding());
    }

    /**
     * Checks a credential for a request on {@code route} at {@code path}: a bad MAC, bad shape
     * or another route's credential is {@code bad_signature}; a lapsed one {@code expired}; one
     * used outside its granted prefix {@code forbidden}.
     */
    public Check check(String credential, String route, String path) {
        if (credential == null || credential.length() > MAX_LENGTH) {
            return Check.failed(DenialReason.BAD_SIGNATURE);
        }
        if (!credential.startsWith(VERSION)) {
            return Check.failed(DenialReason.BAD_SIGNATURE);
        }
        byte[] sealed;
        try {
            sealed = B64D.decode(credential.substring(VERSION.length()));
        } catch (IllegalArgumentException e) {
            return Check.failed(DenialReason.BAD_SIGNATURE);
        }
        if (sealed.length < NONCE + TAG_BITS / 8) {
            return Check.failed(DenialReason.BAD_SIGNATURE);
        }
        byte[] data;
        try {
            Cipher c = ciphers.get();
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, 0, NONCE));
            c.updateAAD(AAD);
            data = c.doFinal(sealed, NONCE, sealed.length - NONCE);
        } catch (GeneralSecurityException e) {
            return Check.failed(DenialReason.BAD_SIGNATURE); // tampered, or sealed with another secret
        }
        String[] f = new String(data, StandardCharsets.UTF_8).split("\\|", -1);
        if (f.length != 11 || !f[0].equals("2")) {
            return Check.failed(DenialReason.BAD_SIGNATURE);
        }
        Session s;
        try {
            s = new Session(unesc(f[1]), unesc(f[2]), f[3].isEmpty() ? null : unesc(f[3]), unesc(f[4]), unesc(f[5]),
                    Long.parseLong(f[6]), Long.parseLong(f[7]), unesc(f[8]), Long.parseLong(f[9]), unesc(f[10]));
        } catch (RuntimeException e) {
            return Check.failed(DenialReason.BAD_SIGNATURE);
        }
        if (!s.route().equals(route)) {
            return Check.failed(DenialReason.BAD_SIGNATURE);
        }
        if (clock.millis() >= s.expiresAt() * 1000 || clock.millis() >= (s.openedAt() + maxAgeSeconds) * 1000) {
            return Check.failed(DenialReason.EXPIRED);
        }
        if (!path.startsWith(s.prefix()) || path.contains("/../")) {
            return Check.failed(DenialReason.FORBIDDEN);
        }
        return new Check(s, null);
    }

    private static String esc(String s) {
        return s == null ? "" : s.replace("%", "%25").replace("|", "%7C");
    }

    private static String unesc(String s) {
        return s.replace("%7C", "|").replace("%25", "%");
    }
}
