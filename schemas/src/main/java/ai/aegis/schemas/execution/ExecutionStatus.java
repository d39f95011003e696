package ai.aegis.schemas.execution;

import ai.aegis.schemas.json.WireEnum;
import com.fasterxml.jackson.annotation.JsonCreator;

/**
 * Where an execution stands, as {@code GET /v1/executions/{id}} serves it ({@code "status":"timed_out"}), and, for
 * the terminal ones, how it ended as a workflow step ({@code WorkflowStepResult.status}). Iterations use
 * {@link #RUNNING}, {@link #COMPLETED} and {@link #FAILED}.
 */
public enum ExecutionStatus implements WireEnum {

    /** Requested, not yet started by a worker. */
    PENDING,
    RUNNING,
    COMPLETED,
    FAILED,
    CANCELLED,
    TIMED_OUT;

    @JsonCreator
    public static ExecutionStatus fromWire(String name) {
        return WireEnum.parse(ExecutionStatus.class, name);
    }

    /** Whether the execution has ended: a terminal status is never overwritten. */
    public boolean terminal() {
        return this != PENDING && this != RUNNING;
    }
}
