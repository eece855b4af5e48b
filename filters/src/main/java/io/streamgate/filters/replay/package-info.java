/**
 * Replay protection by {@code (iss, jti)}: one asynchronous store interface, memory and Redis
 * implementations, and the {@link io.streamgate.filters.replay.Admission} an allowed request
 * holds until it is settled (a one-time jti is consumed only when the origin accepted it).
 */
package io.streamgate.filters.replay;
