package io.streamgate.gateway.hls;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;

/**
 * The origin shield of one {@code hls} route: playlists are fetched through a small map of
 * in-flight and recently fetched responses, keyed by the upstream URI without token or
 * credential (LL-HLS {@code _HLS_msn}/{@code _HLS_part}/{@code _HLS_skip} included, as they
 * are part of that URI). Concurrent requests for one playlist share one upstream request
 * (coalescing, always); a fetched playlist is reused for at most the shorter of the origin's
 * {@code Cache-Control} max-age and {@code hls.shieldMaxAge}, and never when the origin says
 * {@code no-store}, {@code no-cache}, {@code private}, sets a cookie, or varies by a header
 * (the gateway drops {@code Accept-Encoding} for playlists, so only that one is honoured).
 * Every viewer still gets its own rewritten copy, with its own credential. At an event
 * start, 10,000 viewers then cost the origin one request per playlist version.
 *
 * <p>{@code Vary}: the key is made before the origin's answer is known, so requests that will
 * turn out to differ in a varied header may wait on one fetch. The answer then goes only to
 * those whose own request would have carried the same values of every header {@code Vary}
 * names ({@link Fetched#sharedWith}); the others fetch for themselves, as for a
 * {@code private} answer. {@code Vary: *} is never shared, and no varying answer is reused.
 * Once an upstream URI answered with {@code Vary}, its later requests are keyed by the varied
 * headers' values as well ({@link #varies}), so such viewers are coalesced apart from the start.
 *
 * <p>Bounded: at most {@code maxEntries} playlists, each at most {@code hls.maxPlaylistBytes}.
 */
public final class PlaylistShield {
    /**
     * A fetched playlist response, shared read-only by every viewer who waited for it.
     *
     * @param sent the request headers the one upstream request carried: a response that varies
     *             ({@code Vary}) is shared only with viewers whose request would have carried the
     *             same values of every varied header ({@link #sharedWith})
     */
    public record Fetched(int status, HttpFields headers, byte[] body, long reuseNanos, boolean shareable,
                          HttpFields sent) {
        public Fetched(int status, HttpFields headers, byte[] body, long reuseNanos) {
            this(status, headers, body, reuseNanos, true, HttpFields.EMPTY);
        }

        /**
         * Whether this response may go to a viewer who joined the fetch, given the headers that
         * viewer's own request would have sent upstream (asked for only when the response varies).
         * No when the origin said it is its requester's alone ({@code private}, a cookie), or
         * {@code Vary: *}; otherwise yes when every header {@code Vary} names has the same values
         * (in order, absent alike) in both requests: the origin would have answered the viewer
         * the same way. A response varying by something the viewers differ in (an
         * {@code X-Who}, an {@code Origin}) is never handed across them.
         */
        public boolean sharedWith(Supplier<HttpFields> viewerSent) {
            if (!shareable) {
                return false;
            }
            HttpFields viewer = null;
            for (String name : headers.getCSV(HttpHeader.VARY, false)) {
                String n = name.trim();
                if (n.isEmpty() || n.equalsIgnoreCase("Accept-Encoding")) {
                    continue; // never forwarded for a playlist (see the class comment): alike for all
                }
                if (n.equals("*")) {
                    return false;
                }
                if (viewer == null) {
                    viewer = viewerSent.get();
                }
                if (!sent.getValuesList(n).equals(viewer.getValuesList(n))) {
                    return false;
                }
            }
            return true;
        }
    }

    /** How a request was served, for the metric of upstream requests saved. */
    public enum Outcome { FETCHED, COALESCED, REUSED }

    /** One lookup's result: the shared fetch and how this request got it. */
    public record Lookup(CompletableFuture<Fetched> fetch, Outcome outcome) {
    }

    private static final long IN_FLIGHT_NANOS = TimeUnit.MINUTES.toNanos(2);

    private final long maxReuseNanos;
    private final Ticker ticker;
    private final Cache<String, Entry> entries;
    /** The header names the last answer for an upstream URI varied by ({@link #varies}), bounded like the entries. */
    private final Cache<String, List<String>> varied;

    public PlaylistShield(java.time.Duration maxReuse, int maxEntries, Ticker ticker) {
        this.maxReuseNanos = maxReuse.toNanos();
        this.ticker = ticker;
        this.entries = Caffeine.newBuilder()
                .maximumSize(maxEntries)
                .ticker(ticker)
                .executor(Runnable::run)
                .expireAfter(new Expiry<String, Entry>() {
                    @Override
                    public long expireAfterCreate(String key, Entry e, long now) {
                        return IN_FLIGHT_NANOS; // bounded even if a fetch never completes
                    }

                    @Override
                    public long expireAfterUpdate(String key, Entry e, long now, long current) {
                        // A lookup that joins an in-flight fetch "updates" it with itself: keep its
                        // deadline; a completed, reusable one lives until its reuse bound.
                        return e.reuseUntil == 0 ? current : Math.max(0, e.reuseUntil - now);
                    }

                    @Override
                    public long expireAfterRead(String key, Entry e, long now, long current) {
                        return current;
                    }
                })
                .build();
        this.varied = Caffeine.newBuilder().maximumSize(maxEntries).ticker(ticker).executor(Runnable::run)
                .expireAfterWrite(java.time.Duration.ofMinutes(10)).build();
    }

    /**
     * The headers the last answer for {@code target} named in its {@code Vary} (empty when it
     * varied by none): requests for it are then keyed by those headers' values too, so viewers
     * who differ in them never wait on one fetch (a {@code Vary: Origin} origin still costs one
     * request per player origin, not one per viewer). Only a hint for the key: a viewer who did
     * wait on an answer it may not have is refused it anyway ({@link Fetched#sharedWith}).
     */
    public List<String> varies(String target) {
        List<String> v = varied.getIfPresent(target);
        return v == null ? List.of() : v;
    }

