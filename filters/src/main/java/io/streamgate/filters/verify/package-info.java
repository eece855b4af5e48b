/**
 * Token verification: strict shape and header checks, signature, claims, and the
 * verified-token cache. Failures are {@link io.streamgate.filters.core.DenialReason} values.
 */
package io.streamgate.filters.verify;
