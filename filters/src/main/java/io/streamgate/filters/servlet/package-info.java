/** The jakarta.servlet 6 adapter: {@link io.streamgate.filters.servlet.StreamGateFilter} and the contract's denial responses. */
package io.streamgate.filters.servlet;
