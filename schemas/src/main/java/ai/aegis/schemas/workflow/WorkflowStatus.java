package ai.aegis.schemas.workflow;

import ai.aegis.schemas.json.WireEnum;
import com.fasterxml.jackson.annotation.JsonCreator;

/**
 * Where a workflow run stands, as {@code GET /v1/workflows/executions/{id}} serves it and as the engine stores it
 * (the engine's own state is never {@link #PENDING}: it holds a run from its start).
 */
public enum WorkflowStatus implements WireEnum {

    /** Requested, not yet started by the engine. */
    PENDING,
    RUNNING,
    COMPLETED,
    FAILED,
    CANCELLED;

    @JsonCreator
    public static WorkflowStatus fromWire(String name) {
        return WireEnum.parse(WorkflowStatus.class, name);
    }

    /** Whether the run has ended: a terminal status is never overwritten. */
    public boolean terminal() {
        return this != PENDING && this != RUNNING;
    }
}
