package ai.aegis.schemas.approval;

import ai.aegis.schemas.topic.CloudEventHeaders;

import java.time.Instant;

/**
 * A pending human approval, written by the workflow engine when a Human state is entered (keyed by approval id)
 * and served, with the reference's fields plus {@code workflow_execution_id} and {@code state_name}, by
 * {@code GET /v1/human-approvals}.
 *
 * @param executionId     the reference's field: the agent execution the question is about, null when none
 * @param prompt          the rendered prompt
 * @param defaultResponse the response taken on timeout; null means a timeout fails the workflow
 */
public record ApprovalRequest(String id, String workflowExecutionId, String stateName, String executionId,
                              String prompt, Instant createdAt, long timeoutSeconds, String defaultResponse) {

    public static final String CE_TYPE = CloudEventHeaders.type("approval", "approval_requested");

    /** When the request times out. */
    public Instant deadline() {
        return createdAt.plusSeconds(timeoutSeconds);
    }
}
