/**
 * The Redis implementations of the shared stores: {@link
 * io.streamgate.filters.redis.RedisReplayStore} (jti one-time use, sharing-limit leases) and
 * {@link io.streamgate.filters.redis.RedisSessionStore} (session records, revocations, the
 * change log every replica follows), on one Lettuce connection per topology (standalone,
 * Sentinel, Cluster). Each change is one Lua script or one command, so replicas never see half
 * of one. The in-memory stores live beside their interfaces in {@code replay} and {@code session}.
 */
package io.streamgate.filters.redis;
