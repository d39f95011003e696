package ai.aegis.schemas.stimulus;

import ai.aegis.schemas.topic.CloudEventHeaders;

import java.time.Instant;

/**
 * What the routing stage did with an accepted stimulus, keyed like the stimulus ({@link StimulusKeys#recordKey}) so
 * that it reaches the task of the deduplication stage that owns the key. {@link StimulusStatus#ACCEPTED} uses the
 * idempotency key up for the rest of the window; {@link StimulusStatus#REFUSED} frees it for a retry. The routing
 * stage writes one for every stimulus it answers, with or without an idempotency key (without one, the deduplication
 * has nothing stored under the key and ignores it). It also tells a reader of the topic (the ingress's view of
 * stimuli) the routing decision: how, to which workflow, the run started, or why not.
 *
 * @param dedupKey            the record key of the stimulus: its deduplication key, or its stimulus id without one
 * @param stimulusId          the stimulus routed
 * @param outcome             {@link StimulusStatus#ACCEPTED} or {@link StimulusStatus#REFUSED} (any failure to route,
 *                            so that the caller may retry), from the routing stage; {@link StimulusStatus#DUPLICATE}
 *                            from the deduplication stage, which the deduplication ignores
 * @param routedAt            when the routing stage answered
 * @param source              the stimulus's source (normalised); null in records written before it was carried
 * @param mode                how the workflow was found (accepted), or how it was looked for (refused after a route
 *                            or a classification); null when neither was tried (no route and no router)
 * @param workflow            the name of the workflow started (accepted), or named but not registered
 * @param workflowExecutionId accepted: the run started
 * @param confidence          classified: the RouterAgent's confidence, when it gave one
 * @param routerExecutionId   classified: the RouterAgent's execution
 * @param error               refused, duplicate: why (the code and message of the reply)
 * @param originalStimulusId  duplicate: the stimulus that holds the key
 */
public record StimulusOutcome(String dedupKey, String stimulusId, StimulusStatus outcome, Instant routedAt,
                              String source, RoutingMode mode, String workflow, String workflowExecutionId,
                              Double confidence, String routerExecutionId, StimulusReply.ReplyError error,
                              String originalStimulusId) {

    public static final String CE_TYPE = CloudEventHeaders.type("stimulus", "stimulus_routed");
    /** {@code ce_type} of a duplicate's outcome, from the deduplication stage. */
    public static final String CE_DUPLICATE = CloudEventHeaders.type("stimulus", "stimulus_duplicate");

    /** An outcome that tells only what the deduplication needs. */
    public StimulusOutcome(String dedupKey, String stimulusId, StimulusStatus outcome, Instant routedAt) {
        this(dedupKey, stimulusId, outcome, routedAt, null, null, null, null, null, null, null, null);
    }

    /**
     * What the deduplication stage writes for a duplicate, for the readers of decisions (it ignores it itself: a
     * duplicate moves no entry).
     */
    public static StimulusOutcome duplicate(String dedupKey, String stimulusId, String source,
                                            String originalStimulusId, Instant at) {
        return new StimulusOutcome(dedupKey, stimulusId, StimulusStatus.DUPLICATE, at, source, null, null, null, null,
                null, StimulusReply.duplicateError(originalStimulusId), originalStimulusId);
    }
}
