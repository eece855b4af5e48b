package io.streamgate.gateway.runtime;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the folders that hold key files and calls {@code onChange} (which must return at
 * once) after any change in them: a file written in place, or one renamed over (write a
 * temporary file, then {@code mv}; also Kubernetes' {@code ..data} symlink swap). Folders,
 * not files: a rename replaces the file a watch on it would follow. One daemon thread that
 * only waits and signals; reading and parsing happen elsewhere. Where the platform has no
 * working watch service this does nothing and the gateway's periodic check finds the change.
 */
final class KeyFileWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KeyFileWatcher.class);

    private final WatchService service;
    private final Runnable onChange;
    private final Map<Path, WatchKey> watched = new HashMap<>();
    private final Thread thread;

    KeyFileWatcher(Runnable onChange) {
        this.onChange = onChange;
        WatchService ws = null;
        try {
            ws = FileSystems.getDefault().newWatchService();
        } catch (IOException | UnsupportedOperationException e) {
            LOG.info("no file watch service ({}): key files are checked periodically only", e.toString());
        }
        this.service = ws;
        this.thread = ws == null ? null : new Thread(this::run, "streamgate-keywatch");
        if (thread != null) {
            thread.setDaemon(true);
            thread.start();
        }
    }

    /** Watches exactly these folders from now on. */
    synchronized void watch(Set<Path> folders) {
        if (service == null) {
            return;
        }
        watched.entrySet().removeIf(e -> {
            if (!folders.contains(e.getKey())) {
                e.getValue().cancel();
                return true;
            }
            return false;
        });
        for (Path dir : folders) {
            if (!watched.containsKey(dir)) {
                try {
                    watched.put(dir, dir.register(service, StandardWatchEventKinds.ENTRY_CREATE,
                            StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE));
                } catch (IOException | RuntimeException e) {
                    LOG.warn("cannot watch {} ({}): its key files are checked periodically only", dir, e.toString());
                }
            }
        }
    }

    private void run() {
        try {
            while (true) {
                WatchKey key = service.take();
                key.pollEvents(); // what changed does not matter: every key file is compared by content
                key.reset();
                onChange.run();
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closed: the gateway stops
        } catch (RuntimeException e) {
            LOG.warn("key file watcher stopped ({}): key files are checked periodically only", e.toString());
        }
    }

    @Override
    public void close() {
        if (service != null) {
            try {
                service.close();
            } catch (IOException e) {
                // nothing to do: closing
            }
            thread.interrupt();
        }
    }
}
