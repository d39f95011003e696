package ai.aegis.schemas.workflow;

import ai.aegis.schemas.topic.CloudEventHeaders;
import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;

/**
 * A command to a workflow run, from the ingress to the engine, keyed by workflow execution id. {@code start} carries
 * a snapshot of the workflow as registered, so that the engine needs no registry lookup and a re-registration does
 * not change a run already requested.
 *
 * @param command    {@link #START} or {@link #CANCEL}
 * @param workflow   start only
 * @param input      start only: {@code {{workflow.input}}}
 * @param blackboard start only, optional: an object whose keys extend the manifest's context
 */
public record WorkflowCommand(String command, String workflowExecutionId, WorkflowRecord workflow, String input,
                              JsonNode blackboard, Instant requestedAt) {

    public static final String START = "start";
    public static final String CANCEL = "cancel";

    /** {@code ce_type} of the commands. */
    public static final String CE_START_REQUESTED = CloudEventHeaders.type("workflow", "workflow_start_requested");
    public static final String CE_CANCEL_REQUESTED = CloudEventHeaders.type("workflow", "workflow_cancel_requested");

    public static WorkflowCommand start(String workflowExecutionId, WorkflowRecord workflow, String input,
                                        JsonNode blackboard, Instant requestedAt) {
        return new WorkflowCommand(START, workflowExecutionId, workflow, input, blackboard, requestedAt);
    }

    public static WorkflowCommand cancel(String workflowExecutionId, Instant requestedAt) {
        return new WorkflowCommand(CANCEL, workflowExecutionId, null, null, null, requestedAt);
    }
}
