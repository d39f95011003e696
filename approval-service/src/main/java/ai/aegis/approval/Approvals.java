package ai.aegis.approval;

import ai.aegis.schemas.approval.ApprovalReply;
import ai.aegis.schemas.approval.ApprovalRequest;
import ai.aegis.topology.kafka.DurablePublisher.UnavailableException;

import java.util.List;
import java.util.Optional;

/**
 * What the approval routes ask of the approval service: {@link ApprovalService} answers from Kafka; the routes'
 * tests answer in memory.
 */
public interface Approvals {

    /** Open requests, oldest first. */
    List<ApprovalRequest> pending();

    /** The open request with that id; empty when unknown, decided or past its deadline. */
    Optional<ApprovalRequest> pending(String approvalId);

    /**
     * @return the owner's reply ({@code accepted=false} with {@link ApprovalReply#NOT_FOUND_OR_COMPLETED} when
     *         unknown or already decided)
     * @throws UnavailableException when no answer came in time
     */
    ApprovalReply approve(String approvalId, String feedback, String approvedBy) throws UnavailableException;

    /** Like {@link #approve}; {@code reason} is required. */
    ApprovalReply reject(String approvalId, String reason, String rejectedBy) throws UnavailableException;
}
