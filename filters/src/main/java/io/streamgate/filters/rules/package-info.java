/** Route grant rules (the contract's {@code require} language), compiled at config load. */
package io.streamgate.filters.rules;
