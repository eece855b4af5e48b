package io.streamgate.filters.verify;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A compact JWS split and decoded, or null when its shape is wrong. Checked before any
 * parsing: exactly three non-empty dot-separated parts (a five-part JWE is refused, never
 * decrypted), only the base64url alphabet, no padding or whitespace, and canonical encoding
 * (the unused trailing bits of the last character must be zero, RFC 4648 §3.5) — so each
 * part's bytes have exactly one encoding and a token cannot be re-spelled by re-encoding it.
 * The signature bytes themselves are not unique: an ECDSA signature (r, s) has a second valid
 * value (r, n − s), deliberately accepted. Nothing depends on uniqueness: that spelling only
 * misses the verified-token cache once, and replay protection is keyed by (iss, jti).
 */
final class JwsParts {
    final byte[] header;
    final byte[] payload;
    final byte[] signature;
    final byte[] signingInput;

    private JwsParts(byte[] header, byte[] payload, byte[] signature, byte[] signingInput) {
        this.header = header;
        this.payload = payload;
        this.signature = signature;
        this.signingInput = signingInput;
    }

    /** Splits and decodes; null when the token is not a well-formed compact JWS. */
    static JwsParts parse(String token) {
        int d1 = token.indexOf('.');
        if (d1 <= 0) {
            return null;
        }
        int d2 = token.indexOf('.', d1 + 1);
        if (d2 < 0 || d2 == d1 + 1 || d2 == token.length() - 1 || token.indexOf('.', d2 + 1) >= 0) {
            return null;
        }
        byte[] header = decode(token, 0, d1);
        byte[] payload = header == null ? null : decode(token, d1 + 1, d2);
        byte[] signature = payload == null ? null : decode(token, d2 + 1, token.length());
        if (signature == null) {
            return null;
        }
        if (utf8(header) == null) {
            return null;
        }
        byte[] signingInput = new byte[d2];
        for (int i = 0; i < d2; i++) {
            signingInput[i] = (byte) token.charAt(i); // ASCII, checked by decode
        }
        return new JwsParts(header, payload, signature, signingInput);
    }

    /** Strict UTF-8, or null for invalid byte sequences. */
    static String utf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static final byte[] VALUE = new byte[128];

    static {
        java.util.Arrays.fill(VALUE, (byte) -1);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for (int i = 0; i < alphabet.length(); i++) {
            VALUE[alphabet.charAt(i)] = (byte) i;
        }
    }

    /** Canonical unpadded base64url decode of s[from, to); null when not canonical. */
    static byte[] decode(String s, int from, int to) {
        int len = to - from;
        int rem = len & 3;
        if (len == 0 || rem == 1) {
            return null;
        }
        byte[] out = new byte[len / 4 * 3 + (rem == 0 ? 0 : rem - 1)];
        int o = 0;
        int i = from;
        int fullEnd = to - rem;
        while (i < fullEnd) {
            int a = value(s.charAt(i));
            int b = value(s.charAt(i + 1));
            int c = value(s.charAt(i + 2));
            int d = value(s.charAt(i + 3));
            if ((a | b | c | d) < 0) {
                return null;
            }
            int n = a << 18 | b << 12 | c << 6 | d;
            out[o++] = (byte) (n >> 16);
            out[o++] = (byte) (n >> 8);
            out[o++] = (byte) n;
            i += 4;
        }
        if (rem == 2) {
            int a = value(s.charAt(i));
            int b = value(s.charAt(i + 1));
            if ((a | b) < 0 || (b & 0x0f) != 0) {
                return null;
            }
            out[o] = (byte) (a << 2 | b >> 4);
        } else if (rem == 3) {
            int a = value(s.charAt(i));
            int b = value(s.charAt(i + 1));
            int c = value(s.charAt(i + 2));
            if ((a | b | c) < 0 || (c & 0x03) != 0) {
                return null;
            }
            int n = a << 12 | b << 6 | c;
            out[o++] = (byte) (n >> 10);
            out[o] = (byte) (n >> 2);
        }
        return out;
    }

    private static int value(char c) {
        return c < 128 ? VALUE[c] : -1;
    }
}
