package ai.aegis.approval;

import ai.aegis.topology.serde.WireReaders;
import ai.aegis.topology.reply.ReplyWaiter;
import ai.aegis.schemas.approval.ApprovalDecision;
import ai.aegis.schemas.approval.ApprovalReply;
import ai.aegis.schemas.approval.ApprovalRequest;
import ai.aegis.schemas.approval.ApprovalStatus;
import ai.aegis.schemas.json.Json;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The node's fold of requests and decisions, and the reply matching, as pure logic. */
class PendingApprovalsTest {

    private static final Instant T = Instant.parse("2026-11-28T10:00:00Z");
    private static final Duration RETENTION = Duration.ofHours(24);
    private final MutableClock clock = new MutableClock(T);
    private final PendingApprovals view = new PendingApprovals("req", "dec", RETENTION, clock);

    /** A clock the test moves; the view reads it when records arrive. */
    private static final class MutableClock extends Clock {
        private Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        void set(Instant at) {
            now = at;
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    private static ConsumerRecord<String, byte[]> record(String topic, String key, Object value) {
        return new ConsumerRecord<>(topic, 0, 0, key, Json.writeBytes(value));
    }

    private static ApprovalRequest request(String id, Instant created) {
        return new ApprovalRequest(id, "wf", "Review", null, "ok?", created, 60, null);
    }

    private static ApprovalRequest request(String id, Instant created, Duration timeout) {
        return new ApprovalRequest(id, "wf", "Review", null, "ok?", created, timeout.toSeconds(), null);
    }

    private static ApprovalDecision decision(String id) {
        return decision(id, T);
    }

    private static ApprovalDecision decision(String id, Instant decidedAt) {
        return new ApprovalDecision(id, "wf", "Review", ApprovalStatus.APPROVED, null, null, null, "approved",
                decidedAt);
    }

    /** Any record moves the view's pruning on; one for an unrelated id. */
    private void someRecordArrivesAt(Instant at) {
        clock.set(at);
        String other = UUID.randomUUID().toString();
        view.onRecord(record("dec", other, decision(other, at)));
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
    void aDecidedIdIsForgottenOnceTheRetentionHasPassedAndARecordArrives() {
        String id = UUID.randomUUID().toString();
        view.onRecord(record("req", id, request(id, T)));
        view.onRecord(record("dec", id, decision(id, T.plusSeconds(10))));
        assertThat(view.remembersDecision(id)).isTrue();

        clock.set(T.plus(RETENTION)); // not yet: decided 10 s after T
        view.onRecord(record("req", id, request(id, T))); // a copy, long expired: not reopened either way
        assertThat(view.remembersDecision(id)).isTrue();
        assertThat(view.list(T)).isEmpty();

        someRecordArrivesAt(T.plus(RETENTION).plusSeconds(11));
        assertThat(view.remembersDecision(id)).isFalse();
        view.onRecord(record("req", id, request(id, T))); // forgotten, but past its deadline: still not pending
        assertThat(view.list(T)).isEmpty();
    }

    @Test
    void aDecidedIdIsKeptUntilItsRequestsDeadlineWhenThatIsLaterThanTheRetention() {
        String id = UUID.randomUUID().toString();
        Duration timeout = Duration.ofDays(3);
        view.onRecord(record("req", id, request(id, T, timeout)));
        view.onRecord(record("dec", id, decision(id, T.plusSeconds(5))));

        clock.set(T.plus(Duration.ofDays(2))); // past the retention, before the deadline
        view.onRecord(record("req", id, request(id, T, timeout))); // a copy of the request
        assertThat(view.get(id, clock.instant())).isEmpty();
        assertThat(view.list(clock.instant())).isEmpty();

        someRecordArrivesAt(T.plus(timeout).minusSeconds(1));
        assertThat(view.remembersDecision(id)).isTrue();
        someRecordArrivesAt(T.plus(timeout).plusSeconds(1));
        assertThat(view.remembersDecision(id)).isFalse();
    }

    @Test
    void aDecisionReadBeforeItsRequestOutlivesTheRetentionUntilTheRequestComes() {
        String id = UUID.randomUUID().toString();
        Duration timeout = Duration.ofDays(10);
        view.onRecord(record("dec", id, decision(id, T)));

        // e.g. a replay that reads the decisions partition first
        clock.set(T.plus(RETENTION).plus(Duration.ofHours(1)));
        view.onRecord(record("req", id, request(id, T.minusSeconds(1), timeout)));
        assertThat(view.get(id, clock.instant())).isEmpty();
        assertThat(view.list(clock.instant())).isEmpty();

        // Once the request was read the bound is its deadline, not the longest possible timeout.
        someRecordArrivesAt(T.plus(timeout).minusSeconds(2));
        assertThat(view.remembersDecision(id)).isTrue();
        someRecordArrivesAt(T.plus(timeout));
        assertThat(view.remembersDecision(id)).isFalse();
    }

    @Test
    void aDecisionWhoseRequestNeverComesIsForgottenAfterTheLongestTimeout() {
        String id = UUID.randomUUID().toString();
        view.onRecord(record("dec", id, decision(id, T)));

        someRecordArrivesAt(T.plus(PendingApprovals.UNKNOWN_REQUEST_HOLD).minusSeconds(1));
        assertThat(view.remembersDecision(id)).isTrue();
        someRecordArrivesAt(T.plus(PendingApprovals.UNKNOWN_REQUEST_HOLD).plusSeconds(1));
        assertThat(view.remembersDecision(id)).isFalse();
    }

    @Test
    void oldDecisionsReplayedAtStartDoNotStayInMemory() {
        for (int i = 0; i < 100; i++) {
            String id = UUID.randomUUID().toString();
            view.onRecord(record("req", id, request(id, T.minus(Duration.ofDays(60)))));
            view.onRecord(record("dec", id, decision(id, T.minus(Duration.ofDays(60)).plusSeconds(i))));
        }
        someRecordArrivesAt(T);
        assertThat(view.decidedCount()).isEqualTo(1);
    }

    @Test
    void aRequestAlreadyPastItsDeadlineWhenReadIsNotKept() {
        String id = UUID.randomUUID().toString();
        view.onRecord(record("req", id, request(id, T.minusSeconds(120)))); // 60 s timeout: expired a minute ago
        assertThat(view.list(T.minusSeconds(100))).isEmpty(); // it would be open then, had it been kept
    }

    @Test
    void repliesCompleteOnlyTheirOwnCallOnThisNode() {
        ReplyWaiter<ApprovalReply> waiter = new ReplyWaiter<>("node-a", WireReaders.APPROVAL_REPLY,
                ApprovalReply::commandId);
        var mine = waiter.expect("c1");
        ApprovalReply reply = new ApprovalReply("c1", "x", true, ApprovalStatus.APPROVED, null, T);

        waiter.onRecord(record("rep", "node-b", reply));
        assertThat(mine).isNotDone();
        waiter.onRecord(record("rep", "node-a", new ApprovalReply("c2", "x", true, ApprovalStatus.APPROVED, null, T)));
        assertThat(mine).isNotDone();
        waiter.onRecord(record("rep", "node-a", reply));

        assertThat(mine).isCompletedWithValue(reply);
        assertThat(waiter.waitingCount()).isZero();
    }
}
