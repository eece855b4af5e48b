package io.streamgate.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.Test;

import io.streamgate.filters.core.DenialReason;

/** One failure map for every route type: what each upstream failure tells the viewer. */
class UpstreamFailuresTest {
    @Test
    void eachFailureHasItsAnswerWhereverItSitsInTheCauseChain() {
        assertThat(UpstreamFailures.of(new ConnectException("refused"))).isEqualTo(DenialReason.UPSTREAM_UNAVAILABLE);
        assertThat(UpstreamFailures.of(new TimeoutException())).isEqualTo(DenialReason.UPSTREAM_TIMEOUT);
        assertThat(UpstreamFailures.of(new CompletionException(new java.io.IOException(new SocketTimeoutException()))))
                .as("a connect timeout wrapped by the client").isEqualTo(DenialReason.UPSTREAM_TIMEOUT);
        assertThat(UpstreamFailures.of(new RejectedExecutionException("queue full")))
                .isEqualTo(DenialReason.UPSTREAM_OVERLOADED);
        assertThat(UpstreamFailures.of((Throwable) null)).isEqualTo(DenialReason.UPSTREAM_UNAVAILABLE);
        assertThat(DenialReason.UPSTREAM_TIMEOUT.status()).isEqualTo(504);
        assertThat(DenialReason.UPSTREAM_OVERLOADED.status()).isEqualTo(503);
        assertThat(DenialReason.UPSTREAM_UNAVAILABLE.status()).isEqualTo(502);
    }
}
