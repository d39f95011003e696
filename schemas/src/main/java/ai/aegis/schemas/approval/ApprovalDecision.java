package ai.aegis.schemas.approval;

import ai.aegis.schemas.topic.CloudEventHeaders;

import java.time.Instant;

/**
 * How a pending approval ended, keyed by approval id; the workflow engine resumes the Human state with it.
 *
 * @param outcome  {@link ApprovalStatus#APPROVED}, {@link ApprovalStatus#REJECTED} or {@link ApprovalStatus#TIMED_OUT}
 * @param feedback the approver's feedback, optional
 * @param reason   the rejection reason, optional
 * @param response the text the Human state sees: {@code approved}, {@code rejected}, or on timeout the state's
 *                 {@code default_response} (null when it has none: the workflow then fails with
 *                 {@code human_input_timeout})
 */
public record ApprovalDecision(String approvalId, String workflowExecutionId, String stateName, ApprovalStatus outcome,
                               String feedback, String reason, String decidedBy, String response,
                               Instant decidedAt) {

    public static final String CE_TYPE = CloudEventHeaders.type("approval", "approval_decided");
}
