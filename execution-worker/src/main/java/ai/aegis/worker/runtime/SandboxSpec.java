package ai.aegis.worker.runtime;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What one sandbox runs.
 *
 * @param executionId    the execution, for labels and workspace names
 * @param iteration      1-based iteration number
 * @param image          container image (ignored by the process runtime), may be null
 * @param argv           the command, e.g. {@code [python3, /aegis/bootstrap.py, <prompt>]}; the runtime maps the
 *                       bootstrap path it was given to where it put the script
 * @param env            the complete environment of the sandbox (already allow-listed by the caller)
 * @param timeout        wall-clock limit; on expiry the sandbox is killed and the result says timedOut
 * @param maxOutputBytes cap for each of stdout and stderr kept in the result (the tail is kept)
 * @param cpuMillicores  CPU limit where the runtime can enforce it
 * @param memoryBytes    memory limit where the runtime can enforce it
 * @param networkAllowed whether the agent may open network connections
 */
public record SandboxSpec(String executionId, int iteration, String image, List<String> argv, Map<String, String> env,
                          Duration timeout, long maxOutputBytes, long cpuMillicores, long memoryBytes,
                          boolean networkAllowed) {
}
