package ai.aegis.worker.validation;

import java.util.Objects;

/**
 * What one iteration produced, as the validators see it.
 *
 * @param task     the execution's intent (the rendered task), handed to judges
 * @param output   the iteration's stdout: the agent's answer
 * @param exitCode the bootstrap process's exit code
 * @param stderr   the iteration's stderr, as captured (bootstrap debug lines included)
 */
public record ValidationInput(String task, String output, int exitCode, String stderr) {

    /** Lines bootstrap.py writes for its own diagnostics; they say nothing about the agent's work. */
    static final String BOOTSTRAP_PREFIX = "[BOOTSTRAP ";

    public ValidationInput {
        task = Objects.requireNonNullElse(task, "");
        output = Objects.requireNonNullElse(output, "");
        stderr = Objects.requireNonNullElse(stderr, "");
    }

    /** stderr without the lines bootstrap.py writes in debug mode, so turning debugging on cannot fail a run. */
    public String agentStderr() {
        if (!stderr.contains(BOOTSTRAP_PREFIX)) {
            return stderr;
        }
        StringBuilder kept = new StringBuilder(stderr.length());
        for (String line : stderr.split("\\R", -1)) {
            if (!line.startsWith(BOOTSTRAP_PREFIX)) {
                if (!kept.isEmpty()) {
                    kept.append('\n');
                }
                kept.append(line);
            }
        }
        return kept.toString();
    }
}
