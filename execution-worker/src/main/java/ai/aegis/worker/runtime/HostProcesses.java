package ai.aegis.worker.runtime;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Ending host processes that run sandboxes (the process runtime's agents, bwrap), so that a run never hangs. */
public final class HostProcesses {

    /** How long to wait for a killed process and for reader threads before giving up on them. */
    public static final Duration KILL_GRACE = Duration.ofSeconds(5);

    private static final System.Logger LOG = System.getLogger(HostProcesses.class.getName());

    private HostProcesses() {
    }

    /**
     * Kills the process and every descendant. Descendants are collected before the parent dies, because once it is
     * gone its orphans are re-parented and no longer reachable from it; the snapshot is taken twice to catch a child
     * forked while the first round was being killed.
     */
    public static void killTree(Process process) {
        for (int round = 0; round < 2; round++) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
        }
        process.destroyForcibly();
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        try {
            process.waitFor(KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Waits for the output readers to reach end of stream. A descendant that escaped the kill may still hold the
     * pipes open: after the grace period the streams are closed and whatever was captured is reported. The caller's
     * interrupt flag is kept.
     */
    public static void joinReaders(Process process, Thread... readers) {
        long deadline = System.nanoTime() + KILL_GRACE.toNanos();
        boolean interrupted = Thread.interrupted();
        for (Thread reader : readers) {
            try {
                reader.join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        boolean stuck = false;
        for (Thread reader : readers) {
            stuck |= reader.isAlive();
        }
        if (stuck) {
            LOG.log(System.Logger.Level.WARNING, "sandbox process {0} left a descendant holding its output open;"
                    + " output may be incomplete", process.pid());
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            closeQuietly(process);
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(Process process) {
        try {
            process.getInputStream().close();
        } catch (IOException ignored) {
            // best effort
        }
        try {
            process.getErrorStream().close();
        } catch (IOException ignored) {
            // best effort
        }
    }
}
