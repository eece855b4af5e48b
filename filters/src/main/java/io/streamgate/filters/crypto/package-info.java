/**
 * Signature verification with a deliberately chosen JCA provider per algorithm (Conscrypt,
 * BouncyCastle, or the JDK), exact signature-length checks, and the key/algorithm fit rules.
 */
package io.streamgate.filters.crypto;
