package ai.aegis.topology.workflow;

import ai.aegis.schemas.workflow.WorkflowStatus;
import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.Map;

/**
 * One workflow execution as {@code GET /v1/workflows/executions/{id}} serves it, folded from its start command and
 * its events.
 *
 * @param status          pending | running | completed | failed | cancelled
 * @param stateOutputs    each state that ran: its output (the last one, when a loop ran it again)
 * @param blackboard      the final blackboard once completed, else null
 * @param pendingApproval the approval a Human state waits for, else null
 */
public record WorkflowExecutionView(String workflowExecutionId, String workflowName, String workflowVersion,
                                    WorkflowStatus status, String currentState, Integer step, String input,
                                    Map<String, JsonNode> stateOutputs, JsonNode blackboard, String pendingApproval,
                                    String error, Instant requestedAt, Instant startedAt, Instant endedAt,
                                    Instant lastTransitionAt) {

    public boolean terminal() {
        return status != null && status.terminal();
    }

    /** The list view: no outputs, no blackboard. */
    public WorkflowExecutionView summary() {
        return new WorkflowExecutionView(workflowExecutionId, workflowName, workflowVersion, status, currentState, step,
                null, null, null, pendingApproval, error, requestedAt, startedAt, endedAt, lastTransitionAt);
    }
}
