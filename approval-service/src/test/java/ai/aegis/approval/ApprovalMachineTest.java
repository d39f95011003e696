package ai.aegis.approval;

import ai.aegis.approval.ApprovalMachine.Command;
import ai.aegis.approval.ApprovalMachine.Decide;
import ai.aegis.approval.ApprovalMachine.DeleteTimer;
import ai.aegis.approval.ApprovalMachine.Entry;
import ai.aegis.approval.ApprovalMachine.Reply;
import ai.aegis.approval.ApprovalMachine.Request;
import ai.aegis.approval.ApprovalMachine.Result;
import ai.aegis.approval.ApprovalMachine.SetTimer;
import ai.aegis.approval.ApprovalMachine.TimerDue;
import ai.aegis.schemas.approval.ApprovalCommand;
import ai.aegis.schemas.approval.ApprovalDecision;
import ai.aegis.schemas.approval.ApprovalReply;
import ai.aegis.schemas.approval.ApprovalRequest;
import ai.aegis.schemas.approval.ApprovalStatus;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The approval rules as a pure function: no topology, no store, no clock but the {@code now} passed in. */
class ApprovalMachineTest {

    private static final Instant T0 = Instant.parse("2026-11-28T10:00:00Z");
    private static final Duration RETENTION = Duration.ofHours(24);
    private static final String ID = "5f0c1c7e-2b6a-4d1e-9a59-3f2a0e6c1d42";
    private static final String NODE = "ingress-a";

    private final ApprovalMachine machine = new ApprovalMachine(RETENTION);

    private static ApprovalRequest request(long timeoutSeconds, String defaultResponse) {
        return new ApprovalRequest(ID, "wf-1", "Review", null, "Approve?", T0, timeoutSeconds, defaultResponse);
    }

    private static Command approve() {
        return new Command(new ApprovalCommand("c-approve", ID, ApprovalCommand.APPROVE, "Looks good", null, "alice",
                NODE, T0));
    }

    private static Command reject(String reason) {
        return new Command(new ApprovalCommand("c-reject", ID, ApprovalCommand.REJECT, null, reason, "bob", NODE,
                T0));
    }

    /** A pending entry for a request of an hour, as the machine stores it. */
    private Entry pending() {
        return machine.apply(ID, null, new Request(request(3600, null)), T0).entry();
    }

    private static long millis(Instant at) {
        return at.toEpochMilli();
    }

    private static List<ApprovalDecision> decisions(Result r) {
        return r.effects().stream().filter(Decide.class::isInstance).map(e -> ((Decide) e).decision()).toList();
    }

    private static List<ApprovalReply> replies(Result r) {
        return r.effects().stream().filter(Reply.class::isInstance).map(e -> ((Reply) e).reply()).toList();
    }

    @Test
    void aRequestIsPendingWithATimerAtItsDeadline() {
        Result r = machine.apply(ID, null, new Request(request(60, "yes")), T0);

        assertThat(r.entry()).isEqualTo(new Entry(request(60, "yes"), ApprovalStatus.PENDING, null));
        assertThat(r.effects()).containsExactly(new SetTimer(millis(T0.plusSeconds(60))));
    }

    @Test
    void theFirstDecisionWinsAndTheSecondIsRefused() {
        Instant at = T0.plusSeconds(10);
        Result approved = machine.apply(ID, pending(), approve(), at);

        ApprovalDecision decision = new ApprovalDecision(ID, "wf-1", "Review", ApprovalStatus.APPROVED, "Looks good",
                null, "alice", "approved", at);
        assertThat(approved.entry()).isEqualTo(new Entry(request(3600, null), ApprovalStatus.APPROVED, at));
        assertThat(approved.effects()).containsExactly(
                new DeleteTimer(millis(T0.plusSeconds(3600))),
                new SetTimer(millis(at.plus(RETENTION))),
                new Decide(decision),
                new Reply(NODE, new ApprovalReply("c-approve", ID, true, ApprovalStatus.APPROVED, null, at)));

        Result second = machine.apply(ID, approved.entry(), reject("too late"), at.plusSeconds(1));
        assertThat(second.entry()).isSameAs(approved.entry());
        assertThat(decisions(second)).isEmpty();
        assertThat(replies(second)).singleElement().satisfies(reply -> {
            assertThat(reply.accepted()).isFalse();
            assertThat(reply.status()).isNull();
            assertThat(reply.error()).isEqualTo(ApprovalReply.NOT_FOUND_OR_COMPLETED);
        });
    }

