/** Replay protection by {@code (iss, jti)}: one asynchronous store interface, memory and Redis implementations. */
package io.streamgate.filters.replay;
