package ai.aegis.schemas.approval;

import ai.aegis.schemas.topic.CloudEventHeaders;

import java.time.Instant;

/**
 * The owner's answer to an {@link ApprovalCommand}, keyed by the ingress node id that waits for it.
 *
 * @param accepted whether the decision was taken (false: unknown, already decided or timed out)
 * @param status   {@link ApprovalStatus#APPROVED} or {@link ApprovalStatus#REJECTED}: the reference's response body
 *                 {@code {"status": ...}}
 * @param error    when refused, the reference's body text, e.g. {@link #NOT_FOUND_OR_COMPLETED}; null otherwise
 */
public record ApprovalReply(String commandId, String approvalId, boolean accepted, ApprovalStatus status, String error,
                            Instant repliedAt) {

    public static final String CE_TYPE = CloudEventHeaders.type("approval", "approval_replied");

    /** The reference's error for an approval that does not exist, was already decided or timed out. */
    public static final String NOT_FOUND_OR_COMPLETED = "Request not found or already completed";
}
