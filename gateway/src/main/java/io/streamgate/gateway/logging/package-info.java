/**
 * Logging: Logback behind SLF4J, configured from the {@code log} section at the start of
 * {@code run} and {@code demo} ({@link io.streamgate.gateway.logging.Logging}): escaped text
 * lines ({@link io.streamgate.gateway.logging.TextLayout}) or flat JSON lines; the
 * {@code streamgate.access} lines ({@link io.streamgate.gateway.logging.AccessLog}); the
 * rate-limited lines for denials and upstream failures
 * ({@link io.streamgate.gateway.logging.Throttle}); and the redaction every value passes on its
 * way to any appender, whoever logged it ({@link io.streamgate.gateway.logging.Redactor}).
 */
package io.streamgate.gateway.logging;
