package ai.aegis.schemas.stimulus;

import ai.aegis.schemas.json.WireEnum;
import com.fasterxml.jackson.annotation.JsonCreator;

/**
 * How a stimulus was answered. A reply's {@code outcome} is any of them; an outcome record's is {@link #ACCEPTED} or
 * {@link #REFUSED} (what the deduplication needs to know: whether the idempotency key is used up or free again), or
 * {@link #DUPLICATE} (written by the deduplication for readers of decisions).
 */
public enum StimulusStatus implements WireEnum {

    /** Routed: a workflow run (or execution) was started for it. */
    ACCEPTED,
    /** Not routed: its idempotency key was seen within the window (HTTP 409 {@code idempotent_duplicate}). */
    DUPLICATE,
    /** Not routed, through no fault of the system: no route, classification failed (HTTP 422). */
    REFUSED,
    /** Not routed because something in the system failed (HTTP 5xx). */
    FAILED;

    @JsonCreator
    public static StimulusStatus fromWire(String name) {
        return WireEnum.parse(StimulusStatus.class, name);
    }

    /** Whether the routing stage answers with it: accepted (the key is used up) or refused (the key is free again). */
    public boolean routingOutcome() {
        return this == ACCEPTED || this == REFUSED;
    }

    /** Whether an outcome record may carry it: a routing outcome, or a duplicate (from the deduplication stage). */
    public boolean outcomeRecord() {
        return routingOutcome() || this == DUPLICATE;
    }
}
