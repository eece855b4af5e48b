package io.streamgate.gateway.edge;

import java.util.concurrent.ThreadLocalRandom;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.server.Request;

/**
 * W3C Trace Context ({@code traceparent}, {@code tracestate}) on the way to the origin. Every
 * proxied request — HTTP, HLS and DASH (shield fetches too), the WebSocket upgrade — carries a
 * {@code traceparent}: the viewer's own when it sent exactly one valid header (passed on, in
 * version-00 form), else a new one (random trace id and parent id, flags {@code 00}: not
 * sampled), made once per request ({@link AccessRecord#traceparent()}). A viewer's
 * {@code tracestate} travels only with the viewer's own {@code traceparent}. The trace id is
 * the access line's {@code traceId}.
 *
 * <p>Cheap: validation walks the 55 characters, a new value is two random longs written as
 * hex into one char array; no UUIDs, no regular expressions.
 */
public final class TraceContext {
    public static final String TRACEPARENT = "traceparent";
    public static final String TRACESTATE = "tracestate";
    private static final int LENGTH = 55; // 00-<32 hex>-<16 hex>-<2 hex>

    private TraceContext() {
    }

    /**
     * Sets the {@code traceparent} the origin receives on {@code out} (the viewer's headers,
     * already copied), and drops the viewer's {@code tracestate} when its trace was not
     * continued.
     */
    public static void forward(Request request, HttpFields.Mutable out) {
        AccessRecord record = AccessRecord.of(request);
        String traceparent;
        boolean continued;
        if (record != null) {
            traceparent = record.traceparent();
            continued = record.traceContinued();
        } else {
            String viewers = accept(request.getHeaders());
            continued = viewers != null;
            traceparent = continued ? viewers : make();
        }
        out.put(TRACEPARENT, traceparent);
        if (!continued) {
            out.remove(TRACESTATE);
        }
    }

    /**
     * The viewer's {@code traceparent} in version-00 form when there is exactly one and it is
     * valid (W3C Trace Context level 1, §3.2: lower-case hex, trace id and parent id not all
     * zeros, version not {@code ff}; a later version's first four fields, followed by {@code -}
     * or nothing); null otherwise.
     */
    static String accept(HttpFields headers) {
        String value = null;
        for (int i = 0, n = headers.size(); i < n; i++) {
            HttpField f = headers.getField(i);
            if (f.is(TRACEPARENT)) {
                if (value != null) {
                    return null; // two of them: which would the origin read?
                }
                value = f.getValue();
            }
        }
        return value == null ? null : valid(value);
    }

    /** {@code value} as a version-00 {@code traceparent}, or null when it is not a valid one. */
    static String valid(String value) {
        int n = value.length();
        if (n < LENGTH || !hex(value, 0, 2) || value.charAt(2) != '-' || !hex(value, 3, 35)
                || value.charAt(35) != '-' || !hex(value, 36, 52) || value.charAt(52) != '-' || !hex(value, 53, 55)) {
            return null;
        }
        boolean v00 = value.charAt(0) == '0' && value.charAt(1) == '0';
        if ((value.charAt(0) == 'f' && value.charAt(1) == 'f') || (v00 && n != LENGTH) || (!v00 && n > LENGTH
                && value.charAt(LENGTH) != '-') || zeros(value, 3, 35) || zeros(value, 36, 52)) {
            return null;
        }
        return v00 ? value : "00" + value.substring(2, LENGTH);
    }

    /** A new {@code traceparent}: random trace id and parent id, not sampled. */
    static String make() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        char[] c = new char[LENGTH];
        c[0] = '0';
        c[1] = '0';
        c[2] = '-';
        long hi;
        long lo;
        do {
            hi = r.nextLong();
            lo = r.nextLong();
        } while (hi == 0 && lo == 0);
        Ids.hex(hi, c, 3);
        Ids.hex(lo, c, 19);
        c[35] = '-';
        long span;
        do {
            span = r.nextLong();
        } while (span == 0);
        Ids.hex(span, c, 36);
        c[52] = '-';
        c[53] = '0';
        c[54] = '0';
        return new String(c);
    }

    /** The trace id of a valid {@code traceparent}. */
    static String traceId(String traceparent) {
        return traceparent.substring(3, 35);
    }

    private static boolean hex(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    private static boolean zeros(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (s.charAt(i) != '0') {
                return false;
            }
        }
        return true;
    }
}
