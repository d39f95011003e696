package ai.aegis.topology.lifecycle;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What a start-up has opened so far (clients, tails, listeners, whole services), so that a failure at a later step
 * closes exactly that, newest first, instead of leaking it. A start adds each resource as it opens it; when it fails,
 * it calls {@link #closeAll(Throwable)} and rethrows; when it succeeds, the owner of the resources closes them through
 * {@link #close()} later.
 */
public final class Closer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Closer.class.getName());

    private final Deque<AutoCloseable> opened = new ArrayDeque<>();

    /** Remembers {@code resource}, to be closed before everything added earlier. */
    public synchronized <T extends AutoCloseable> T add(T resource) {
        opened.push(resource);
        return resource;
    }

    /**
     * Closes everything added, newest first. A resource that fails to close does not keep the others open: its
     * failure is added to {@code cause} as suppressed when there is one (a start that failed), else logged.
     */
    public synchronized void closeAll(Throwable cause) {
        while (!opened.isEmpty()) {
            AutoCloseable resource = opened.pop();
            try {
                resource.close();
            } catch (Exception e) {
                if (cause != null) {
                    cause.addSuppressed(e);
                } else {
                    LOG.log(System.Logger.Level.WARNING, "closing " + resource + " failed: " + e);
                }
            }
        }
    }

    @Override
    public void close() {
        closeAll(null);
    }
}
