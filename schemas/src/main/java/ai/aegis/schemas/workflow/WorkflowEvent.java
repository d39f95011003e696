package ai.aegis.schemas.workflow;

import ai.aegis.schemas.topic.CloudEventHeaders;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonTypeName;
import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;

/**
 * An event in the life of one workflow run, in the same JSON form as execution events: a single key, the snake_case
 * event type, wrapping the fields, e.g. {@code {"state_entered":{"workflow_execution_id":...}}}. The same JSON is the
 * record value on the workflow events topic and the {@code data:} of a frame of the workflow SSE stream.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.WRAPPER_OBJECT)
@JsonSubTypes({
        @JsonSubTypes.Type(WorkflowEvent.WorkflowStarted.class),
        @JsonSubTypes.Type(WorkflowEvent.StateEntered.class),
        @JsonSubTypes.Type(WorkflowEvent.StateExited.class),
        @JsonSubTypes.Type(WorkflowEvent.ApprovalRequested.class),
        @JsonSubTypes.Type(WorkflowEvent.WorkflowCompleted.class),
        @JsonSubTypes.Type(WorkflowEvent.WorkflowFailed.class),
        @JsonSubTypes.Type(WorkflowEvent.WorkflowCancelled.class),
})
public sealed interface WorkflowEvent {

    /** {@code state_exited.status} values. */
    String SUCCESS = "success";
    String FAILURE = "failure";

    /** Reason of {@code workflow_failed} when a Human state timed out without a default response. */
    String HUMAN_INPUT_TIMEOUT = "human_input_timeout";

    String workflowExecutionId();

    /** The snake_case type name, the single key of the JSON form. */
    default String type() {
        return getClass().getAnnotation(JsonTypeName.class).value();
    }

    /** The {@code ce_type} header: {@code ai.aegis.workflow.<type>.v1}. */
    default String ceType() {
        return CloudEventHeaders.type("workflow", type());
    }

    /** Terminal events end a run; its stream closes after one. */
    default boolean terminal() {
        return this instanceof WorkflowCompleted || this instanceof WorkflowFailed
                || this instanceof WorkflowCancelled;
    }

    @JsonTypeName("workflow_started")
    record WorkflowStarted(String workflowExecutionId, String workflowName, String workflowVersion, String input,
                           Instant startedAt) implements WorkflowEvent {
    }

    /**
     * @param kind {@code Agent}, {@code Human} or {@code ContainerRun}
     * @param step 1-based count of state entries in this run (at most {@code spec.max_steps})
     */
    @JsonTypeName("state_entered")
    record StateEntered(String workflowExecutionId, String stateName, String kind, int step, Instant enteredAt)
            implements WorkflowEvent {
    }

    /**
     * @param status {@link #SUCCESS} or {@link #FAILURE}
     * @param output what the state produced (also {@code {{STATE.output}}}): usually a string
     */
    @JsonTypeName("state_exited")
    record StateExited(String workflowExecutionId, String stateName, String status, JsonNode output,
                       Instant exitedAt) implements WorkflowEvent {
    }

    /** A Human state asked for a decision: the request is pending at {@code /v1/human-approvals/{approval_id}}. */
    @JsonTypeName("approval_requested")
    record ApprovalRequested(String workflowExecutionId, String approvalId, String stateName, String prompt,
                             long timeoutSeconds, Instant requestedAt) implements WorkflowEvent {
    }

    /** @param blackboard the final blackboard (layout in {@link WorkflowTemplates}) */
    @JsonTypeName("workflow_completed")
    record WorkflowCompleted(String workflowExecutionId, String finalState, JsonNode blackboard,
                             Instant completedAt) implements WorkflowEvent {
    }

    /** @param stateName the state that failed, null when the run failed outside a state */
    @JsonTypeName("workflow_failed")
    record WorkflowFailed(String workflowExecutionId, String reason, String stateName, Instant failedAt)
            implements WorkflowEvent {
    }

    @JsonTypeName("workflow_cancelled")
    record WorkflowCancelled(String workflowExecutionId, String reason, Instant cancelledAt)
            implements WorkflowEvent {
    }
}
