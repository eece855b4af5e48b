/**
 * Viewer sessions as the gateway serves them: the sealed HLS session credential ({@link
 * io.streamgate.gateway.session.SessionCredentials}, AES-GCM, no claim readable) and the
 * renewal endpoint {@code POST /_streamgate/renew} ({@link io.streamgate.gateway.session.Renewal}).
 * The session model itself (records, revocations, propagation) is {@code
 * io.streamgate.filters.session}.
 */
package io.streamgate.gateway.session;
