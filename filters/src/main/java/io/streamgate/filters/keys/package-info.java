/**
 * Public keys by {@code kid}: static PEM/JWK/JWKS sources and remote JWKS URLs fetched
 * asynchronously with single-flight early refetch and last-good-keys fallback.
 */
package io.streamgate.filters.keys;