    /** Remembers which headers an answer for {@code target} varied by (see {@link #varies}). */
    public void answered(String target, HttpFields responseHeaders) {
        List<String> names = new ArrayList<>(2);
        for (String name : responseHeaders.getCSV(HttpHeader.VARY, false)) {
            String n = name.trim().toLowerCase(Locale.ROOT);
            if (!n.isEmpty() && !n.equals("*") && !n.equals("accept-encoding") && !names.contains(n)
                    && names.size() < 16) {
                names.add(n);
            }
        }
        if (names.isEmpty()) {
            varied.invalidate(target);
        } else if (!names.equals(varied.getIfPresent(target))) {
            varied.put(target, List.copyOf(names));
        }
    }

    private static final class Entry {
        final CompletableFuture<Fetched> fetch = new CompletableFuture<>();
        volatile long reuseUntil;
    }

    /**
     * The playlist at {@code key}: an in-flight or still reusable fetch, or a new one started
     * with {@code fetcher} (which must complete its future, normally or exceptionally).
     */
    public Lookup get(String key, Supplier<CompletableFuture<Fetched>> fetcher) {
        Entry[] created = new Entry[1];
        long now = ticker.read();
        Entry e = entries.asMap().compute(key, (k, old) -> {
            if (old != null && (!old.fetch.isDone() || now < old.reuseUntil)) {
                return old;
            }
            created[0] = new Entry();
            return created[0];
        });
        if (created[0] == null) {
            return new Lookup(e.fetch, e.fetch.isDone() ? Outcome.REUSED : Outcome.COALESCED);
        }
        Entry mine = created[0];
        CompletableFuture<Fetched> f;
        try {
            f = fetcher.get();
        } catch (RuntimeException x) {
            f = CompletableFuture.failedFuture(x);
        }
        f.whenComplete((fetched, failure) -> {
            if (fetched != null && fetched.reuseNanos() > 0) {
                mine.reuseUntil = ticker.read() + Math.min(fetched.reuseNanos(), maxReuseNanos);
                entries.asMap().replace(key, mine, mine); // re-times its expiry to the reuse bound
            } else {
                entries.asMap().remove(key, mine); // coalesced only
            }
            if (failure != null) {
                mine.fetch.completeExceptionally(failure);
            } else {
                mine.fetch.complete(fetched);
            }
        });
        return new Lookup(mine.fetch, Outcome.FETCHED);
    }

    /** Playlists held (in flight or reusable). */
    public long size() {
        entries.cleanUp();
        return entries.estimatedSize();
    }

    /**
     * A response as the shield keeps it, with how long it may be reused (0: not at all) and the
     * request headers it answered ({@code sent}).
     */
    public static Fetched fetched(ContentResponse response, HttpFields sent) {
        return new Fetched(response.getStatus(), response.getHeaders().asImmutable(), response.getContent(),
                reuseNanos(response.getStatus(), response.getHeaders()), shareable(response.getHeaders()),
                sent.asImmutable());
    }

    /**
     * False when the origin says the answer is for its requester alone ({@code private}, a
     * cookie): viewers who joined the fetch then fetch for themselves. {@code no-store} answers
     * are shared among the requests that arrived together (coalescing), never reused.
     */
    static boolean shareable(HttpFields headers) {
        for (String directive : headers.getCSV(HttpHeader.CACHE_CONTROL, false)) {
            String d = directive.trim().toLowerCase(Locale.ROOT);
            if (d.equals("private") || d.startsWith("private=")) {
                return false;
            }
        }
        return !headers.contains(HttpHeader.SET_COOKIE);
    }

    /** How long the origin lets a shared cache reuse this response; 0 when it must not. */
    static long reuseNanos(int status, HttpFields headers) {
        if (status != 200 || headers.contains(HttpHeader.SET_COOKIE)) {
            return 0;
        }
        for (String vary : headers.getCSV(HttpHeader.VARY, false)) {
            if (!vary.equalsIgnoreCase("Accept-Encoding")) {
                return 0; // "*" or a header the coalesced requests may differ in
            }
        }
        long maxAge = -1;
        long sMaxAge = -1;
        for (String directive : headers.getCSV(HttpHeader.CACHE_CONTROL, false)) {
            String d = directive.trim().toLowerCase(Locale.ROOT);
            if (d.equals("no-store") || d.equals("no-cache") || d.equals("private") || d.startsWith("private=")
                    || d.startsWith("no-cache=")) {
                return 0;
            }
            if (d.startsWith("max-age=")) {
                maxAge = seconds(d.substring(8));
            } else if (d.startsWith("s-maxage=")) {
                sMaxAge = seconds(d.substring(9));
            }
        }
        long age = sMaxAge >= 0 ? sMaxAge : maxAge;
        if (age <= 0) {
            return 0; // no freshness given: coalesce, do not reuse
        }
        String ageHeader = headers.get(HttpHeader.AGE);
        long already = ageHeader == null ? 0 : Math.max(0, seconds(ageHeader));
        return TimeUnit.SECONDS.toNanos(Math.max(0, age - already));
    }

    private static long seconds(String s) {
        try {
            return Long.parseLong(s.trim().replace("\"", ""));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The headers a viewer who did not start the fetch gets: no cookie meant for another viewer. */
    static boolean sharedHeader(HttpField f) {
        return f.getHeader() != HttpHeader.SET_COOKIE;
    }
}
