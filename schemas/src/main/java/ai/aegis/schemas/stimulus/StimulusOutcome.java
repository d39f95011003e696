package ai.aegis.schemas.stimulus;

import ai.aegis.schemas.topic.CloudEventHeaders;

import java.time.Instant;

/**
 * What the routing stage did with an accepted stimulus, for the deduplication stage, keyed like the stimulus
 * ({@link StimulusKeys#recordKey}) so that it reaches the task that owns the key. {@link StimulusStatus#ACCEPTED}
 * uses the idempotency key up for the rest of the window; {@link StimulusStatus#REFUSED} frees it for a retry.
 * The routing stage writes one for every stimulus it answers, with or without an idempotency key (without one,
 * the deduplication has nothing stored under the key and ignores it).
 *
 * @param dedupKey   the record key of the stimulus: its deduplication key, or its stimulus id without one
 * @param stimulusId the stimulus routed
 * @param outcome    {@link StimulusStatus#ACCEPTED} or {@link StimulusStatus#REFUSED} (any failure to route, so
 *                   that the caller may retry)
 * @param routedAt   when the routing stage answered
 */
public record StimulusOutcome(String dedupKey, String stimulusId, StimulusStatus outcome, Instant routedAt) {

    public static final String CE_TYPE = CloudEventHeaders.type("stimulus", "stimulus_routed");
}
