/**
 * MPEG-DASH manifests on HLS routes: {@link io.streamgate.gateway.dash.MpdRewriter} rewrites an
 * MPD (BaseURL, SegmentTemplate, SegmentList, …) so each URL it resolves to carries the
 * session credential. A small scanner of its own, not an XML parser: it never resolves entities
 * or reads a DTD; a manifest with a DOCTYPE, or not well-formed, goes out unchanged.
 */
package io.streamgate.gateway.dash;
