/** All meters of the verification library, declared in one class ({@link io.streamgate.filters.metrics.StreamGateMetrics}). */
package io.streamgate.filters.metrics;
