/**
 * Plain HTTP proxying to an upstream: {@link io.streamgate.gateway.proxy.UpstreamProxy} streams
 * requests and answers through Jetty's client without buffering, {@link
 * io.streamgate.gateway.proxy.UpstreamRequest} builds what the origin sees (token stripped,
 * claim headers, forwarding headers), {@link io.streamgate.gateway.proxy.HttpRoute} is a route
 * of {@code type: http}.
 */
package io.streamgate.gateway.proxy;
