package ai.aegis.schemas.approval;

import ai.aegis.schemas.json.WireEnum;
import com.fasterxml.jackson.annotation.JsonCreator;

/**
 * Where a human approval stands. A decision's {@code outcome} is one of the decided ones ({@link #APPROVED},
 * {@link #REJECTED}, {@link #TIMED_OUT}); a reply's {@code status} is the decision asked for ({@link #APPROVED} or
 * {@link #REJECTED}), the body {@code {"status": ...}} of the HTTP answer.
 */
public enum ApprovalStatus implements WireEnum {

    /** Requested and not decided yet. */
    PENDING,
    APPROVED,
    REJECTED,
    /** Nobody decided before the request's deadline. */
    TIMED_OUT;

    @JsonCreator
    public static ApprovalStatus fromWire(String name) {
        return WireEnum.parse(ApprovalStatus.class, name);
    }

    /** Whether it is still open to a decision. */
    public boolean pending() {
        return this == PENDING;
    }
}
