package ai.aegis.worker.runtime.docker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * The worker process that runs a container, written on the container as a label so that a worker starting later can
 * tell whether that process is provably gone: same boot of the same machine, same pid namespace (so the pid means
 * the same process), and no process with that pid and that start time any more. Anything it cannot prove, such as a
 * container of a worker in another pid namespace (another container, another machine sharing the engine), it leaves
 * alone.
 *
 * @param bootId        the kernel's boot id ({@code /proc/sys/kernel/random/boot_id}); empty when unknown
 * @param pidNamespace  the worker's pid namespace ({@code /proc/self/ns/pid}, e.g. {@code pid:[4026531836]}); empty
 *                      when unknown
 * @param pid           the worker's process id in that namespace
 * @param startedMillis when that process started, as the JDK reports it
 */
record SandboxOwner(String bootId, String pidNamespace, long pid, long startedMillis) {

    /** Whether a process with that pid and start time runs now (a reused pid has another start time). */
    @FunctionalInterface
    interface Processes {
        boolean runs(long pid, long startedMillis);

        /** This machine's processes, as the JDK sees them. */
        Processes HOST = (pid, startedMillis) -> ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                .map(process -> process.info().startInstant().map(Instant::toEpochMilli)
                        .map(started -> started == startedMillis).orElse(true)) // no start time: assume it is ours
                .orElse(false);
    }

    SandboxOwner {
        bootId = bootId == null ? "" : bootId.strip();
        pidNamespace = pidNamespace == null ? "" : pidNamespace.strip();
    }

    /** This JVM. */
    static SandboxOwner current() {
        ProcessHandle self = ProcessHandle.current();
        return new SandboxOwner(read(Path.of("/proc/sys/kernel/random/boot_id")), link(Path.of("/proc/self/ns/pid")),
                self.pid(), self.info().startInstant().map(Instant::toEpochMilli).orElse(0L));
    }

    /** {@code <boot id>/<pid namespace>/<pid>/<start millis>}: what the label holds. */
    String label() {
        return bootId + "/" + pidNamespace + "/" + pid + "/" + startedMillis;
    }

    /** The owner a label names; empty when it is missing or not of this form. */
    static Optional<SandboxOwner> parse(String label) {
        if (label == null) {
            return Optional.empty();
        }
        String[] parts = label.split("/", -1);
        if (parts.length != 4) {
            return Optional.empty();
        }
        try {
            return Optional.of(new SandboxOwner(parts[0], parts[1], Long.parseLong(parts[2]),
                    Long.parseLong(parts[3])));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * True only when this owner is certainly dead as seen from {@code observer}: both on the same boot and in the same
     * pid namespace, both known, and no process of that pid and start time runs.
     */
    boolean provablyGone(SandboxOwner observer, Processes processes) {
        if (bootId.isEmpty() || pidNamespace.isEmpty()) {
            return false;
        }
        return bootId.equals(observer.bootId) && pidNamespace.equals(observer.pidNamespace)
                && !processes.runs(pid, startedMillis);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            return "";
        }
    }

    private static String link(Path file) {
        try {
            return Files.readSymbolicLink(file).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return "";
        }
    }
}
