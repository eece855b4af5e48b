/**
 * What a denial and the CORS headers look like on the wire, free of servlet and Jetty types:
 * the servlet {@code Filter} and the gateway's core handlers both write exactly these, so
 * the two adapters answer alike (one contract suite runs against both).
 */
package io.streamgate.filters.http;
