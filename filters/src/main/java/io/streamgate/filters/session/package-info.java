/**
 * Viewer sessions as one idea for HLS playbacks and WebSocket connections: each has an opaque
 * {@code sid}, a cap (the {@code exp} of the newest token that opened or renewed it) and a
 * record in the shared store, so that a renewal at one replica moves the cap everywhere.
 * Revocations live in the same store; every replica keeps a {@link
 * io.streamgate.filters.session.RevocationIndex} in memory (one hash lookup per check),
 * refreshed from the store whenever its version changes.
 */
package io.streamgate.filters.session;
