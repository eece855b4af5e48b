/** Where tokens are found in a request (query, header, cookie, WebSocket subprotocol) and how they are stripped. */
package io.streamgate.filters.token;
