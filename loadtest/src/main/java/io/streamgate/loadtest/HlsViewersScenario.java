package io.streamgate.loadtest;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hls-viewers}: each viewer behaves like a live HLS player. It fetches the target (a
 * master playlist, with the token), picks the first variant, then reloads that media
 * playlist every target duration (half of it when nothing changed, as RFC 8216 asks) and
 * fetches each new segment in order, one at a time, starting {@code --start-segments} from
 * the live edge. Child URIs are resolved against the playlist URL and followed as written —
 * through the gateway they carry {@code ?sg_session=...}, so the token is sent once; a target
 * that is already a media playlist is reloaded with the token. URIs to hosts the safety
 * policy refuses are counted as {@code refused_target} and never requested.
 */
@Command(name = "hls-viewers", mixinStandardHelpOptions = true,
        description = "N live HLS players per target: master, then media playlist reloads and every new segment.")
final class HlsViewersScenario extends Scenario {
    static final int MAX_PLAYLIST_BYTES = 4 * 1024 * 1024;
    static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);

    @Option(names = "--viewers", paramLabel = "N", defaultValue = "10",
            description = "Viewers per target (default ${DEFAULT-VALUE}).")
    int viewers;

    @Option(names = "--ramp", paramLabel = "D", defaultValue = "1s",
            description = "Spread the viewers' starts over this long (default ${DEFAULT-VALUE}).")
    String ramp;

    @Option(names = "--start-segments", paramLabel = "N", defaultValue = "3",
            description = "Segments fetched back from the live edge at start (default ${DEFAULT-VALUE}).")
    int startSegments;

    @Override
    Duration defaultDuration() {
        return Duration.ofSeconds(30);
    }

    @Override
    void drive(LoadRun run) {
        positive("--viewers", viewers);
        positive("--start-segments", startSegments);
        Duration rampTime = CommonOptions.parseOrZero("--ramp", ramp);
        int k = run.targets.size();
        int total = Math.multiplyExact(viewers, k);
        run.parameters.put("viewersPerTarget", viewers);
        run.parameters.put("ramp", ramp);
        List<String> tokens = run.tokens.take(total);
        List<Viewer> all = new ArrayList<>(total);
        for (int j = 0; j < total; j++) {
            Target t = run.targets.get(j % k);
            all.add(new Viewer(run, run.recorders.get(j % k), t.httpUri(), tokens.get(j), startSegments));
        }
        run.start();
        for (int j = 0; j < total; j++) {
            long delay = rampTime.toNanos() * j / total;
            run.timer.schedule(all.get(j)::fetchMaster, delay, TimeUnit.NANOSECONDS);
        }
        run.awaitDeadline();
        run.stop();
        run.awaitIdle(run.timeout.plus(Duration.ofSeconds(1)));
    }

    /** One player. State is guarded by the instance; callbacks run on client and timer threads. */
    static final class Viewer {
        private final LoadRun run;
        private final Recorder r;
        private final URI master;
        private final String token;
        private final int startSegments;
        private final ArrayDeque<URI> queue = new ArrayDeque<>();
        private URI media;
        private boolean mediaWithToken;
        private long nextSequence = -1;
        private boolean fetching;

        Viewer(LoadRun run, Recorder r, URI master, String token, int startSegments) {
            this.run = run;
            this.r = r;
            this.master = master;
            this.token = token;
            this.startSegments = startSegments;
        }

        void fetchMaster() {
            if (!run.running() || !r.tryIssue()) {
                return;
            }
            run.get(master, token, r, System.nanoTime(), MAX_PLAYLIST_BYTES, true, o -> {
                if (!o.ok() || o.body() == null) {
                    later(this::fetchMaster, RETRY_NANOS);
                    return;
                }
                r.counter("playlists").increment();
                Playlist p = Playlist.parse(o.body());
                if (!p.master()) {
                    synchronized (this) {
                        media = master;
                        mediaWithToken = true;
                    }
                    onMedia(p, System.nanoTime());
                    return;
                }
                URI variant = p.variants().isEmpty() ? null : resolve(master, p.variants().get(0));
                if (variant == null) {
                    if (p.variants().isEmpty()) {
                        r.recordError("no_variant");
                    }
                    return;
                }
                synchronized (this) {
                    media = variant;
                }
                reloadMedia();
            }, null);
        }

        void reloadMedia() {
            if (!run.running() || !r.tryIssue()) {
                return;
            }
            URI uri;
            boolean withToken;
            synchronized (this) {
                uri = media;
                withToken = mediaWithToken;
            }
            long t0 = System.nanoTime();
            run.get(uri, withToken ? token : null, r, t0, MAX_PLAYLIST_BYTES, true, o -> {
                if (!o.ok() || o.body() == null) {
                    later(this::reloadMedia, RETRY_NANOS);
                    return;
                }
                r.counter("playlists").increment();
                onMedia(Playlist.parse(o.body()), t0);
            }, null);
        }

        private void onMedia(Playlist p, long loadStartNanos) {
            boolean changed;
            boolean startFetching = false;
            synchronized (this) {
                long first = p.mediaSequence();
                long last = first + p.segments().size() - 1;
                if (nextSequence < 0) {
                    nextSequence = Math.max(first, last - startSegments + 1);
                }
                if (nextSequence < first) {
                    r.counter("skipped_segments").add(first - nextSequence);
                    nextSequence = first;
                }
                changed = last >= nextSequence;
                for (long s = nextSequence; s <= last; s++) {
                    URI u = resolve(media, p.segments().get((int) (s - first)));
                    if (u != null) {
                        queue.add(u);
                    }
                }
                nextSequence = Math.max(nextSequence, last + 1);
                if (!fetching && !queue.isEmpty()) {
                    fetching = true;
                    startFetching = true;
                }
            }
            if (startFetching) {
                fetchNextSegment();
            }
            if (p.endList()) {
                return; // not live: nothing more will appear
            }
            long wait = (long) (p.targetDuration() * (changed ? 1e9 : 0.5e9)) - (System.nanoTime() - loadStartNanos);
            later(this::reloadMedia, Math.max(0, wait));
        }

        private void fetchNextSegment() {
            URI u;
            synchronized (this) {
                u = queue.poll();
                if (u == null || !run.running() || !r.tryIssue()) {
                    fetching = false;
                    return;
                }
            }
            run.get(u, null, r, System.nanoTime(), 0, true, o -> {
                if (o.ok()) {
                    r.counter("segments").increment();
                }
                fetchNextSegment();
            }, null);
        }

        private void later(Runnable task, long delayNanos) {
            if (run.running()) {
                try {
                    run.timer.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    // the run is closing
                }
            }
        }

        /** The child URI resolved against its playlist, or null (counted) when unusable or refused. */
        private URI resolve(URI base, String ref) {
            URI u;
            try {
                u = base.resolve(new URI(ref));
            } catch (URISyntaxException | IllegalArgumentException e) {
                r.recordError("bad_uri");
                return null;
            }
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                r.recordError("bad_uri");
                return null;
            }
            if (!run.policy.allows(u)) {
                r.recordError("refused_target");
                return null;
            }
            return u;
        }
    }
}