    @Test
    void aRejectionCarriesItsReasonAsTheDecisionsReason() {
        Result rejected = machine.apply(ID, pending(), reject("Needs more citations."), T0);

        assertThat(rejected.entry().status()).isEqualTo(ApprovalStatus.REJECTED);
        assertThat(decisions(rejected)).singleElement().satisfies(d -> {
            assertThat(d.outcome()).isEqualTo(ApprovalStatus.REJECTED);
            assertThat(d.response()).isEqualTo("rejected");
            assertThat(d.reason()).isEqualTo("Needs more citations.");
            assertThat(d.feedback()).isNull();
            assertThat(d.decidedBy()).isEqualTo("bob");
        });
    }

    @Test
    void aReplayedRequestNeitherResetsAPendingOneNorReopensADecidedOne() {
        Entry pending = pending();
        Result replayedWhilePending = machine.apply(ID, pending, new Request(request(7200, "yes")), T0.plusSeconds(5));
        assertThat(replayedWhilePending.entry()).isSameAs(pending);
        assertThat(replayedWhilePending.effects()).isEmpty();

        Entry decided = machine.apply(ID, pending, approve(), T0).entry();
        Result replayedAfterDecision = machine.apply(ID, decided, new Request(request(3600, null)), T0);
        assertThat(replayedAfterDecision.entry()).isSameAs(decided);
        assertThat(replayedAfterDecision.effects()).isEmpty();
    }

    @Test
    void aRequestWithoutCreationTimeOrForAnotherIdIsIgnored() {
        ApprovalRequest undated = new ApprovalRequest(ID, "wf-1", "Review", null, "p", null, 60, null);
        assertThat(machine.apply(ID, null, new Request(undated), T0)).isEqualTo(new Result(null, List.of()));
        assertThat(machine.apply("other-id", null, new Request(request(60, null)), T0))
                .isEqualTo(new Result(null, List.of()));
    }

    @Test
    void aRejectWithoutReasonIsRefusedAndTheRequestStaysPending() {
        Entry pending = pending();
        for (String reason : new String[] {null, "", "   "}) {
            Result r = machine.apply(ID, pending, reject(reason), T0);
            assertThat(r.entry()).isSameAs(pending);
            assertThat(r.effects()).containsExactly(new Reply(NODE, new ApprovalReply("c-reject", ID, false, null,
                    "Missing required field 'reason'", T0)));
        }
    }

    @Test
    void anUnknownDecisionIsRefused() {
        Entry pending = pending();
        Result r = machine.apply(ID, pending, new Command(new ApprovalCommand("c", ID, "maybe", null, null, null,
                NODE, T0)), T0);

        assertThat(r.entry()).isSameAs(pending);
        assertThat(r.effects()).containsExactly(new Reply(NODE, new ApprovalReply("c", ID, false, null,
                "Unknown decision 'maybe'", T0)));
    }

    @Test
    void aCommandForAnUnknownApprovalIsRefusedAsNotFound() {
        Result r = machine.apply(ID, null, approve(), T0);

        assertThat(r.entry()).isNull();
        assertThat(replies(r)).singleElement()
                .satisfies(reply -> assertThat(reply.error()).isEqualTo(ApprovalReply.NOT_FOUND_OR_COMPLETED));
    }

    @Test
    void aCommandWithoutReplyToDecidesWithoutAReply() {
        Command silent = new Command(new ApprovalCommand("c", ID, ApprovalCommand.APPROVE, null, null, null, " ",
                T0));

        Result r = machine.apply(ID, pending(), silent, T0);

        assertThat(r.entry().status()).isEqualTo(ApprovalStatus.APPROVED);
        assertThat(decisions(r)).hasSize(1);
        assertThat(replies(r)).isEmpty();
    }

