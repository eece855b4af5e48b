package io.streamgate.gateway.session;

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

import io.streamgate.filters.core.DenialReason;

/**
 * HLS session credentials: what lets a player fetch child playlists and segments after its
 * token opened the master playlist — so that a one-time token still plays a whole session,
 * and a segment costs an HMAC instead of a signature verification.
 *
 * <p>A credential is {@code "3." base64url(nonce || AES-256-GCM(fields))}: the fields (route,
 * granted path prefix, the token's {@code iss}, {@code jti}, {@code sub} and {@code iat}, the
 * session's {@code sid}, the credential's expiry, the session's cap, its lease key) are sealed, not merely signed, so a
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
    private static final String VERSION = "3.";
    private static final byte[] AAD = "streamgate sg_session v3".getBytes(StandardCharsets.US_ASCII);
    private static final int NONCE = 12;
    private static final int TAG_BITS = 128;

    /**
     * A session as its credential carries it: which route and prefix, whose (the token's
     * {@code iss}, {@code sub}, {@code jti}, {@code iat}), its opaque {@code sid}, until when.
     *
     * @param expiresAt      when this credential lapses (epoch seconds): the sliding TTL, the cap
     *                       and the session's maximum age, whichever comes first
     * @param tokenExpiresAt the session's cap when this credential was issued: the newest
     *                       token's exp ({@link Long#MAX_VALUE} without one); a renewal moves it
     * @param iat            the opening token's iat, or -1 (for {@code issuedBefore} revocations)
     * @param limitKey       the key its lease is counted under ({@code replay.mode: limit}), else empty
     * @param binding        the request values the session is bound to, or empty
     */
    public record Session(String route, String prefix, String iss, String jti, String sub, long expiresAt,
                          long tokenExpiresAt, String sid, long openedAt, String binding, long iat, String limitKey) {
        /** True when the credential lapsed only because the cap it carries was reached: a renewal may have moved it. */
        public boolean capReached(long nowSeconds) {
            return tokenExpiresAt <= nowSeconds && expiresAt == tokenExpiresAt;
        }

        /** The same session with a cap moved by a renewal. */
        public Session withCap(long cap) {
            return new Session(route, prefix, iss, jti, sub, Math.max(expiresAt, cap), cap, sid, openedAt, binding, iat,
                    limitKey);
        }

        /** Whether a lease is held ({@code replay.mode: limit}). */
        public boolean leased() {
            return !limitKey.isEmpty();
        }
    }

    /**
     * The outcome of checking a credential: the session, or why it was refused. A credential
     * that lapsed at its cap comes back as {@code expired} with its session, so that the
     * caller can ask the store whether the session was renewed ({@link #capReached()}).
     */
    public record Check(Session session, DenialReason failure) {
        static Check failed(DenialReason r) {
            return new Check(null, r);
        }

        public boolean capReached() {
            return failure == DenialReason.EXPIRED && session != null;
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

    /** The sliding lifetime of a credential ({@code hls.sessionTtl}). */
    public Duration ttl() {
        return ttl;
    }

    /** A random 256-bit secret, for a single gateway without a configured one. */
    public static byte[] randomSecret() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return b;
    }

    /**
     * Issues the first credential of a session opened now.
     *
     * @param cap      the token's exp in epoch seconds, or {@link Long#MAX_VALUE} when it has none
     * @param iat      the token's iat, or -1
     * @param limitKey the lease's key under {@code replay.mode: limit}, else empty
     * @param binding  the request values the session is bound to (client address, origin host), or empty
     */
    public String issue(String route, String prefix, String iss, String sub, String jti, String sid, long iat,
                        long cap, String limitKey, String binding) {
        return seal(route, prefix, iss, jti, sub, cap, sid, clock.millis() / 1000, binding, iat, limitKey);
    }

    private String seal(String route, String prefix, String iss, String jti, String sub, long tokenExpiresAt,
                        String sid, long openedAt, String binding, long iat, String limitKey) {
        long now = clock.millis() / 1000;
        // sliding with the TTL, never past the cap nor the session's absolute maximum age
        long exp = Math.min(Math.min(tokenExpiresAt, now + ttl.toSeconds()), openedAt + maxAgeSeconds);
        String fields = "3|" + esc(route) + "|" + esc(prefix) + "|" + esc(iss) + "|" + esc(jti) + "|" + esc(sub) + "|"
                + exp + "|" + tokenExpiresAt + "|" + esc(sid) + "|" + openedAt + "|" + esc(binding) + "|" + iat + "|"
                + esc(limitKey);
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

    /** Re-issues a credential for the same session with a fresh (sliding) expiry, up to its cap. */
    public String renew(Session s) {
        return seal(s.route(), s.prefix(), s.iss(), s.jti(), s.sub(), s.tokenExpiresAt(), s.sid(), s.openedAt(),
                s.binding(), s.iat(), s.limitKey());
    }

    /**
     * Opens a credential whatever its route and expiry (a renewal names its session by it);
     * null when it is not one of ours or is damaged.
     */
    public Session open(String credential) {
        Check c = unseal(credential);
        return c.session();
    }

    /** The gateway's clock, as credentials read it (epoch milliseconds). */
    public long nowMillis() {
        return clock.millis();
    }

    /**
     * Checks a credential for a request on {@code route} at {@code path}: a bad MAC, bad shape
     * or another route's credential is {@code bad_signature}; a lapsed one {@code expired}; one
     * used outside its granted prefix {@code forbidden}.
     */
    public Check check(String credential, String route, String path) {
        Check opened = unseal(credential);
        Session s = opened.session();
        if (s == null) {
            return opened;
        }
        if (!s.route().equals(route)) {
            return Check.failed(DenialReason.BAD_SIGNATURE);
        }
        if (!grants(s.prefix(), path) || path.contains("/../")) {
            return Check.failed(DenialReason.FORBIDDEN);
        }
        long now = clock.millis();
        if (now >= (s.openedAt() + maxAgeSeconds) * 1000) {
            return Check.failed(DenialReason.EXPIRED);
        }
        if (now >= s.expiresAt() * 1000) {
            return s.capReached(now / 1000) ? new Check(s, DenialReason.EXPIRED) : Check.failed(DenialReason.EXPIRED);
        }
        return new Check(s, null);
    }

    /**
     * What a playlist's credential grants: the playlist's folder, so that its children (child
     * playlists, segments, keys) play on it — unless that folder is the route's own root (a
     * stream served without a folder, e.g. {@code /live/stream1}), where a folder-wide grant
     * would open every stream of the route: then only the playlist's own path and what lies
     * below it ({@code /live/stream1/...}); anything else needs the token.
     */
    public static String prefixFor(String routePath, String playlistPath) {
        String folder = playlistPath.substring(0, playlistPath.lastIndexOf('/') + 1);
        String root = routePath.endsWith("/") ? routePath : routePath + "/";
        return folder.length() <= root.length() ? playlistPath : folder;
    }

    /**
     * Whether a credential's prefix grants a path: a folder prefix (ending in {@code /}) grants
     * what lies in it; a playlist path (a stream without a folder of its own) grants itself and
     * what lies below it, never its siblings.
     */
    static boolean grants(String prefix, String path) {
        if (prefix.endsWith("/")) {
            return path.startsWith(prefix);
        }
        return path.equals(prefix) || path.startsWith(prefix) && path.length() > prefix.length()
                && path.charAt(prefix.length()) == '/';
    }

    private Check unseal(String credential) {
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
        if (f.length != 13 || !f[0].equals("3")) {
            return Check.failed(DenialReason.BAD_SIGNATURE);
        }
        try {
            return new Check(new Session(unesc(f[1]), unesc(f[2]), f[3].isEmpty() ? null : unesc(f[3]), unesc(f[4]),
                    unesc(f[5]), Long.parseLong(f[6]), Long.parseLong(f[7]), unesc(f[8]), Long.parseLong(f[9]),
                    unesc(f[10]), Long.parseLong(f[11]), unesc(f[12])), null);
        } catch (RuntimeException e) {
            return Check.failed(DenialReason.BAD_SIGNATURE);
        }
    }

    private static String esc(String s) {
        return s == null ? "" : s.replace("%", "%25").replace("|", "%7C");
    }

    private static String unesc(String s) {
        return s.replace("%7C", "|").replace("%25", "%");
    }
}
