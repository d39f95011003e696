package ai.aegis.schemas.execution;

import ai.aegis.schemas.topic.CloudEventHeaders;

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
    /** {@code ce_type} of a cancel command, whoever asks (the ingress, the routing of stimuli). */
    public static final String CE_CANCEL_REQUESTED = CloudEventHeaders.type("execution", "execution_cancel_requested");
}
