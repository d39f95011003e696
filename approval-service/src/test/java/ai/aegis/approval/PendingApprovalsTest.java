package ai.aegis.approval;

import ai.aegis.schemas.approval.ApprovalDecision;
import ai.aegis.schemas.approval.ApprovalReply;
import ai.aegis.schemas.approval.ApprovalRequest;
import ai.aegis.schemas.json.Json;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The node's fold of requests and decisions, and the reply matching, as pure logic. */
class PendingApprovalsTest {

    private static final Instant T = Instant.parse("2026-11-28T10:00:00Z");
    private final PendingApprovals view = new PendingApprovals("req", "dec");

    private static ConsumerRecord<String, byte[]> record(String topic, String key, Object value) {
        return new ConsumerRecord<>(topic, 0, 0, key, Json.writeBytes(value));
    }

    private static ApprovalRequest request(String id, Instant created) {
        return new ApprovalRequest(id, "wf", "Review", null, "ok?", created, 60, null);
    }

    private static ApprovalDecision decision(String id) {
        return new ApprovalDecision(id, "wf", "Review", "approved", null, null, null, "approved", T);
    }

    @Test
    void pendingIsRequestedNotDecidedAndNotExpiredOldestFirst() {
        String older = UUID.randomUUID().toString();
        String newer = UUID.randomUUID().toString();
        String decided = UUID.randomUUID().toString();
        view.onRecord(record("req", newer, request(newer, T.plusSeconds(10))));
        view.onRecord(record("req", older, request(older, T)));
        view.onRecord(record("req", decided, request(decided, T)));
        view.onRecord(record("dec", decided, decision(decided)));

        assertThat(view.list(T.plusSeconds(30))).extracting(ApprovalRequest::id).containsExactly(older, newer);
        assertThat(view.get(decided, T)).isEmpty();
        // at 65 s the older one is past its 60 s deadline, even before any decision says so
        assertThat(view.list(T.plusSeconds(65))).extracting(ApprovalRequest::id).containsExactly(newer);
        assertThat(view.get(older.toUpperCase(), T.plusSeconds(1))).isPresent();
    }

    @Test
    void aDecisionReadBeforeItsRequestStillClosesIt() {
        String id = UUID.randomUUID().toString();
        view.onRecord(record("dec", id, decision(id)));
        view.onRecord(record("req", id, request(id, T)));

        assertThat(view.get(id, T)).isEmpty();
        assertThat(view.list(T)).isEmpty();
    }

    @Test
    void repliesCompleteOnlyTheirOwnCallOnThisNode() {
        ReplyWaiter waiter = new ReplyWaiter("node-a");
        var mine = waiter.expect("c1");
        ApprovalReply reply = new ApprovalReply("c1", "x", true, "approved", null, T);

        waiter.onRecord(record("rep", "node-b", reply));
        assertThat(mine).isNotDone();
        waiter.onRecord(record("rep", "node-a", new ApprovalReply("c2", "x", true, "approved", null, T)));
        assertThat(mine).isNotDone();
        waiter.onRecord(record("rep", "node-a", reply));

        assertThat(mine).isCompletedWithValue(reply);
        assertThat(waiter.waitingCount()).isZero();
    }
}
