package ai.aegis.schemas.approval;

import ai.aegis.schemas.topic.CloudEventHeaders;

import java.time.Instant;

/**
 * A person's decision as the ingress received it ({@code POST /v1/human-approvals/{id}/approve|reject}), keyed by
 * approval id so that the one owner of the request decides, in order, whichever instance took the HTTP call. The
 * owner answers on the replies topic with the same {@code command_id}.
 *
 * @param decision  {@link #APPROVE} or {@link #REJECT}
 * @param feedback  approve only, optional
 * @param reason    reject only, required there
 * @param decidedBy {@code approved_by} / {@code rejected_by} of the body, optional
 * @param replyTo   the ingress node id waiting for the reply (the key of the reply)
 */
public record ApprovalCommand(String commandId, String approvalId, String decision, String feedback, String reason,
                              String decidedBy, String replyTo, Instant requestedAt) {

    public static final String APPROVE = "approve";
    public static final String REJECT = "reject";

    public static final String CE_APPROVE_REQUESTED = CloudEventHeaders.type("approval", "approve_requested");
    public static final String CE_REJECT_REQUESTED = CloudEventHeaders.type("approval", "reject_requested");
}
