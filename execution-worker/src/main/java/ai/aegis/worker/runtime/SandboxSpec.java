package ai.aegis.worker.runtime;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What one sandbox runs.
 *
 * @param executionId     the execution, for labels and workspace names
 * @param iteration       1-based iteration number
 * @param image           container image, or null to choose one from {@code language}/{@code languageVersion}
 *                        (ignored by runtimes without images)
 * @param argv            the command, e.g. {@code [python3, /aegis/bootstrap.py, <prompt>]}; runtimes map
 *                        {@link BootstrapScript#SANDBOX_PATH} to where they put the script
 * @param env             the complete environment of the sandbox (already allow-listed by the caller)
 * @param timeout         wall-clock limit; on expiry the sandbox is killed and the result says timedOut
 * @param maxOutputBytes  cap for each of stdout and stderr kept in the result (the tail is kept)
 * @param cpuMillicores   CPU limit where the runtime can enforce it
 * @param memoryBytes     memory limit where the runtime can enforce it
 * @param networkAllowed  whether the agent may open network connections
 * @param language        with {@code languageVersion}: the runtime registry picks the image when {@code image} is null
 * @param languageVersion see {@code language}
 * @param pullPolicy      Always | IfNotPresent | Never
 * @param pidsLimit       maximum number of processes in the sandbox, 0 for the runtime's default
 * @param dispatchSocket  host path of a Unix socket that reaches the dispatch gateway; runtimes expose it inside the
 *                        sandbox at {@link #SANDBOX_SOCKET} (null: the sandbox reaches the gateway over TCP)
 *
 * <p>Cancellation: when the calling thread is interrupted, a runtime kills and removes the sandbox, returns what it
 * captured, and leaves the thread's interrupt flag set.
 */
public record SandboxSpec(String executionId, int iteration, String image, List<String> argv, Map<String, String> env,
                          Duration timeout, long maxOutputBytes, long cpuMillicores, long memoryBytes,
                          boolean networkAllowed, String language, String languageVersion, String pullPolicy,
                          long pidsLimit, Path dispatchSocket) {

    /** Where the dispatch socket appears inside a sandbox; {@code AEGIS_DISPATCH_SOCKET} names this path. */
    public static final String SANDBOX_SOCKET = "/aegis/dispatch.sock";
    public static final long DEFAULT_PIDS_LIMIT = 256;

    /** A spec without image selection and without a dispatch socket (the sandbox reaches the gateway over TCP). */
    public SandboxSpec(String executionId, int iteration, String image, List<String> argv, Map<String, String> env,
                       Duration timeout, long maxOutputBytes, long cpuMillicores, long memoryBytes,
                       boolean networkAllowed) {
        this(executionId, iteration, image, argv, env, timeout, maxOutputBytes, cpuMillicores, memoryBytes,
                networkAllowed, null, null, "IfNotPresent", DEFAULT_PIDS_LIMIT, null);
    }
}
