package io.streamgate.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.eclipse.jetty.http.HttpHeader;
import org.junit.jupiter.api.Test;

/** what the Hooks refactor made public must not let a caller change the proxy. */
class UpstreamProxyInvariantsTest {
    /**
     * REWRITTEN_AWAY went from protected to public and is a mutable EnumSet: any class can drop
     * Content-Length from it, after which a rewritten playlist goes out with the origin's
     * Content-Length beside the gateway's (HlsRoute.answer) or the proxied one keeps validators.
     */
    @Test
    void theHeadersARewriteDropsCannotBeChangedFromOutside() {
        assertThatThrownBy(() -> UpstreamProxy.REWRITTEN_AWAY.remove(HttpHeader.CONTENT_LENGTH))
                .isInstanceOf(UnsupportedOperationException.class);
    }
}
