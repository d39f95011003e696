package ai.aegis.approval;

import ai.aegis.schemas.approval.ApprovalRequest;
import ai.aegis.schemas.json.Json;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This node's view of the approvals still open, folded from the requests and decisions topics by one
 * {@link ai.aegis.topology.tail.TopicTail}: pending = requested, not decided, and not past its deadline. The two
 * topics carry no order between each other, so a decision read before its request still closes it. The view is
 * rebuilt from the topics at every start; the owner's store stays the authority for decisions.
 */
public final class PendingApprovals {

    private final String requestsTopic;
    private final String decisionsTopic;
    private final Map<String, ApprovalRequest> pending = new ConcurrentHashMap<>();
    /** Ids with a decision; kept so that a request read after its decision (or replayed) is not reopened. */
    private final Set<String> decided = ConcurrentHashMap.newKeySet();

    public PendingApprovals(String requestsTopic, String decisionsTopic) {
        this.requestsTopic = requestsTopic;
        this.decisionsTopic = decisionsTopic;
    }

    /** The tail's handler; called on one thread. */
    public void onRecord(ConsumerRecord<String, byte[]> record) {
        if (record.key() == null || record.value() == null) {
            return;
        }
        String id = record.key().toLowerCase();
        if (decisionsTopic.equals(record.topic())) {
            decided.add(id);
            pending.remove(id);
        } else if (requestsTopic.equals(record.topic())) {
            ApprovalRequest request = Json.read(record.value(), ApprovalRequest.class);
            if (request.createdAt() != null && !decided.contains(id)) {
                pending.putIfAbsent(id, request);
            }
        }
    }

    /** Open requests at {@code now}, oldest first. */
    public List<ApprovalRequest> list(Instant now) {
        return pending.values().stream()
                .filter(r -> open(r, now))
                .sorted(Comparator.comparing(ApprovalRequest::createdAt).thenComparing(ApprovalRequest::id))
                .toList();
    }

    public Optional<ApprovalRequest> get(String id, Instant now) {
        return Optional.ofNullable(pending.get(id.toLowerCase())).filter(r -> open(r, now));
    }

    /** A request past its deadline is "expired" for readers even before the owner's punctuation decided it. */
    private static boolean open(ApprovalRequest r, Instant now) {
        return ApprovalTopology.deadlineMillis(r) > now.toEpochMilli();
    }
}
