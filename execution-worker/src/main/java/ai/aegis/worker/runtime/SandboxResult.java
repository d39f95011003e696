package ai.aegis.worker.runtime;

import java.time.Duration;

/**
 * How a sandbox ended.
 *
 * <p>Why it ended is one {@link Ending} rather than a boolean per cause: the causes exclude each other (a sandbox
 * killed at its timeout has no exit status that could also say out of memory), and one value cannot claim two of
 * them at once, as two flags could.
 *
 * @param exitCode  the process exit code; {@link #NO_EXIT_CODE} when the runtime killed the sandbox before it exited
 *                  (timeout, cancellation) or lost its status. An out-of-memory kill keeps the code the runtime saw
 *                  ({@link #SIGKILL_STATUS} under Docker).
 * @param stdout    captured stdout (its tail when truncated)
 * @param stderr    captured stderr (its tail when truncated), with the runtime's own closing line when it added one
 *                  (such as {@link #outOfMemoryLine})
 * @param truncated true when either stream went over the cap
 * @param ending    why the sandbox ended
 */
public record SandboxResult(int exitCode, String stdout, String stderr, boolean truncated, Ending ending,
                            Duration duration) {

    /** The exit code of a sandbox that did not exit by itself, or whose status was lost. */
    public static final int NO_EXIT_CODE = -1;
    /**
     * A process killed by SIGKILL (signal 9) as shells report it, 128 + 9; Docker and the JDK on Unix report a
     * signal death the same way. The kernel's OOM killer and {@code kill -9} both end a process so.
     */
    public static final int SIGKILL_STATUS = 137;
    /**
     * The same death as a negated signal number, the convention of Python's {@code subprocess} and other process
     * APIs: read as a kill too, so that a runtime reporting that way is understood.
     */
    public static final int SIGKILL_NEGATED = -9;

    /** Why a sandbox ended. */
    public enum Ending {
        /** The command exited by itself; {@code exitCode} is its status, zero or not. */
        EXITED,
        /**
         * Killed at the spec's timeout. The process runtime also reports a worker interrupt (shutdown, cancel) so:
         * it kills the sandbox at once, as at a timeout.
         */
        TIMED_OUT,
        /**
         * Killed for going over the spec's memory limit, when the runtime can tell: Docker reads the container's
         * {@code OOMKilled} state. Bubblewrap's limit is on address space, so an allocation beyond it fails inside
         * the agent instead of killing it; the process runtime sets no limit. Neither reports this.
         */
        OUT_OF_MEMORY,
        /**
         * Killed by the runtime for another reason than a limit, with no exit status: the worker interrupted the
         * run (cancellation, shutdown) or lost the container engine while waiting.
         */
        KILLED
    }

    public boolean timedOut() {
        return ending == Ending.TIMED_OUT;
    }

    public boolean outOfMemory() {
        return ending == Ending.OUT_OF_MEMORY;
    }

    /** Whether the exit code says SIGKILL, in either convention ({@link #SIGKILL_STATUS}, {@link #SIGKILL_NEGATED}). */
    public boolean sigkilled() {
        return exitCode == SIGKILL_STATUS || exitCode == SIGKILL_NEGATED;
    }

    /**
     * The line a runtime that detects an out-of-memory kill adds to stderr, and the iteration's error text:
     * {@code [AEGIS] killed: out of memory (limit 64 MiB)}.
     */
    public static String outOfMemoryLine(long memoryBytes) {
        return "[AEGIS] killed: out of memory (limit " + (memoryBytes >> 20) + " MiB)";
    }
}
