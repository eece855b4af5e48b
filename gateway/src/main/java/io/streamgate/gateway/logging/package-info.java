/**
 * Logging: Logback behind SLF4J, configured from the {@code log} section at the start of
 * {@code run} and {@code demo} ({@link io.streamgate.gateway.logging.Logging}); the
 * {@code streamgate.access} lines ({@link io.streamgate.gateway.logging.AccessLog}); the
 * rate-limited lines for denials and upstream failures; and the backstop that keeps any line
 * carrying a token or a session credential out of every appender
 * ({@link io.streamgate.gateway.logging.CredentialFilter}).
 */
package io.streamgate.gateway.logging;
