package io.streamgate.filters.core;

/**
 * Every reason a request can be refused: the single source of truth for the HTTP status,
 * the OAuth-style {@code error} code, the stable metric tag and the client-safe message.
 *
 * <p>Reasons of category {@link Category#UNAVAILABLE} mean "the check itself could not run"
 * (a key source or replay store is down), not "the token is bad". They are kept apart so an
 * operator sees infrastructure trouble separately from viewers with bad tokens.
 */
public enum DenialReason {
    MISSING_TOKEN(Category.INVALID_TOKEN, "missing_token", "no token in the request"),
    MALFORMED_TOKEN(Category.INVALID_TOKEN, "malformed_token", "the token is not a well-formed signed JWT"),
    TOKEN_TOO_LARGE(Category.INVALID_TOKEN, "token_too_large", "the token is larger than allowed"),
    UNSUPPORTED_ALGORITHM(Category.INVALID_TOKEN, "unsupported_algorithm", "the token's algorithm is not allowed"),
    UNKNOWN_KEY(Category.INVALID_TOKEN, "unknown_key", "no configured key matches the token's kid and algorithm"),
    BAD_SIGNATURE(Category.INVALID_TOKEN, "bad_signature", "the signature does not verify"),
    EXPIRED(Category.INVALID_TOKEN, "expired", "the token has expired"),
    NOT_YET_VALID(Category.INVALID_TOKEN, "not_yet_valid", "the token is not valid yet"),
    LIFETIME_TOO_LONG(Category.INVALID_TOKEN, "lifetime_too_long", "the token's lifetime exceeds the maximum"),
    ISSUER_NOT_ALLOWED(Category.INVALID_TOKEN, "issuer_not_allowed", "the token's issuer is not allowed"),
    AUDIENCE_NOT_ALLOWED(Category.INVALID_TOKEN, "audience_not_allowed", "the token's audience is not allowed"),
    MISSING_CLAIM(Category.INVALID_TOKEN, "missing_claim", "the token lacks a required claim"),
    REPLAYED(Category.INVALID_TOKEN, "replayed", "the token was already used"),
    SESSION_LIMIT(Category.INVALID_TOKEN, "session_limit", "the token has reached its session limit"),
    REVOKED(Category.INVALID_TOKEN, "revoked", "the token or session has been revoked"),
    FORBIDDEN(Category.INSUFFICIENT_SCOPE, "forbidden", "the token does not grant this resource"),
    KEY_SOURCE_UNAVAILABLE(Category.UNAVAILABLE, "key_source_unavailable", "the key source is unavailable"),
    REPLAY_STORE_UNAVAILABLE(Category.UNAVAILABLE, "replay_store_unavailable", "the replay store is unavailable"),
    UPSTREAM_OVERLOADED(Category.UNAVAILABLE, "upstream_overloaded", "the upstream is overloaded; retry shortly"),
    MALFORMED_PATH(Category.INVALID_REQUEST, "malformed_path", "the request path is not in canonical form"),
    MALFORMED_QUERY(Category.INVALID_REQUEST, "malformed_query", "the query string is malformed or repeats a parameter"),
    MALFORMED_REQUEST(Category.INVALID_REQUEST, "malformed_request", "the request is malformed"),
    METHOD_NOT_ALLOWED(Category.METHOD_NOT_ALLOWED, "method_not_allowed", "the method is not allowed on this route"),
    NO_ROUTE(Category.NOT_FOUND, "no_route", "no route serves this path"),
    SESSION_NOT_FOUND(Category.UNKNOWN_SESSION, "session_not_found", "no live session matches"),
    UPSTREAM_UNAVAILABLE(Category.BAD_GATEWAY, "upstream_unavailable", "the upstream server is unavailable"),
    UPSTREAM_TIMEOUT(Category.GATEWAY_TIMEOUT, "upstream_timeout", "the upstream server did not answer in time");

    /** How a reason maps onto HTTP: status and {@code error} code. */
    public enum Category {
        INVALID_TOKEN(401, "invalid_token"),
        INSUFFICIENT_SCOPE(403, "insufficient_scope"),
        UNAVAILABLE(503, "temporarily_unavailable"),
        BAD_GATEWAY(502, "bad_gateway"),
        GATEWAY_TIMEOUT(504, "bad_gateway"),
        /** A request the gateway cannot take as it is, before any token is looked at. */
        INVALID_REQUEST(400, "invalid_request"),
        METHOD_NOT_ALLOWED(405, "invalid_request"),
        NOT_FOUND(404, "not_found"),
        UNKNOWN_SESSION(404, "invalid_request");

        private final int status;
        private final String error;

        Category(int status, String error) {
            this.status = status;
            this.error = error;
        }

        public int status() {
            return status;
        }

        public String error() {
            return error;
        }
    }

    private final Category category;
    private final String code;
    private final String message;

    DenialReason(Category category, String code, String message) {
        this.category = category;
        this.code = code;
        this.message = message;
    }

    public Category category() {
        return category;
    }

    public int status() {
        return category.status;
    }

    /** The contract's {@code error} value, e.g. {@code invalid_token}. */
    public String error() {
        return category.error;
    }

    /** The contract's reason code and the metric tag value, e.g. {@code bad_signature}. */
    public String code() {
        return code;
    }

    /** A fixed message that is safe to show a client: never derived from request data. */
    public String message() {
        return message;
    }
}
