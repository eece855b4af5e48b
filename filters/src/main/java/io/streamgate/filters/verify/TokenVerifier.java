package io.streamgate.filters.verify;

import java.util.Map;

import io.streamgate.filters.core.DenialReason;
import io.streamgate.filters.crypto.JwsAlgorithm;
import io.streamgate.filters.crypto.SignatureVerifier;
import io.streamgate.filters.keys.VerificationKey;

/**
 * The token checks, in the contract's order, as three steps the {@link
 * io.streamgate.filters.Authorizer} composes around the key lookup and the cache:
 * <ol>
 *   <li>{@link #decode}: size, shape, header — before any key is looked up;</li>
 *   <li>{@link #verify}: signature, then payload parsing — nothing of the payload is read
 *       before its signature verified;</li>
 *   <li>{@link #checkClaims}: time claims, issuer, audience, required claims — run on every
 *       request, cached tokens included.</li>
 * </ol>
 * Library error text never leaves this class: jose4j's messages can contain the token's
 * claims, so every failure is mapped to a {@link DenialReason} here and nothing else.
 */
public final class TokenVerifier {
    private final VerifyPolicy policy;
    private final SignatureVerifier signatures;
    private final boolean[] allowed = new boolean[JwsAlgorithm.values().length];
    private final long leewayMillis;
    private final long maxLifetimeMillis;

    public TokenVerifier(VerifyPolicy policy, SignatureVerifier signatures) {
        this.policy = policy;
        this.signatures = signatures;
        for (JwsAlgorithm a : policy.algorithms()) {
            allowed[a.ordinal()] = true;
        }
        this.leewayMillis = policy.leeway().toMillis();
        this.maxLifetimeMillis = policy.maxLifetime().toMillis();
    }

    public VerifyPolicy policy() {
        return policy;
    }

    /** Step 1: size, shape and header. */
    public DecodedToken decode(String token) {
        if (token.length() > policy.maxTokenLength()) {
            return DecodedToken.failed(DenialReason.TOKEN_TOO_LARGE);
        }
        JwsParts parts = JwsParts.parse(token);
        if (parts == null) {
            return DecodedToken.failed(DenialReason.MALFORMED_TOKEN);
        }
        Map<String, Object> header = TokenJson.parseObject(parts.header);
        if (header == null) {
            return DecodedToken.failed(DenialReason.MALFORMED_TOKEN);
        }
        // crit in any form (even []) is refused: we implement no extension, and an empty
        // list is invalid per RFC 7515 §4.1.11. b64=false (RFC 7797) would change what is
        // signed; zip is a JWE feature; cty JWT means a nested token we do not unwrap.
        if (header.containsKey("crit") || header.containsKey("zip")
                || (header.containsKey("b64") && !Boolean.TRUE.equals(header.get("b64")))) {
            return DecodedToken.failed(DenialReason.MALFORMED_TOKEN);
        }
        Object cty = header.get("cty");
        if (cty != null && (!(cty instanceof String s) || s.equalsIgnoreCase("JWT"))) {
            return DecodedToken.failed(DenialReason.MALFORMED_TOKEN);
        }
        Object algValue = header.get("alg");
        if (!(algValue instanceof String)) {
            return DecodedToken.failed(DenialReason.MALFORMED_TOKEN);
        }
        // Exact, case-sensitive: "none", "None", "HS256" and friends are never algorithms here.
        JwsAlgorithm alg = JwsAlgorithm.fromJwaName((String) algValue);
        if (alg == null || !allowed[alg.ordinal()] || !signatures.supports(alg)) {
            return DecodedToken.failed(DenialReason.UNSUPPORTED_ALGORITHM);
        }
        Object kid = header.get("kid");
        if (kid != null && !(kid instanceof String)) {
            return DecodedToken.failed(DenialReason.MALFORMED_TOKEN);
        }
        // jku, x5u, jwk and x5c are deliberately not read: keys come only from configuration.
        return DecodedToken.ok(parts, alg, (String) kid);
    }

    /**
     * Step 2: the signature against each candidate key (a kid may name more than one, e.g.
     * during a rotation), then the payload. The signature length is checked exactly first.
     */
    public Verification verify(DecodedToken decoded, VerificationKey[] candidates) {
        JwsAlgorithm alg = decoded.algorithm();
        JwsParts parts = decoded.parts;
        VerificationKey verifiedBy = null;
        for (VerificationKey k : candidates) {
            if (signatures.verify(alg, k.preparedFor(alg), k.signatureLength(alg), parts.signingInput,
                    parts.signature)) {
                verifiedBy = k;
                break;
            }
        }
        if (verifiedBy == null) {
            return Verification.failed(DenialReason.BAD_SIGNATURE);
        }
        Map<String, Object> map = JwsParts.utf8(parts.payload) == null ? null : TokenJson.parseObject(parts.payload);
        Claims claims = map == null ? null : Claims.of(map);
        if (claims == null) {
            return Verification.failed(DenialReason.MALFORMED_TOKEN);
        }
        return Verification.ok(new VerifiedToken(alg, verifiedBy, claims));
    }

    /** Step 3: time claims with leeway, lifetime, issuer, audience, required claims; null when all pass. */
    public DenialReason checkClaims(Claims c, long nowMillis) {
        long exp = c.exp();
        long nbf = c.nbf();
        long iat = c.iat();
        if (exp != Claims.ABSENT && nowMillis >= exp * 1000 + leewayMillis) {
            return DenialReason.EXPIRED;
        }
        if (nbf != Claims.ABSENT && nowMillis + leewayMillis < nbf * 1000) {
            return DenialReason.NOT_YET_VALID;
        }
        if (iat != Claims.ABSENT && iat * 1000 > nowMillis + leewayMillis) {
            return DenialReason.NOT_YET_VALID;
        }
        if (exp != Claims.ABSENT) {
            long start = nbf != Claims.ABSENT ? nbf * 1000 : iat != Claims.ABSENT ? iat * 1000 : nowMillis;
            if (exp * 1000 - start > maxLifetimeMillis) {
                return DenialReason.LIFETIME_TOO_LONG;
            }
        }
        if (!policy.issuers().isEmpty() && (c.iss() == null || !policy.issuers().contains(c.iss()))) {
            return DenialReason.ISSUER_NOT_ALLOWED;
        }
        if (!policy.audiences().isEmpty() && !anyAllowed(c)) {
            return DenialReason.AUDIENCE_NOT_ALLOWED;
        }
        for (String name : policy.requiredClaims()) {
            if (!c.has(name)) {
                return DenialReason.MISSING_CLAIM;
            }
        }
        return null;
    }

    private boolean anyAllowed(Claims c) {
        for (String a : c.aud()) {
            if (policy.audiences().contains(a)) {
                return true;
            }
        }
        return false;
    }
}
