/**
 * Where every public request starts: {@link io.streamgate.gateway.edge.EdgeHandler} (path and
 * query checks, route by longest prefix, CORS, methods), the route table a configuration builds
 * ({@link io.streamgate.gateway.edge.RouteTable}, {@link io.streamgate.gateway.edge.RouteEntry}),
 * the {@link io.streamgate.gateway.edge.Exchange} a route handler gets, the authorisation step
 * off the selector thread ({@link io.streamgate.gateway.edge.Authorization}), the denial and
 * error answers ({@link io.streamgate.gateway.edge.Answers}, {@link
 * io.streamgate.gateway.edge.JsonErrors}) and the access record every request finishes in;
 * and the listeners' defences against clients that hold connections without using them
 * ({@link io.streamgate.gateway.edge.HeaderDeadline}, {@link io.streamgate.gateway.edge.MinBodyRate},
 * {@link io.streamgate.gateway.edge.ClientShare}).
 * Features (proxy, hls, websocket, session, admin) build on this package; it knows none of them.
 */
package io.streamgate.gateway.edge;
