package io.streamgate.filters.verify;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import io.streamgate.filters.crypto.JwsAlgorithm;

/**
 * What a token must satisfy, validated once when built: the algorithm allowlist, leeway
 * for {@code exp}/{@code nbf}/{@code iat}, the maximum lifetime, issuer and audience
 * allowlists (empty: not checked; a token carrying {@code aud} is then accepted), required
 * claims and the maximum token length.
 */
public record VerifyPolicy(Set<JwsAlgorithm> algorithms, Duration leeway, Duration maxLifetime,
                           Set<String> issuers, Set<String> audiences, List<String> requiredClaims,
                           int maxTokenLength) {

    public VerifyPolicy {
        if (algorithms.isEmpty()) {
            throw new IllegalArgumentException("algorithms: at least one is required");
        }
        if (leeway.isNegative()) {
            throw new IllegalArgumentException("leeway: must not be negative");
        }
        if (maxLifetime.isNegative() || maxLifetime.isZero()) {
            throw new IllegalArgumentException("maxLifetime: must be positive");
        }
        if (maxTokenLength < 16) {
            throw new IllegalArgumentException("maxLength: must be at least 16");
        }
        algorithms = Set.copyOf(EnumSet.copyOf(algorithms));
        issuers = Set.copyOf(issuers);
        audiences = Set.copyOf(audiences);
        requiredClaims = List.copyOf(requiredClaims);
    }

    /** The contract's defaults: ES256/RS256/PS256/EdDSA, 30s leeway, 366d lifetime, exp required, 8192 chars. */
    public static VerifyPolicy defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private Set<JwsAlgorithm> algorithms = EnumSet.of(JwsAlgorithm.ES256, JwsAlgorithm.RS256,
                JwsAlgorithm.PS256, JwsAlgorithm.EdDSA);
        private Duration leeway = Duration.ofSeconds(30);
        private Duration maxLifetime = Duration.ofDays(366);
        private Set<String> issuers = Set.of();
        private Set<String> audiences = Set.of();
        private List<String> requiredClaims = List.of("exp");
        private int maxTokenLength = 8192;

        public Builder algorithms(Set<JwsAlgorithm> v) {
            algorithms = v;
            return this;
        }

        public Builder leeway(Duration v) {
            leeway = v;
            return this;
        }

        public Builder maxLifetime(Duration v) {
            maxLifetime = v;
            return this;
        }

        public Builder issuers(Set<String> v) {
            issuers = v;
            return this;
        }

        public Builder audiences(Set<String> v) {
            audiences = v;
            return this;
        }

        public Builder requiredClaims(List<String> v) {
            requiredClaims = v;
            return this;
        }

        public Builder maxTokenLength(int v) {
            maxTokenLength = v;
            return this;
        }

        public VerifyPolicy build() {
            return new VerifyPolicy(algorithms, leeway, maxLifetime, issuers, audiences, requiredClaims,
                    maxTokenLength);
        }
    }
}
