package ai.aegis.schemas.stimulus;

import ai.aegis.schemas.topic.CloudEventHeaders;

import java.time.Instant;
import java.util.Objects;

/**
 * A classification under way: the routing stage started the RouterAgent's execution {@code executionId} on a stimulus
 * that no direct route matched, and waits for its end. Written in the same transaction as the execution request, to
 * {@code <prefix>.stimulus.classifications.v1}, keyed by the execution id and partitioned like the execution events,
 * so that the task that holds it reads the execution's events, in order after it.
 *
 * @param executionId         the RouterAgent's execution
 * @param stimulus            the stimulus being classified, as accepted
 * @param agentId             the RouterAgent
 * @param confidenceThreshold the router's threshold when the classification began
 * @param timeoutSeconds      the router's timeout when the classification began
 * @param deadline            {@code requestedAt} + timeout: past it the stimulus is refused and the execution cancelled
 * @param requestedAt         when the classification began
 */
public record StimulusClassification(String executionId, StimulusRequest stimulus, String agentId,
                                     double confidenceThreshold, int timeoutSeconds, Instant deadline,
                                     Instant requestedAt) {

    public static final String CE_TYPE = CloudEventHeaders.type("stimulus", "classification_started");

    public StimulusClassification {
        Objects.requireNonNull(executionId, "executionId");
        Objects.requireNonNull(stimulus, "stimulus");
        Objects.requireNonNull(agentId, "agentId");
        Objects.requireNonNull(deadline, "deadline");
        Objects.requireNonNull(requestedAt, "requestedAt");
    }
}
