/**
 * Viewer sessions as one model for HLS playbacks and WebSocket connections. A session has an
 * opaque {@code sid} and a record in the shared store ({@link
 * io.streamgate.filters.session.SessionRecord}): its state ({@code open}, {@code revoked},
 * {@code evicted}, {@code ended}), the chain of token ids that opened and renewed it, its cap
 * and when it opened. Every change of a record is one atomic store operation; caps only move
 * forward; a session leaves {@code open} once and for good.
 *
 * <p>Every replica keeps what a request needs locally — the revocations in force ({@link
 * io.streamgate.filters.session.RevocationIndex}) and the sessions that ended — and keeps it
 * current by reading the store's change log ({@link io.streamgate.filters.session.Sessions}),
 * so the per-request and per-segment checks never call the store, and neither a check nor a
 * change costs more with more revocations stored.
 */
package io.streamgate.filters.session;