    @Test
    void aCommandAfterTheDeadlineButBeforeThePunctuationTimesOutFirst() {
        Entry pending = machine.apply(ID, null, new Request(request(60, "yes")), T0).entry();
        Instant late = T0.plusSeconds(61);

        Result r = machine.apply(ID, pending, approve(), late);

        assertThat(r.entry()).isEqualTo(new Entry(request(60, "yes"), ApprovalStatus.TIMED_OUT, late));
        assertThat(r.effects()).containsExactly(
                new DeleteTimer(millis(T0.plusSeconds(60))),
                new SetTimer(millis(late.plus(RETENTION))),
                new Decide(new ApprovalDecision(ID, "wf-1", "Review", ApprovalStatus.TIMED_OUT, null, null, null,
                        "yes", late)),
                new Reply(NODE, new ApprovalReply("c-approve", ID, false, null, ApprovalReply.NOT_FOUND_OR_COMPLETED,
                        late)));
    }

    @Test
    void aDueDeadlineTimesOutWithTheDefaultResponseOrNone() {
        Entry withDefault = machine.apply(ID, null, new Request(request(60, "yes")), T0).entry();
        Entry withoutDefault = machine.apply(ID, null, new Request(request(60, null)), T0).entry();
        Instant due = T0.plusSeconds(60);

        assertThat(machine.apply(ID, withDefault, new TimerDue(), due.minusMillis(1)).entry()).isSameAs(withDefault);
        Result timedOut = machine.apply(ID, withDefault, new TimerDue(), due);
        assertThat(timedOut.entry().status()).isEqualTo(ApprovalStatus.TIMED_OUT);
        assertThat(decisions(timedOut)).singleElement().satisfies(d -> {
            assertThat(d.outcome()).isEqualTo(ApprovalStatus.TIMED_OUT);
            assertThat(d.response()).isEqualTo("yes");
            assertThat(d.decidedBy()).isNull();
            assertThat(d.decidedAt()).isEqualTo(due);
        });
        assertThat(replies(timedOut)).isEmpty();
        assertThat(decisions(machine.apply(ID, withoutDefault, new TimerDue(), due))).singleElement()
                .satisfies(d -> assertThat(d.response()).isNull());
    }

    @Test
    void aDecidedApprovalIsPurgedOnceItsRetentionHasPassed() {
        Entry decided = machine.apply(ID, pending(), approve(), T0).entry();

        Result early = machine.apply(ID, decided, new TimerDue(), T0.plus(RETENTION).minusMillis(1));
        assertThat(early.entry()).isSameAs(decided);
        assertThat(early.effects()).isEmpty();

        Result purged = machine.apply(ID, decided, new TimerDue(), T0.plus(RETENTION));
        assertThat(purged).isEqualTo(new Result(null, List.of()));
        // a timer for an approval already forgotten changes nothing
        assertThat(machine.apply(ID, null, new TimerDue(), T0.plus(RETENTION))).isEqualTo(new Result(null, List.of()));
    }

    @Test
    void aDeadlineBeyondALongNeverComes() {
        ApprovalRequest forever = new ApprovalRequest(ID, "wf-1", "Review", null, "p", T0, Long.MAX_VALUE, null);
        assertThat(ApprovalMachine.deadlineMillis(forever)).isEqualTo(Long.MAX_VALUE);

        Result requested = machine.apply(ID, null, new Request(forever), T0);
        assertThat(requested.entry().pending()).isTrue();
        assertThat(requested.effects()).isEmpty(); // no deadline timer

        Instant muchLater = T0.plus(Duration.ofDays(365 * 100));
        assertThat(machine.apply(ID, requested.entry(), new TimerDue(), muchLater).entry())
                .isSameAs(requested.entry());
        Result approved = machine.apply(ID, requested.entry(), approve(), muchLater);
        assertThat(approved.entry().status()).isEqualTo(ApprovalStatus.APPROVED);
        // no deadline timer to delete, only the purge timer to set
        assertThat(approved.effects()).filteredOn(e -> e instanceof DeleteTimer).isEmpty();
        assertThat(approved.effects()).contains(new SetTimer(millis(muchLater.plus(RETENTION))));
    }

    @Test
    void aNegativeRetentionIsRefused() {
        assertThatThrownBy(() -> new ApprovalMachine(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
