package ai.aegis.schemas.stimulus;

import ai.aegis.schemas.topic.CloudEventHeaders;

import java.time.Instant;

/**
 * The answer to a {@link StimulusRequest}, keyed by {@code reply_to.node_id}: the ingress node that waits for it. The
 * deduplication stage writes the {@link StimulusStatus#DUPLICATE} ones, the routing stage the others.
 *
 * @param correlationId       the request's {@code reply_to.correlation_id}
 * @param stimulusId          the stimulus answered
 * @param outcome             how it was answered
 * @param workflowExecutionId accepted: the run it started, when it started one; null otherwise
 * @param originalStimulusId  duplicate: the stimulus that first came with the same idempotency key; null otherwise
 * @param error               duplicate, refused, failed: why (a stable code and a text for people); null when accepted
 * @param repliedAt           when the answer was written
 */
public record StimulusReply(String correlationId, String stimulusId, StimulusStatus outcome,
                            String workflowExecutionId, String originalStimulusId, ReplyError error,
                            Instant repliedAt) {

    public static final String CE_TYPE = CloudEventHeaders.type("stimulus", "stimulus_replied");

    /** {@code error.code} of a duplicate, and of its HTTP 409 answer. */
    public static final String IDEMPOTENT_DUPLICATE = "idempotent_duplicate";

    /**
     * @param code    stable, snake_case: {@link #IDEMPOTENT_DUPLICATE}, or the routing stage's codes
     * @param message for people
     */
    public record ReplyError(String code, String message) {
    }

    /** The error of a duplicate: it names the stimulus that came first. */
    public static ReplyError duplicateError(String originalStimulusId) {
        return new ReplyError(IDEMPOTENT_DUPLICATE, "a stimulus with this idempotency key was already received: "
                + originalStimulusId);
    }

    /** The answer to {@code duplicate}: it names the stimulus that came first with the same key. */
    public static StimulusReply duplicate(String correlationId, String stimulusId, String originalStimulusId,
                                          Instant repliedAt) {
        return new StimulusReply(correlationId, stimulusId, StimulusStatus.DUPLICATE, null, originalStimulusId,
                duplicateError(originalStimulusId), repliedAt);
    }
}
