package io.streamgate.gateway.runtime;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.streamgate.filters.core.ConfigException;
import io.streamgate.filters.keys.KeyRegistry;
import io.streamgate.filters.keys.VerificationKey;
import io.streamgate.gateway.config.ConfigFiles;
import io.streamgate.gateway.config.GatewayConfig;

/**
 * Live configuration: re-reads the config file and every key file on {@code SIGHUP} or
 * {@code POST /reload}, and picks up a changed key file by itself.
 *
 * <p>A reload builds a new {@link GatewayRuntime} next to the running one and swaps it in with
 * one atomic set: new requests see the whole new configuration, requests under way and live
 * sessions finish on the objects they started with. A config that does not load, or whose
 * runtime does not build (a key file that does not parse...), changes nothing: its problems are
 * logged with their key paths and counted ({@code streamgate_config_reloads_total{result=
 * "rejected"}}). Settings a running gateway cannot change (see
 * {@link GatewayConfig#restartOnlyChanges}) are kept as they run and reported.
 *
 * <p>Key files: a watch service on their folders (a write in place, a rename over) and a
 * check every {@code pollEvery} as a backstop (a slow or missing watch service, network file
 * systems) compare each file's SHA-256 with what its key source was loaded from; a changed file
 * replaces that source's keys alone. A changed file that does not parse keeps the previous
 * keys, is logged and counted ({@code streamgate_keys_fetches_total{result="failure"}}) once
 * per content.
 *
 * <p>Everything runs on one daemon thread, one thing at a time: never on a request thread,
 * never two reloads at once, and a key-file check never races a reload.
 */
