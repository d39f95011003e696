package ai.aegis.schemas.execution;

import java.time.Instant;

/**
 * A command about a running (or not yet started) execution, from the ingress to whichever worker runs it. Every
 * worker reads the commands topic; the one running the execution acts, and a worker that picks the request up later
 * sees the command first.
 *
 * @param command {@code cancel}
 * @param reason  why, for people (shown in {@code execution_cancelled})
 */
public record ExecutionCommand(String command, String executionId, String reason, Instant requestedAt) {

    public static final String CANCEL = "cancel";
}
