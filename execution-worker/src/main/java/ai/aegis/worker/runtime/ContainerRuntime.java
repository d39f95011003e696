package ai.aegis.worker.runtime;

import java.nio.file.attribute.UserPrincipal;
import java.util.Optional;

/**
 * Runs one iteration of an agent ({@code bootstrap.py} and the commands it is dispatched) in a sandbox, from a fresh
 * sandbox to its removal. Implementations: Docker, bubblewrap, and process (no isolation).
 */
public interface ContainerRuntime {

    /** e.g. {@code process}, {@code docker}, {@code bubblewrap}. */
    String name();

    /** False for runtimes that give the agent no isolation from the host; the worker warns on every execution. */
    boolean isolates();

    /**
     * The host user that the sandbox's processes connect to the dispatch socket as, which the socket then admits
     * alone ({@link GatewaySocket}). Empty: the worker's own user, as under bubblewrap (the sandbox's uid maps to the
     * worker's) and for plain processes.
     */
    default Optional<UserPrincipal> gatewayClient() {
        return Optional.empty();
    }

    /**
     * Runs the sandbox to completion. Blocks the calling (virtual) thread. Never throws for a failure of the agent
     * itself (non-zero exit, timeout): those are in the result. Throws only when the sandbox could not be created.
     *
     * @param output receives console lines as they are produced
     */
    SandboxResult run(SandboxSpec spec, OutputListener output) throws SandboxException;

    /** Console lines of a running sandbox. Called from the runtime's reader threads. */
    @FunctionalInterface
    interface OutputListener {
        /** @param stream {@code stdout} or {@code stderr} */
        void line(String stream, String line);

        /**
         * The runtime's id of the sandbox, once it exists and before it runs (a Docker container's id), for the
         * attestation to compare with what the sandbox says it is. Runtimes without such ids never call it.
         */
        default void sandboxCreated(String sandboxId) {
        }
    }

    /**
     * A listener that gathers console output itself: it takes the bytes as they were read, newlines included, one
     * call per read instead of one per line ({@link OutputTail} hands them over so). A sandbox printing tens of MiB
     * of short lines would otherwise cost a call and two allocations per line.
     */
    interface ByteListener extends OutputListener {
        /** The first {@code length} bytes of {@code chunk}; the array is reused after the call returns. */
        void bytes(String stream, byte[] chunk, int length);
    }
}
