package ai.aegis.worker.runtime;

import java.time.Duration;

/**
 * How a sandbox ended.
 *
 * @param exitCode  the process exit code, -1 when killed
 * @param stdout    captured stdout (its tail when truncated)
 * @param stderr    captured stderr (its tail when truncated)
 * @param truncated true when either stream went over the cap
 * @param timedOut  true when the sandbox was killed at its timeout
 */
public record SandboxResult(int exitCode, String stdout, String stderr, boolean truncated, boolean timedOut,
                            Duration duration) {
}
