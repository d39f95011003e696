package ai.aegis.topology.workflow;

import ai.aegis.schemas.approval.ApprovalDecision;
import ai.aegis.schemas.approval.ApprovalRequest;
import ai.aegis.schemas.approval.ApprovalStatus;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.schemas.execution.ExecutionStatus;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.workflow.TransitionCondition;
import ai.aegis.schemas.workflow.WorkflowCommand;
import ai.aegis.schemas.workflow.WorkflowEvent;
import ai.aegis.schemas.workflow.WorkflowEvent.ApprovalRequested;
import ai.aegis.schemas.workflow.WorkflowEvent.StateEntered;
import ai.aegis.schemas.workflow.WorkflowEvent.StateExited;
import ai.aegis.schemas.workflow.WorkflowEvent.WorkflowCancelled;
import ai.aegis.schemas.workflow.WorkflowEvent.WorkflowCompleted;
import ai.aegis.schemas.workflow.WorkflowEvent.WorkflowFailed;
import ai.aegis.schemas.workflow.WorkflowEvent.WorkflowStarted;
import ai.aegis.schemas.workflow.WorkflowManifest;
import ai.aegis.schemas.workflow.WorkflowManifest.Transition;
import ai.aegis.schemas.workflow.WorkflowRecord;
import ai.aegis.schemas.workflow.WorkflowStatus;
import ai.aegis.schemas.workflow.WorkflowStepResult;
import ai.aegis.topology.workflow.WorkflowMachine.Outcome;
import ai.aegis.topology.workflow.WorkflowMachine.Result;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class WorkflowMachineTest {

    private static final Instant NOW = Instant.parse("2026-03-05T14:00:00Z");
    private static final String RUN = "5d3c2b1a-0f9e-4d8c-b7a6-958473625140";

    private final AtomicLong counter = new AtomicLong();
    private final WorkflowMachine machine = new WorkflowMachine(Clock.fixed(NOW, ZoneOffset.UTC),
            () -> new UUID(0, counter.incrementAndGet()));

    private static String id(long n) {
        return new UUID(0, n).toString();
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private Result start(WorkflowRecord workflow) {
        return start(workflow, "release 2.0", null);
    }

    private Result start(WorkflowRecord workflow, String input, JsonNode blackboard) {
        return machine.apply(null, new WorkflowMachine.Command(
                WorkflowCommand.start(RUN, workflow, input, blackboard, NOW)));
    }

    private Result result(WorkflowState state, ExecutionStatus status, String output) {
        return result(state, state.pending().step(), state.pending().executionId(), status, output, null, null, null);
    }

    private Result result(WorkflowState state, int step, String executionId, ExecutionStatus status,
                          String output,
                          String error, Integer exitCode, Double score) {
        return machine.apply(state, new WorkflowMachine.StepResult(new WorkflowStepResult(RUN, step, executionId,
                status, output, error, exitCode, score, NOW)));
    }

    private Result approve(WorkflowState state, String feedback) {
        return decide(state, ApprovalStatus.APPROVED, feedback, null, ApprovalStatus.APPROVED.wireName());
    }

    private Result reject(WorkflowState state, String reason) {
        return decide(state, ApprovalStatus.REJECTED, null, reason, ApprovalStatus.REJECTED.wireName());
    }

    private Result decide(WorkflowState state, ApprovalStatus outcome, String feedback, String reason,
                          String response) {
        return machine.apply(state, new WorkflowMachine.Decision(new ApprovalDecision(state.pending().approvalId(),
                RUN, state.currentState(), outcome, feedback, reason, "alice@example.com", response, NOW)));
    }

    /** Start, draft completed: the run waits in review. */
    private WorkflowState inReview(WorkflowRecord workflow) {
        WorkflowState drafting = start(workflow).state();
        return result(drafting, ExecutionStatus.COMPLETED, "Release 2.0 is out").state();
    }

    private static WorkflowRecord workflow(String states) {
        return WorkflowFixtures.record("""
                apiVersion: 100monkeys.ai/v1
                kind: Workflow
                metadata: {name: wf}
                spec:
                  initial_state: first
                  states:
                %s""".formatted(states.indent(4)));
    }

    // ---- start -------------------------------------------------------------------------------------------------

    @Test
    void startBuildsTheBlackboardEmitsStartedAndEntersTheInitialAgentState() {
        Result r = start(WorkflowFixtures.review(), "release 2.0", Json.tree("{\"audience\":\"ops\",\"x\":1}"));

        assertThat(r.events()).containsExactly(
                new WorkflowStarted(RUN, "review-workflow", "2.1.0", "release 2.0", NOW),
                new StateEntered(RUN, "drafter", "Agent", 1, NOW));
        ExecutionRequest request = r.executionRequests().getFirst();
        assertThat(request.executionId()).isEqualTo(id(1));
        assertThat(request.agentName()).isEqualTo("drafter");
        assertThat(request.agent()).isNull();
        assertThat(request.agentId()).isNull();
        assertThat(request.input()).isEqualTo("Announce release 2.0 to ops");
        assertThat(request.workflow()).isEqualTo(new ExecutionRequest.WorkflowLink(RUN, 1, "drafter"));
        assertThat(request.containerRun()).isNull();
        assertThat(request.requestedAt()).isEqualTo(NOW);
        assertThat(r.approvalRequests()).isEmpty();
        // Effects in order: the events of entering, then the request of the state's work.
        assertThat(r.effects()).hasSize(3);

        WorkflowState s = r.state();
        assertThat(s.status()).isEqualTo(WorkflowStatus.RUNNING);
        assertThat(s.currentState()).isEqualTo("drafter");
        assertThat(s.step()).isEqualTo(1);
        assertThat(s.startedAt()).isEqualTo(NOW);
        assertThat(s.pending()).isEqualTo(new WorkflowState.Pending(WorkflowState.Pending.AGENT, id(1), null, 1));
        assertThat(s.blackboard()).isEqualTo(Json.tree("""
                {"workflow":{"name":"review-workflow","version":"2.1.0","input":"release 2.0"},
                 "context":{"audience":"ops","x":1}}"""));
    }

    @Test
    void aSecondStartOfTheSameRunIsIgnored() {
        WorkflowState s = start(WorkflowFixtures.review()).state();
        Result again = machine.apply(s, new WorkflowMachine.Command(
                WorkflowCommand.start(RUN, WorkflowFixtures.review(), "other", null, NOW)));
        assertThat(again.state()).isSameAs(s);
        assertThat(again.effects()).isEmpty();
    }

    @Test
    void aSnapshotWhoseManifestNoLongerValidatesFailsTheRunRightAfterStarting() {
        WorkflowRecord good = WorkflowFixtures.review();
        WorkflowRecord broken = new WorkflowRecord(good.name(), good.version(), null,
                Json.tree("{\"apiVersion\":\"100monkeys.ai/v1\",\"kind\":\"Workflow\"}"), "", NOW, NOW);
        Result r = start(broken);
        assertThat(r.events()).hasSize(2);
        assertThat(r.events().get(0)).isInstanceOf(WorkflowStarted.class);
        assertThat(((WorkflowFailed) r.events().get(1)).reason()).startsWith("invalid workflow manifest");
        assertThat(r.state().status()).isEqualTo(WorkflowStatus.FAILED);
        assertThat(r.executionRequests()).isEmpty();
    }

    @Test
    void aStartWithoutWorkflowFailsVisibly() {
        Result r = machine.apply(null, new WorkflowMachine.Command(new WorkflowCommand(WorkflowCommand.START, RUN,
                null, "x", null, NOW)));
        assertThat(r.state().status()).isEqualTo(WorkflowStatus.FAILED);
        assertThat(((WorkflowFailed) r.events().getLast()).reason()).isEqualTo("start command without a workflow");
    }

    // ---- Agent -> Human -> Agent --------------------------------------------------------------------------------

    @Test
    void aCompletedAgentStepExitsWithSuccessAndEntersTheHumanStateWhichRequestsAnApproval() {
        WorkflowState drafting = start(WorkflowFixtures.review()).state();
        Result r = result(drafting, 1, id(1), ExecutionStatus.COMPLETED, "Release 2.0 is out", null, null, 0.92);

        ApprovalRequest approval = r.approvalRequests().getFirst();
        assertThat(approval).isEqualTo(new ApprovalRequest(id(2), RUN, "review", null,
                "Approve this? Release 2.0 is out", NOW, 90, null));
        assertThat(r.events()).containsExactly(
                new StateExited(RUN, "drafter", "success", TextNode.valueOf("Release 2.0 is out"), NOW),
                new StateEntered(RUN, "review", "Human", 2, NOW),
                new ApprovalRequested(RUN, id(2), "review", "Approve this? Release 2.0 is out", 90, NOW));
        assertThat(r.executionRequests()).isEmpty();
        assertThat(r.state().pending()).isEqualTo(new WorkflowState.Pending(WorkflowState.Pending.HUMAN, null,
                id(2), 2));
        assertThat(r.state().blackboard().get("drafter")).isEqualTo(Json.tree("""
                {"status":"success","output":"Release 2.0 is out","score":0.92}"""));
        // Pure: the stored state given in is not modified.
        assertThat(drafting.blackboard().has("drafter")).isFalse();
        assertThat(drafting.step()).isEqualTo(1);
    }

    @Test
    void anApprovalTakesTheApprovedPathAndTheTerminalStateRunsBeforeTheRunCompletes() {
        WorkflowState review = inReview(WorkflowFixtures.review());
        Result approved = approve(review, "Ship it");

        assertThat(approved.events()).containsExactly(
                new StateExited(RUN, "review", "success", TextNode.valueOf("approved"), NOW),
                new StateEntered(RUN, "publisher", "Agent", 3, NOW));
        ExecutionRequest publish = approved.executionRequests().getFirst();
        assertThat(publish.agentName()).isEqualTo("publisher");
        assertThat(publish.input()).isEqualTo("Publish Release 2.0 is out");
        assertThat(publish.workflow().step()).isEqualTo(3);
        assertThat(approved.state().blackboard().get("review")).isEqualTo(Json.tree("""
                {"status":"success","output":"approved","feedback":"Ship it",
                 "decision":{"response":"approved","feedback":"Ship it","reason":null,
                             "decided_by":"alice@example.com","timed_out":false}}"""));
        assertThat(approved.state().status()).isEqualTo(WorkflowStatus.RUNNING);

        Result done = result(approved.state(), ExecutionStatus.COMPLETED, "Published");
        WorkflowCompleted completed = (WorkflowCompleted) done.events().getLast();
        assertThat(done.events()).hasSize(2);
        assertThat(done.events().getFirst()).isEqualTo(
                new StateExited(RUN, "publisher", "success", TextNode.valueOf("Published"), NOW));
        assertThat(completed.finalState()).isEqualTo("publisher");
        assertThat(completed.blackboard().get("publisher").get("output").asText()).isEqualTo("Published");
        assertThat(completed.blackboard().get("drafter").get("output").asText()).isEqualTo("Release 2.0 is out");
        assertThat(completed.blackboard().get("workflow").get("input").asText()).isEqualTo("release 2.0");
        assertThat(done.state().status()).isEqualTo(WorkflowStatus.COMPLETED);
        assertThat(done.state().pending()).isNull();
        assertThat(done.executionRequests()).isEmpty();
    }

    @Test
    void aRejectionTakesTheRejectedPathWithTheReasonAsFeedbackAndComesBackToReview() {
        WorkflowState review = inReview(WorkflowFixtures.review());
        Result rejected = reject(review, "Needs more citations.");

        assertThat(rejected.events().getFirst())
                .isEqualTo(new StateExited(RUN, "review", "failure", TextNode.valueOf("rejected"), NOW));
        assertThat(rejected.state().blackboard().get("review").get("feedback").asText())
                .isEqualTo("Needs more citations.");
        ExecutionRequest revise = rejected.executionRequests().getFirst();
        assertThat(revise.agentName()).isEqualTo("reviser");
        assertThat(revise.input()).isEqualTo("Fix: Needs more citations. in Release 2.0 is out");

        Result back = result(rejected.state(), ExecutionStatus.COMPLETED, "Release 2.0 is out [1]");
        assertThat(back.state().currentState()).isEqualTo("review");
        assertThat(back.state().step()).isEqualTo(4);
        assertThat(back.approvalRequests()).hasSize(1);
        // A new approval: a decision on the old one no longer counts.
        assertThat(back.approvalRequests().getFirst().id()).isNotEqualTo(review.pending().approvalId());
        Result stale = machine.apply(back.state(), new WorkflowMachine.Decision(new ApprovalDecision(
                review.pending().approvalId(), RUN, "review", ApprovalStatus.APPROVED, null, null, null, "approved",
                NOW)));
        assertThat(stale.state()).isSameAs(back.state());
        assertThat(stale.effects()).isEmpty();
    }

    @Test
    void anApproveOrRejectWithoutResponseStillMeansApprovedOrRejected() {
        WorkflowState review = inReview(WorkflowFixtures.review());
        assertThat(decide(review, ApprovalStatus.APPROVED, null, null, null).state().currentState())
                .isEqualTo("publisher");
        assertThat(decide(review, ApprovalStatus.REJECTED, null, "no", null).state().currentState())
                .isEqualTo("reviser");
        // Neither a response nor a known outcome (an unknown name reads as none): nothing to act on.
        Result unknown = decide(review, ApprovalStatus.fromWire("maybe"), null, null, null);
        assertThat(unknown.state()).isSameAs(review);
        assertThat(unknown.effects()).isEmpty();
    }

    // ---- Human timeouts ----------------------------------------------------------------------------------------

    @Test
    void aTimeoutWithoutDefaultResponseFailsTheRunWithHumanInputTimeout() {
        WorkflowState review = inReview(WorkflowFixtures.review());
        Result r = decide(review, ApprovalStatus.TIMED_OUT, null, null, null);

        assertThat(r.events()).containsExactly(
                new StateExited(RUN, "review", "failure", null, NOW),
                new WorkflowFailed(RUN, WorkflowEvent.HUMAN_INPUT_TIMEOUT, "review", NOW));
        assertThat(r.state().status()).isEqualTo(WorkflowStatus.FAILED);
        assertThat(r.state().blackboard().get("review").get("decision").get("timed_out").asBoolean()).isTrue();
        assertThat(r.executionRequests()).isEmpty();
    }

    @Test
    void aTimeoutWithADefaultResponseMeaningYesTakesTheApprovedPath() {
        WorkflowState review = inReview(WorkflowFixtures.review());
        Result r = decide(review, ApprovalStatus.TIMED_OUT, null, null, "yes");
        assertThat(r.state().currentState()).isEqualTo("publisher");
        assertThat(r.state().blackboard().get("review").get("output").asText()).isEqualTo("yes");
        assertThat(r.state().blackboard().get("review").get("decision").get("timed_out").asBoolean()).isTrue();
    }

    @Test
    void theHumanStatesDefaultResponseAndTimeoutGoIntoTheApprovalRequest() {
        WorkflowRecord wf = workflow("""
                first:
                  kind: Human
                  prompt: "Go {{workflow.input}}?"
                  timeout: 2m
                  default_response: maybe
                  transitions:
                    - {condition: input_equals, value: maybe, target: later}
                    - {condition: on_success, target: done}
                later: {kind: Agent, agent: a, transitions: []}
                done: {kind: Agent, agent: a, transitions: []}
                """);
        Result r = start(wf, "live", null);
        assertThat(r.approvalRequests().getFirst()).isEqualTo(new ApprovalRequest(id(1), RUN, "first", null,
                "Go live?", NOW, 120, "maybe"));
        Result timedOut = decide(r.state(), ApprovalStatus.TIMED_OUT, null, null, "maybe");
        // "maybe" is not a yes: status failure, yet input_equals matches it.
        assertThat(timedOut.events().getFirst())
                .isEqualTo(new StateExited(RUN, "first", "failure", TextNode.valueOf("maybe"), NOW));
        assertThat(timedOut.state().currentState()).isEqualTo("later");
    }

    // ---- ends, failures, limits ---------------------------------------------------------------------------------

    @Test
    void whenNoTransitionMatchesTheRunFailsRatherThanCompleting() {
        WorkflowRecord wf = workflow("""
                first:
                  kind: Agent
                  agent: a
                  transitions: [{condition: on_success, target: done}]
                done: {kind: Agent, agent: a, transitions: []}
                """);
        WorkflowState s = start(wf).state();
        Result r = result(s, ExecutionStatus.FAILED, "");

        assertThat(r.events()).containsExactly(
                new StateExited(RUN, "first", "failure", TextNode.valueOf(""), NOW),
                new WorkflowFailed(RUN, "no transition of state first matched", "first", NOW));
        assertThat(r.state().status()).isEqualTo(WorkflowStatus.FAILED);
        assertThat(r.state().pending()).isNull();
        assertThat(r.state().blackboard().get("first").get("status").asText()).isEqualTo("failure");
    }

    @Test
    void aFailedStepWithoutOutputReportsItsErrorAsOutputAndTakesOnFailure() {
        WorkflowRecord wf = workflow("""
                first:
                  kind: Agent
                  agent: a
                  transitions:
                    - {condition: on_success, target: done}
                    - {condition: on_failure, target: recover}
                done: {kind: Agent, agent: a, transitions: []}
                recover: {kind: Agent, agent: b, input: "Why: {{first.output}}", transitions: []}
                """);
        WorkflowState s = start(wf).state();
        Result r = result(s, 1, id(1), ExecutionStatus.TIMED_OUT, null, "execution timed out after 300 s", null,
                null);
        assertThat(r.executionRequests().getFirst().input()).isEqualTo("Why: execution timed out after 300 s");
    }

    @Test
    void theStepLimitStopsALoopAtMaxSteps() {
        WorkflowState s = inReview(WorkflowFixtures.review(4)); // drafter 1, review 2
        s = reject(s, "again").state(); // reviser 3
        s = result(s, ExecutionStatus.COMPLETED, "v2").state(); // review 4
        assertThat(s.step()).isEqualTo(4);
        Result r = reject(s, "again");

        assertThat(r.events()).containsExactly(
                new StateExited(RUN, "review", "failure", TextNode.valueOf("rejected"), NOW),
                new WorkflowFailed(RUN, "step limit 4 reached", "reviser", NOW));
        assertThat(r.executionRequests()).isEmpty();
        assertThat(r.state().step()).isEqualTo(4);
        assertThat(r.state().status()).isEqualTo(WorkflowStatus.FAILED);
    }

    @Test
    void theDefaultStepLimitIsAThousand() {
        WorkflowRecord wf = workflow("""
                first:
                  kind: Agent
                  agent: a
                  transitions:
                    - {condition: score_above, threshold: 0.9, target: done}
                    - {condition: always, target: first}
                done: {kind: Agent, agent: a, transitions: []}
                """);
        WorkflowState s = start(wf).state();
        for (int i = 1; i < 1000; i++) {
            s = result(s, ExecutionStatus.COMPLETED, "round " + i).state();
        }
        assertThat(s.step()).isEqualTo(1000);
        Result r = result(s, ExecutionStatus.COMPLETED, "round 1000");
        assertThat(((WorkflowFailed) r.events().getLast()).reason()).isEqualTo("step limit 1000 reached");
    }

    // ---- ignored inputs -----------------------------------------------------------------------------------------

    @Test
    void lateRepeatedAndForeignResultsAreIgnored() {
        WorkflowState drafting = start(WorkflowFixtures.review()).state();
        WorkflowState review = result(drafting, ExecutionStatus.COMPLETED, "draft").state();

        // The same result again (a redelivery), now that the run has left step 1.
        Result repeated = result(review, 1, id(1), ExecutionStatus.COMPLETED, "draft", null, null, null);
        assertThat(repeated.state()).isSameAs(review);
        assertThat(repeated.effects()).isEmpty();
        // A step result while a Human state waits.
        Result duringHuman = result(review, 2, id(1), ExecutionStatus.COMPLETED, "x", null, null, null);
        assertThat(duringHuman.state()).isSameAs(review);
        // The right step but another execution id.
        Result foreign = result(drafting, 1, id(99), ExecutionStatus.COMPLETED, "x", null, null, null);
        assertThat(foreign.state()).isSameAs(drafting);
        assertThat(foreign.effects()).isEmpty();
        // A step from the future.
        assertThat(result(drafting, 7, id(1), ExecutionStatus.COMPLETED, "x", null, null, null).effects())
                .isEmpty();
        // A decision while an Agent state waits.
        Result decisionDuringAgent = machine.apply(drafting, new WorkflowMachine.Decision(new ApprovalDecision(
                id(1), RUN, "drafter", ApprovalStatus.APPROVED, null, null, null, "approved", NOW)));
        assertThat(decisionDuringAgent.state()).isSameAs(drafting);
        // Inputs for a run nobody started.
        assertThat(machine.apply(null, new WorkflowMachine.StepResult(new WorkflowStepResult(RUN, 1, id(1),
                ExecutionStatus.COMPLETED, "", null, null, null, NOW)))).isEqualTo(new Result(null, List.of()));
        assertThat(machine.apply(null, new WorkflowMachine.Command(WorkflowCommand.cancel(RUN, NOW))))
                .isEqualTo(new Result(null, List.of()));
    }

    /**
     * The step's execution is run again as attempt 2 (its first worker was lost): once the new attempt is announced,
     * a result of attempt 1 (a frozen worker waking up) is ignored, and attempt 2's result ends the step.
     */
    @Test
    void afterANewAttemptIsAnnouncedResultsOfTheSupersededAttemptAreIgnored() {
        WorkflowState drafting = start(WorkflowFixtures.review()).state();
        Result announced = machine.apply(drafting, new WorkflowMachine.StepResult(
                WorkflowStepResult.attemptStarted(RUN, 1, id(1), 2, NOW)));
        assertThat(announced.effects()).isEmpty();
        WorkflowState second = announced.state();
        assertThat(second.pending()).isEqualTo(new WorkflowState.Pending(WorkflowState.Pending.AGENT, id(1), null, 1,
                2));
        assertThat(second.currentState()).isEqualTo("drafter");
        assertThat(second.blackboard()).isEqualTo(drafting.blackboard());

        WorkflowStepResult zombie = new WorkflowStepResult(RUN, 1, id(1), ExecutionStatus.COMPLETED, "stale", null,
                null, null, NOW);
        Result ignored = machine.apply(second, new WorkflowMachine.StepResult(zombie));
        assertThat(ignored.state()).isSameAs(second);
        assertThat(ignored.effects()).isEmpty();
        assertThat(machine.apply(second, new WorkflowMachine.StepResult(zombie.withAttempt(1))).effects()).isEmpty();
        // the same announcement again, or an older one, changes nothing
        assertThat(machine.apply(second, new WorkflowMachine.StepResult(
                WorkflowStepResult.attemptStarted(RUN, 1, id(1), 2, NOW))).state()).isSameAs(second);
        assertThat(machine.apply(second, new WorkflowMachine.StepResult(
                WorkflowStepResult.attemptStarted(RUN, 1, id(1), 1, NOW))).state()).isSameAs(second);

        Result ended = machine.apply(second, new WorkflowMachine.StepResult(new WorkflowStepResult(RUN, 1, id(1),
                ExecutionStatus.COMPLETED, "Release 2.0 is out", null, null, null, NOW).withAttempt(2)));
        assertThat(ended.state().currentState()).isEqualTo("review");
        assertThat(ended.events().getFirst()).isEqualTo(new StateExited(RUN, "drafter", "success",
                TextNode.valueOf("Release 2.0 is out"), NOW));
    }

    /** A notice is not an end: without attempts, a result of the first run still ends the step as before. */
    @Test
    void anAttemptNoticeNeverEndsAStepAndUnnumberedResultsAreOfTheFirstAttempt() {
        WorkflowState drafting = start(WorkflowFixtures.review()).state();
        Result notice = machine.apply(drafting, new WorkflowMachine.StepResult(
                WorkflowStepResult.attemptStarted(RUN, 1, id(1), 1, NOW)));
        assertThat(notice.state()).isSameAs(drafting);
        assertThat(notice.effects()).isEmpty();
        Result ended = result(drafting, ExecutionStatus.COMPLETED, "draft");
        assertThat(ended.state().currentState()).isEqualTo("review");
    }

    @Test
    void inputsAfterTheEndAreIgnored() {
        WorkflowState review = inReview(WorkflowFixtures.review());
        WorkflowState failed = decide(review, ApprovalStatus.TIMED_OUT, null, null, null).state();
        Result late = machine.apply(failed, new WorkflowMachine.Decision(new ApprovalDecision(
                review.pending().approvalId(), RUN, "review", ApprovalStatus.APPROVED, null, null, null, "approved",
                NOW)));
        assertThat(late.state()).isSameAs(failed);
        assertThat(late.effects()).isEmpty();
        Result cancel = machine.apply(failed, new WorkflowMachine.Command(WorkflowCommand.cancel(RUN, NOW)));
        assertThat(cancel.state()).isSameAs(failed);
        assertThat(cancel.effects()).isEmpty();
    }

    // ---- cancel ------------------------------------------------------------------------------------------------

    @Test
    void cancelEndsARunningRunWithOnlyWorkflowCancelledAndItsPendingResultIsThenIgnored() {
        WorkflowState drafting = start(WorkflowFixtures.review()).state();
        Result cancelled = machine.apply(drafting, new WorkflowMachine.Command(WorkflowCommand.cancel(RUN, NOW)));

        assertThat(cancelled.effects()).containsExactly(new WorkflowMachine.Emit(
                new WorkflowCancelled(RUN, WorkflowMachine.CANCEL_REASON, NOW)));
        assertThat(cancelled.state().status()).isEqualTo(WorkflowStatus.CANCELLED);
        assertThat(cancelled.state().pending()).isNull();
        assertThat(cancelled.state().currentState()).isEqualTo("drafter");

        Result late = result(cancelled.state(), 1, id(1), ExecutionStatus.COMPLETED, "draft", null, null, null);
        assertThat(late.effects()).isEmpty();
        assertThat(late.state()).isSameAs(cancelled.state());
    }

    @Test
    void cancellingARunThatWaitsOnAPersonWithdrawsItsApproval() {
        WorkflowState review = inReview(WorkflowFixtures.review());
        String approvalId = review.pending().approvalId();

        Result cancelled = machine.apply(review, new WorkflowMachine.Command(WorkflowCommand.cancel(RUN, NOW)));

        assertThat(cancelled.effects()).hasSize(2);
        WorkflowMachine.WithdrawApproval withdraw = (WorkflowMachine.WithdrawApproval) cancelled.effects().get(0);
        assertThat(withdraw.command().approvalId()).isEqualTo(approvalId);
        assertThat(withdraw.command().decision()).isEqualTo("reject");
        assertThat(withdraw.command().reason()).isEqualTo("the workflow was cancelled");
        assertThat(cancelled.events()).containsExactly(new WorkflowCancelled(RUN, WorkflowMachine.CANCEL_REASON, NOW));
    }

    // ---- ContainerRun ------------------------------------------------------------------------------------------

    @Test
    void aContainerRunStateRequestsARenderedContainerAndBranchesOnTheExitCode() {
        WorkflowRecord wf = workflow("""
                first:
                  kind: ContainerRun
                  image: python:3.12
                  command: [python3, -c, "print('{{workflow.input}}')"]
                  env: {TARGET: "{{context.target}}"}
                  resources: {cpu: 500, memory: 256Mi, timeout: 60s}
                  network: true
                  transitions:
                    - {condition: exit_code_zero, target: ok}
                    - {condition: exit_code_non_zero, target: broken}
                ok: {kind: Agent, agent: a, input: "{{first.output}}", transitions: []}
                broken: {kind: Agent, agent: b, input: "{{first.exit_code}}: {{first.output}}", transitions: []}
                """);
        Result r = start(wf, "hi", Json.tree("{\"target\":\"prod\"}"));
        ExecutionRequest request = r.executionRequests().getFirst();
        assertThat(request.agentName()).isNull();
        assertThat(request.agent()).isNull();
        assertThat(request.workflow()).isEqualTo(new ExecutionRequest.WorkflowLink(RUN, 1, "first"));
        assertThat(request.containerRun()).isEqualTo(new ExecutionRequest.ContainerRun("python:3.12",
                List.of("python3", "-c", "print('hi')"), Map.of("TARGET", "prod"), 500, 256L * 1024 * 1024, 60,
                true));
        assertThat(request.input()).isEqualTo("python3 -c print('hi')");
        assertThat(r.state().pending().kind()).isEqualTo(WorkflowState.Pending.CONTAINER);

        Result zero = result(r.state(), 1, id(1), ExecutionStatus.COMPLETED, "hi\n", null, 0, null);
        assertThat(zero.state().currentState()).isEqualTo("ok");
        assertThat(zero.state().blackboard().get("first")).isEqualTo(Json.tree("""
                {"status":"success","output":"hi\\n","exit_code":0}"""));

        Result two = result(r.state(), 1, id(1), ExecutionStatus.FAILED, "", "exit code 2", 2, null);
        assertThat(two.state().currentState()).isEqualTo("broken");
        assertThat(two.executionRequests().getFirst().input()).isEqualTo("2: exit code 2");
        assertThat(two.events().getFirst())
                .isEqualTo(new StateExited(RUN, "first", "failure", TextNode.valueOf("exit code 2"), NOW));
    }

    // ---- feedback and scores in a run --------------------------------------------------------------------------

    @Test
    void theTakenTransitionsFeedbackRendersFromTheFreshEntryAndReplacesTheStatesOwn() {
        WorkflowRecord wf = workflow("""
                first:
                  kind: Agent
                  agent: a
                  transitions:
                    - {condition: score_below, threshold: 0.5, target: retry, feedback: "Score {{first.score}} is low"}
                    - {condition: score_above, threshold: 0.5, target: done}
                retry: {kind: Agent, agent: a, input: "{{first.feedback}}", transitions: []}
                done: {kind: Agent, agent: a, transitions: []}
                """);
        WorkflowState s = start(wf).state();
        Result low = result(s, 1, id(1), ExecutionStatus.COMPLETED, "meh", null, null, 0.25);
        assertThat(low.executionRequests().getFirst().input()).isEqualTo("Score 0.25 is low");
        assertThat(low.state().blackboard().get("first").get("feedback").asText()).isEqualTo("Score 0.25 is low");

        Result high = result(s, 1, id(1), ExecutionStatus.COMPLETED, "great", null, null, 0.75);
        assertThat(high.state().currentState()).isEqualTo("done");
        assertThat(high.state().blackboard().get("first").has("feedback")).isFalse();

        // Exactly at the threshold neither holds, and no score at all satisfies neither: the run fails.
        Result equal = result(s, 1, id(1), ExecutionStatus.COMPLETED, "ok", null, null, 0.5);
        assertThat(equal.state().status()).isEqualTo(WorkflowStatus.FAILED);
        Result none = result(s, 1, id(1), ExecutionStatus.COMPLETED, "ok", null, null, null);
        assertThat(none.state().status()).isEqualTo(WorkflowStatus.FAILED);
    }

    @Test
    void aHumanTransitionFeedbackCanQuoteTheApproversReason() {
        WorkflowRecord wf = workflow("""
                first:
                  kind: Human
                  prompt: ok?
                  transitions:
                    - {condition: rejected, target: fix, feedback: "Reviewer said: {{first.feedback}}"}
                    - {condition: approved, target: fix}
                fix: {kind: Agent, agent: a, input: "{{first.feedback}}", transitions: []}
                """);
        WorkflowState s = start(wf).state();
        assertThat(reject(s, "too long").executionRequests().getFirst().input())
                .isEqualTo("Reviewer said: too long");
        assertThat(approve(s, "nice").executionRequests().getFirst().input()).isEqualTo("nice");
    }

    // ---- every condition ---------------------------------------------------------------------------------------

    private static Transition t(TransitionCondition c) {
        return new Transition(c, "x", null, null, null);
    }

    private static Transition t(TransitionCondition c, Double threshold, String value) {
        return new Transition(c, "x", threshold, value, null);
    }

    private static final String AGENT = WorkflowManifest.AGENT;
    private static final String HUMAN = WorkflowManifest.HUMAN;
    private static final String CONTAINER = WorkflowManifest.CONTAINER_RUN;

    private static Outcome ok() {
        return new Outcome(true, null, null, null);
    }

    private static Outcome failed() {
        return new Outcome(false, null, null, null);
    }

    private static Outcome exit(Integer code) {
        return new Outcome(code != null && code == 0, code, null, null);
    }

    private static Outcome score(Double score) {
        return new Outcome(true, null, score, null);
    }

    private static Outcome said(String response) {
        return new Outcome(TransitionCondition.meansYes(response), null, null, response);
    }

    static Stream<Arguments> conditions() {
        return Stream.of(
                Arguments.of(t(TransitionCondition.ALWAYS), AGENT, ok(), true),
                Arguments.of(t(TransitionCondition.ALWAYS), HUMAN, said("no"), true),
                Arguments.of(t(TransitionCondition.ALWAYS), CONTAINER, exit(3), true),
                Arguments.of(t(TransitionCondition.ON_SUCCESS), AGENT, ok(), true),
                Arguments.of(t(TransitionCondition.ON_SUCCESS), AGENT, failed(), false),
                Arguments.of(t(TransitionCondition.ON_SUCCESS), CONTAINER, exit(0), true),
                Arguments.of(t(TransitionCondition.ON_SUCCESS), CONTAINER, exit(1), false),
                Arguments.of(t(TransitionCondition.ON_SUCCESS), HUMAN, said("approved"), true),
                Arguments.of(t(TransitionCondition.ON_SUCCESS), HUMAN, said("rejected"), false),
                Arguments.of(t(TransitionCondition.ON_FAILURE), AGENT, failed(), true),
                Arguments.of(t(TransitionCondition.ON_FAILURE), AGENT, ok(), false),
                Arguments.of(t(TransitionCondition.ON_FAILURE), HUMAN, said("rejected"), true),
                Arguments.of(t(TransitionCondition.EXIT_CODE_ZERO), CONTAINER, exit(0), true),
                Arguments.of(t(TransitionCondition.EXIT_CODE_ZERO), CONTAINER, exit(1), false),
                Arguments.of(t(TransitionCondition.EXIT_CODE_ZERO), CONTAINER, exit(null), false),
                Arguments.of(t(TransitionCondition.EXIT_CODE_NON_ZERO), CONTAINER, exit(137), true),
                Arguments.of(t(TransitionCondition.EXIT_CODE_NON_ZERO), CONTAINER, exit(null), true),
                Arguments.of(t(TransitionCondition.EXIT_CODE_NON_ZERO), CONTAINER, exit(0), false),
                // Not allowed after an Agent state: never holds there, whatever the outcome.
                Arguments.of(t(TransitionCondition.EXIT_CODE_ZERO), AGENT, exit(0), false),
                Arguments.of(t(TransitionCondition.EXIT_CODE_NON_ZERO), AGENT, exit(1), false),
                Arguments.of(t(TransitionCondition.SCORE_ABOVE, 0.8, null), AGENT, score(0.81), true),
                Arguments.of(t(TransitionCondition.SCORE_ABOVE, 0.8, null), AGENT, score(0.8), false),
                Arguments.of(t(TransitionCondition.SCORE_ABOVE, 0.8, null), AGENT, score(null), false),
                Arguments.of(t(TransitionCondition.SCORE_ABOVE, 0.5, null), CONTAINER,
                        new Outcome(true, 0, 0.9, null), true),
                Arguments.of(t(TransitionCondition.SCORE_BELOW, 0.8, null), AGENT, score(0.79), true),
                Arguments.of(t(TransitionCondition.SCORE_BELOW, 0.8, null), AGENT, score(0.8), false),
                Arguments.of(t(TransitionCondition.SCORE_BELOW, 0.8, null), AGENT, score(null), false),
                Arguments.of(t(TransitionCondition.SCORE_BELOW, null, null), AGENT, score(0.1), false),
                Arguments.of(t(TransitionCondition.INPUT_EQUALS, null, "ship"), HUMAN, said("ship"), true),
                Arguments.of(t(TransitionCondition.INPUT_EQUALS, null, "ship"), HUMAN, said("Ship"), false),
                Arguments.of(t(TransitionCondition.INPUT_EQUALS, null, "ship"), HUMAN, said(null), false),
                Arguments.of(t(TransitionCondition.INPUT_EQUALS, null, "ship"), AGENT, said("ship"), false),
                Arguments.of(t(TransitionCondition.INPUT_EQUALS_YES), HUMAN, said("Y"), true),
                Arguments.of(t(TransitionCondition.INPUT_EQUALS_YES), HUMAN, said(" approved "), true),
                Arguments.of(t(TransitionCondition.INPUT_EQUALS_YES), HUMAN, said("no"), false),
                Arguments.of(t(TransitionCondition.INPUT_EQUALS_NO), HUMAN, said("0"), true),
                Arguments.of(t(TransitionCondition.INPUT_EQUALS_NO), HUMAN, said("rejected"), true),
                Arguments.of(t(TransitionCondition.INPUT_EQUALS_NO), HUMAN, said("yes"), false),
                Arguments.of(t(TransitionCondition.APPROVED), HUMAN, said("approved"), true),
                Arguments.of(t(TransitionCondition.APPROVED), HUMAN, said("true"), true),
                Arguments.of(t(TransitionCondition.APPROVED), HUMAN, said("rejected"), false),
                Arguments.of(t(TransitionCondition.APPROVED), HUMAN, said("maybe"), false),
                Arguments.of(t(TransitionCondition.APPROVED), AGENT, ok(), false),
                Arguments.of(t(TransitionCondition.REJECTED), HUMAN, said("rejected"), true),
                Arguments.of(t(TransitionCondition.REJECTED), HUMAN, said("n"), true),
                Arguments.of(t(TransitionCondition.REJECTED), HUMAN, said("approved"), false),
                Arguments.of(t(TransitionCondition.REJECTED), HUMAN, said("maybe"), false),
                Arguments.of(t(TransitionCondition.REJECTED), AGENT, failed(), false));
    }

    @ParameterizedTest(name = "{0} after {1} with {2} -> {3}")
    @MethodSource("conditions")
    void everyConditionHoldsExactlyWhenItShould(Transition transition, String kind, Outcome outcome,
                                                 boolean expected) {
        assertThat(WorkflowMachine.holds(transition, kind, outcome)).isEqualTo(expected);
    }

    @Test
    void everyConditionIsCoveredByTheTable() {
        assertThat(conditions().map(a -> ((Transition) a.get()[0]).condition()).distinct())
                .containsExactlyInAnyOrder(TransitionCondition.values());
    }

    @Test
    void theStoredStateRoundTripsThroughTheStoreSerde() {
        WorkflowState s = inReview(WorkflowFixtures.review());
        var serde = WorkflowEngineTopology.stateSerde();
        byte[] bytes = serde.serializer().serialize("t", s);
        assertThat(serde.deserializer().deserialize("t", bytes)).isEqualTo(s);
    }
}
