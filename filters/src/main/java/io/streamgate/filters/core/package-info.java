/**
 * The vocabulary every step of the pipeline shares, and nothing else: the request as the
 * library sees it ({@link io.streamgate.filters.core.RequestView}, its canonical path, query
 * and cookies, the client address rule), the contract's
 * {@link io.streamgate.filters.core.DenialReason}s, {@link
 * io.streamgate.filters.core.ConfigException} (names the key at fault) and tickers. It depends
 * on no other StreamGate package.
 */
package io.streamgate.filters.core;