public final class ConfigReloader implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigReloader.class);
    /** After a watch event, how long to wait for more before checking (writes come in bursts). */
    private static final long SETTLE_MILLIS = 200;

    private final AtomicReference<GatewayRuntime> current;
    private final GatewayRuntime.Services services;
    private final Supplier<GatewayConfig> source;
    private final ScheduledExecutorService executor;
    private final KeyFileWatcher watcher;
    private final AtomicBoolean checkScheduled = new AtomicBoolean();
    /** Per key source, the SHA-256 of file content refused last (so it is reported once); executor thread only. */
    private final Map<String, byte[]> refused = new HashMap<>();

    /**
     * @param source reads the configuration anew (the config file); null when there is none,
     *               and then a reload re-reads the key files of the running configuration
     */
    ConfigReloader(AtomicReference<GatewayRuntime> current, GatewayRuntime.Services services,
                   Supplier<GatewayConfig> source, Duration pollEvery) {
        this.current = current;
        this.services = services;
        this.source = source != null ? source : () -> current.get().config();
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "streamgate-reload");
            t.setDaemon(true);
            return t;
        });
        this.watcher = new KeyFileWatcher(this::keyFilesMayHaveChanged);
        watcher.watch(keyFolders(current.get().config()));
        long poll = pollEvery.toMillis();
        executor.scheduleWithFixedDelay(() -> checkKeyFilesSafely("periodic check"), poll, poll, TimeUnit.MILLISECONDS);
    }

    /** Reloads the configuration; the future completes (never exceptionally) with what happened. */
    public CompletableFuture<ReloadResult> reload(String trigger) {
        try {
            return CompletableFuture.supplyAsync(() -> reloadNow(trigger), executor);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.completedFuture(ReloadResult.rejected(List.of("(reload): the gateway is stopping")));
        }
    }

    private ReloadResult reloadNow(String trigger) {
        GatewayRuntime running = current.get();
        ReloadResult result;
        try {
            GatewayConfig next = source.get();
            List<String> restart = next.restartOnlyChanges(running.config());
            GatewayRuntime built = GatewayRuntime.build(next.keepingRestartOnly(running.config()), services, running);
            built.authorizer().keys().start(); // a JWKS URL serves its last good keys until refetched
            current.set(built);
            running.retire();
            watcher.watch(keyFolders(built.config()));
            refused.clear();
            result = ReloadResult.applied(running, built, restart);
            if (!running.config().hls().sessionSecret().equals(built.config().hls().sessionSecret())) {
                LOG.warn("config reload: hls.sessionSecret changed: HLS sessions opened before the reload are refused");
            }
        } catch (ConfigException e) {
            result = ReloadResult.rejected(e.problems());
        } catch (RuntimeException e) {
            LOG.error("config reload ({}) failed", trigger, e);
            // the exception's text may quote a value of the config (a URL with its password): the
            // answer names only its type, the log has the rest
            result = ReloadResult.rejected(List.of("(reload): unexpected " + e.getClass().getSimpleName()
                    + ", details in the gateway log"));
        }
        services.gwMetrics().configReload(result.applied());
        if (result.applied()) {
            LOG.info("config reload ({}): {}", trigger, result.summary());
        } else {
            LOG.warn("config reload ({}) rejected, nothing changed; {} problem(s):", trigger, result.problems().size());
            result.problems().forEach(p -> LOG.warn("  {}", p));
        }
        return result;
    }

    /** Called by the watcher thread: checks the key files shortly, once for a burst of events. */
    private void keyFilesMayHaveChanged() {
        if (checkScheduled.compareAndSet(false, true)) {
            try {
                executor.schedule(() -> {
                    checkScheduled.set(false);
                    checkKeyFilesSafely("watch event");
                }, SETTLE_MILLIS, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // stopping
            }
        }
    }

    private void checkKeyFilesSafely(String trigger) {
        try {
            checkKeyFiles(trigger);
        } catch (RuntimeException e) {
            // a throwing periodic task would never run again
            LOG.warn("key file check failed", e);
        }
    }

    /** Compares every key file with what its source was loaded from; replaces the keys of a changed one. */
    void checkKeyFiles(String trigger) {
        GatewayRuntime rt = current.get();
        KeyRegistry registry = rt.authorizer().keys();
        for (GatewayConfig.KeySource k : rt.config().keys()) {
            if (k.file() == null) {
                continue;
            }
            String text;
            try {
                text = ConfigFiles.readKeyText(k.file());
            } catch (ConfigFiles.TooLargeException | ConfigFiles.NotRegularException e) {
                // does not parse: refused and reported (once), the previous keys stay
                text = "(" + e.getMessage() + ")";
            } catch (IOException e) {
                continue; // e.g. between the two steps of a replacement: checked again on the next event or poll
            }
            byte[] hash = sha256(text);
            byte[] loaded = registry.staticSha256(k.path());
            if (loaded == null || Arrays.equals(hash, loaded)) {
                refused.remove(k.path());
                continue;
            }
            if (Arrays.equals(hash, refused.get(k.path()))) {
                continue;
            }
            try {
                List<VerificationKey> keys = registry.reloadStatic(k.path(), text);
                refused.remove(k.path());
                services.sgMetrics().keyFetch(k.path(), true);
                LOG.info("key file {} ({}) changed ({}): now {}", k.path(), k.file(), trigger, keys.stream()
                        .map(x -> x.kid() + " sha256:" + x.spkiSha256()).collect(Collectors.joining(", ")));
            } catch (ConfigException e) {
                refused.put(k.path(), hash);
                services.sgMetrics().keyFetch(k.path(), false);
                LOG.warn("key file {} ({}) changed ({}) but is not usable; keeping its previous keys: {}", k.path(),
                        k.file(), trigger, String.join("; ", e.problems()));
            }
        }
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Set<Path> keyFolders(GatewayConfig config) {
        Set<Path> dirs = new HashSet<>();
        for (GatewayConfig.KeySource k : config.keys()) {
            if (k.file() != null) {
                Path parent = k.file().toAbsolutePath().getParent();
                if (parent != null && Files.isDirectory(parent)) {
                    dirs.add(parent);
                }
            }
        }
        return dirs;
    }

    /**
     * Reloads on {@code SIGHUP} (instead of the JVM's default, which stops the process). Uses
     * {@code sun.misc.Signal} through reflection; where it is missing or the signal cannot be
     * handled (a JVM run with {@code -Xrs}, a platform without SIGHUP) it logs that
     * {@code POST /reload} is the way and returns false.
     */
    public boolean reloadOnSighup() {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            Object handler = Proxy.newProxyInstance(handlerClass.getClassLoader(), new Class<?>[] {handlerClass},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "handle" -> {
                            reload("SIGHUP");
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        case "toString" -> "streamgate SIGHUP reload";
                        default -> null;
                    });
            Object hup = signalClass.getConstructor(String.class).newInstance("HUP");
            Object before = signalClass.getMethod("handle", signalClass, handlerClass).invoke(null, hup, handler);
            if (before != null && before == handlerClass.getField("SIG_IGN").get(null)) {
                // the JVM leaves a signal the process was started ignoring (nohup) ignored, and says so
                // only by answering SIG_IGN: nothing was installed
                LOG.warn("SIGHUP cannot reload here (this process was started with SIGHUP ignored, e.g. under "
                        + "nohup); use POST /reload on the admin listener");
                return false;
            }
            LOG.info("SIGHUP reloads the configuration");
            return true;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            Throwable cause = e instanceof java.lang.reflect.InvocationTargetException ite ? ite.getCause() : e;
            LOG.warn("SIGHUP cannot reload here ({}); use POST /reload on the admin listener", String.valueOf(cause));
            return false;
        }
    }

    @Override
    public void close() {
        watcher.close();
        executor.shutdownNow();
    }
}
