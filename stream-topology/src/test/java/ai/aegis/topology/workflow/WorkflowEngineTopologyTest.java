package ai.aegis.topology.workflow;

import ai.aegis.schemas.approval.ApprovalDecision;
import ai.aegis.schemas.approval.ApprovalRequest;
import ai.aegis.schemas.approval.ApprovalStatus;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.schemas.execution.ExecutionStatus;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.CloudEventHeaders;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.schemas.workflow.WorkflowCommand;
import ai.aegis.schemas.workflow.WorkflowEvent;
import ai.aegis.schemas.workflow.WorkflowEvent.StateEntered;
import ai.aegis.schemas.workflow.WorkflowRecord;
import ai.aegis.schemas.workflow.WorkflowStatus;
import ai.aegis.schemas.workflow.WorkflowStepResult;
import ai.aegis.topology.deadletter.StreamsDeadLetters;
import ai.aegis.topology.kafka.KafkaSettings;
import com.fasterxml.jackson.databind.node.TextNode;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class WorkflowEngineTopologyTest {

    private static final Instant T0 = Instant.parse("2026-03-05T14:00:00Z");
    private static final String SOURCE = "/aegis/workflow-engine/test";

    @TempDir
    Path stateDir;

    private final TopicCatalog topics = new TopicCatalog("wt", 3);
    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> commands;
    private TestInputTopic<String, byte[]> steps;
    private TestInputTopic<String, byte[]> decisions;
    private TestOutputTopic<String, byte[]> executions;
    private TestOutputTopic<String, byte[]> approvals;
    private TestOutputTopic<String, byte[]> events;
    private final StreamsDeadLetters deadLetters = new StreamsDeadLetters(topics.deadLetters().name(),
            WorkflowEngineService.CONSUMER, SOURCE);
    private final String run = UUID.randomUUID().toString();

    @BeforeEach
    void startDriver() {
        // The engine's own Streams configuration: exactly-once and the dead-letter handlers.
        Properties props = KafkaSettings.of("unused:9092", topics, "test").streams("workflow-engine-test", "engine",
                stateDir, deadLetters);
        driver = new TopologyTestDriver(new WorkflowEngineTopology(topics, new WorkflowMachine(), SOURCE).build(),
                props);
        StringSerializer keys = new StringSerializer();
        ByteArraySerializer values = new ByteArraySerializer();
        commands = driver.createInputTopic(topics.workflowCommands().name(), keys, values);
        steps = driver.createInputTopic(topics.workflowSteps().name(), keys, values);
        decisions = driver.createInputTopic(topics.approvalDecisions().name(), keys, values);
        executions = driver.createOutputTopic(topics.executionRequests().name(), new StringDeserializer(),
                new ByteArrayDeserializer());
        approvals = driver.createOutputTopic(topics.approvalRequests().name(), new StringDeserializer(),
                new ByteArrayDeserializer());
        events = driver.createOutputTopic(topics.workflowEvents().name(), new StringDeserializer(),
                new ByteArrayDeserializer());
    }

    @AfterEach
    void closeDriver() {
        driver.close();
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private void start(WorkflowRecord workflow, String input) {
        commands.pipeInput(run, Json.writeBytes(WorkflowCommand.start(run, workflow, input, null, T0)));
    }

    private void finish(ExecutionRequest request, ExecutionStatus status, String output) {
        steps.pipeInput(run, Json.writeBytes(new WorkflowStepResult(run, request.workflow().step(),
                request.executionId(), status, output, null, null, null, T0)));
    }

    private void decide(ApprovalRequest request, ApprovalStatus outcome, String feedback, String reason) {
        // Keyed by approval id, as the approval service writes it: the engine re-keys it.
        decisions.pipeInput(request.id(), Json.writeBytes(new ApprovalDecision(request.id(), run,
                request.stateName(), outcome, feedback, reason, "alice", outcome.wireName(), T0)));
    }

    private ExecutionRequest onlyExecution() {
        List<TestRecord<String, byte[]>> records = executions.readRecordsToList();
        assertThat(records).hasSize(1);
        TestRecord<String, byte[]> record = records.getFirst();
        ExecutionRequest request = Json.read(record.value(), ExecutionRequest.class);
        assertThat(record.key()).isEqualTo(request.executionId());
        assertHeaders(record.headers(), ai.aegis.schemas.execution.ExecutionRequest.CE_TYPE, request.executionId());
        return request;
    }

    private ApprovalRequest onlyApproval() {
        List<TestRecord<String, byte[]>> records = approvals.readRecordsToList();
        assertThat(records).hasSize(1);
        TestRecord<String, byte[]> record = records.getFirst();
        ApprovalRequest request = Json.read(record.value(), ApprovalRequest.class);
        assertThat(record.key()).isEqualTo(request.id());
        assertHeaders(record.headers(), ApprovalRequest.CE_TYPE, request.id());
        return request;
    }

    private List<WorkflowEvent> newEvents() {
        return events.readRecordsToList().stream().map(r -> {
            WorkflowEvent event = Json.read(r.value(), WorkflowEvent.class);
            assertThat(r.key()).isEqualTo(run);
            assertHeaders(r.headers(), event.ceType(), run);
            return event;
        }).toList();
    }

    private static List<String> types(List<WorkflowEvent> list) {
        return list.stream().map(WorkflowEvent::type).toList();
    }

    private static void assertHeaders(Headers headers, String type, String subject) {
        assertThat(CloudEventHeaders.get(headers, CloudEventHeaders.TYPE)).contains(type);
        assertThat(CloudEventHeaders.get(headers, CloudEventHeaders.SUBJECT)).contains(subject);
        assertThat(CloudEventHeaders.get(headers, CloudEventHeaders.SOURCE)).contains(SOURCE);
        assertThat(CloudEventHeaders.get(headers, CloudEventHeaders.SPECVERSION)).contains("1.0");
        assertThat(CloudEventHeaders.get(headers, CloudEventHeaders.ID)).isPresent();
        assertThat(headers.toArray()).extracting(h -> h.key()).doesNotHaveDuplicates();
    }

    private WorkflowState stored() {
        KeyValueStore<String, WorkflowState> store = driver.getKeyValueStore(WorkflowEngineTopology.STORE);
        return store.get(run);
    }

    /** Start, complete the draft: returns the review's approval request. */
    private ApprovalRequest toReview(WorkflowRecord workflow) {
        start(workflow, "release 2.0");
        finish(onlyExecution(), ExecutionStatus.COMPLETED, "Release 2.0 is out");
        newEvents();
        return onlyApproval();
    }

    // ---- tests -------------------------------------------------------------------------------------------------

    @Test
    void anApprovedAgentHumanAgentWorkflowRunsToCompletionThroughTheTopics() {
        start(WorkflowFixtures.review(), "release 2.0");
        ExecutionRequest draft = onlyExecution();
        assertThat(draft.agentName()).isEqualTo("drafter");
        assertThat(draft.input()).isEqualTo("Announce release 2.0 to developers");
        assertThat(draft.workflow()).isEqualTo(new ExecutionRequest.WorkflowLink(run, 1, "drafter"));
        List<WorkflowEvent> started = newEvents();
        assertThat(types(started)).containsExactly("workflow_started", "state_entered");
        assertThat(((StateEntered) started.get(1)).step()).isEqualTo(1);
        assertThat(stored().pending().executionId()).isEqualTo(draft.executionId());

        finish(draft, ExecutionStatus.COMPLETED, "Release 2.0 is out");
        ApprovalRequest review = onlyApproval();
        assertThat(review.workflowExecutionId()).isEqualTo(run);
        assertThat(review.stateName()).isEqualTo("review");
        assertThat(review.prompt()).isEqualTo("Approve this? Release 2.0 is out");
        assertThat(review.timeoutSeconds()).isEqualTo(90);
        assertThat(types(newEvents())).containsExactly("state_exited", "state_entered", "approval_requested");
        assertThat(executions.isEmpty()).isTrue();

        decide(review, ApprovalStatus.APPROVED, "Ship it", null);
        ExecutionRequest publish = onlyExecution();
        assertThat(publish.agentName()).isEqualTo("publisher");
        assertThat(publish.input()).isEqualTo("Publish Release 2.0 is out");
        assertThat(publish.workflow().step()).isEqualTo(3);
        assertThat(types(newEvents())).containsExactly("state_exited", "state_entered");

        finish(publish, ExecutionStatus.COMPLETED, "Published");
        List<WorkflowEvent> end = newEvents();
        assertThat(types(end)).containsExactly("state_exited", "workflow_completed");
        WorkflowEvent.WorkflowCompleted completed = (WorkflowEvent.WorkflowCompleted) end.get(1);
        assertThat(completed.finalState()).isEqualTo("publisher");
        assertThat(completed.blackboard().get("drafter").get("output").asText()).isEqualTo("Release 2.0 is out");
        assertThat(completed.blackboard().get("review").get("output").asText()).isEqualTo("approved");
        assertThat(completed.blackboard().get("review").get("feedback").asText()).isEqualTo("Ship it");
        assertThat(completed.blackboard().get("publisher").get("output").asText()).isEqualTo("Published");
        assertThat(completed.blackboard().get("context").get("audience").asText()).isEqualTo("developers");
        assertThat(stored().status()).isEqualTo(WorkflowStatus.COMPLETED);
        assertThat(executions.isEmpty()).isTrue();
        assertThat(approvals.isEmpty()).isTrue();
    }

    @Test
    void aRejectionRunsTheRejectionPathWhichSeesTheReason() {
        ApprovalRequest review = toReview(WorkflowFixtures.review());
        decide(review, ApprovalStatus.REJECTED, null, "Needs more citations.");

        ExecutionRequest revise = onlyExecution();
        assertThat(revise.agentName()).isEqualTo("reviser");
        assertThat(revise.input()).isEqualTo("Fix: Needs more citations. in Release 2.0 is out");
        List<WorkflowEvent> exited = newEvents();
        assertThat(exited.getFirst()).isEqualTo(new WorkflowEvent.StateExited(run, "review", "failure",
                TextNode.valueOf("rejected"),
                ((WorkflowEvent.StateExited) exited.getFirst()).exitedAt()));

        finish(revise, ExecutionStatus.COMPLETED, "Release 2.0 is out [1]");
        ApprovalRequest again = onlyApproval();
        assertThat(again.id()).isNotEqualTo(review.id());
        assertThat(stored().step()).isEqualTo(4);
    }

    @Test
    void aLateDuplicateResultIsIgnored() {
        start(WorkflowFixtures.review(), "x");
        ExecutionRequest draft = onlyExecution();
        finish(draft, ExecutionStatus.COMPLETED, "draft");
        onlyApproval();
        newEvents();
        WorkflowState before = stored();

        finish(draft, ExecutionStatus.COMPLETED, "draft"); // redelivered
        finish(draft, ExecutionStatus.FAILED, "late failure");

        assertThat(approvals.isEmpty()).isTrue();
        assertThat(executions.isEmpty()).isTrue();
        assertThat(events.isEmpty()).isTrue();
        assertThat(stored()).isEqualTo(before);
    }

    @Test
    void aDecisionIsAppliedOnceEvenWhenDeliveredTwice() {
        ApprovalRequest review = toReview(WorkflowFixtures.review());
        decide(review, ApprovalStatus.APPROVED, null, null);
        decide(review, ApprovalStatus.APPROVED, null, null);
        assertThat(onlyExecution().agentName()).isEqualTo("publisher");
    }

    @Test
    void aLoopStopsAtMaxSteps() {
        ApprovalRequest review = toReview(WorkflowFixtures.review(4));
        decide(review, ApprovalStatus.REJECTED, null, "again");
        finish(onlyExecution(), ExecutionStatus.COMPLETED, "v2");
        ApprovalRequest second = onlyApproval();
        newEvents();

        decide(second, ApprovalStatus.REJECTED, null, "again");
        List<WorkflowEvent> end = newEvents();
        assertThat(types(end)).containsExactly("state_exited", "workflow_failed");
        assertThat(((WorkflowEvent.WorkflowFailed) end.getLast()).reason()).isEqualTo("step limit 4 reached");
        assertThat(executions.isEmpty()).isTrue();
        assertThat(stored().status()).isEqualTo(WorkflowStatus.FAILED);
    }

    @Test
    void aHumanTimeoutWithoutDefaultFailsTheRun() {
        ApprovalRequest review = toReview(WorkflowFixtures.review());
        decisions.pipeInput(review.id(), Json.writeBytes(new ApprovalDecision(review.id(), run, "review",
                ApprovalStatus.TIMED_OUT, null, null, null, null, T0)));
        List<WorkflowEvent> end = newEvents();
        assertThat(((WorkflowEvent.WorkflowFailed) end.getLast()).reason())
                .isEqualTo(WorkflowEvent.HUMAN_INPUT_TIMEOUT);
    }

    @Test
    void cancelEndsTheRunAndItsPendingResultIsIgnored() {
        start(WorkflowFixtures.review(), "x");
        ExecutionRequest draft = onlyExecution();
        newEvents();

        commands.pipeInput(run, Json.writeBytes(WorkflowCommand.cancel(run, T0)));
        List<WorkflowEvent> cancelled = newEvents();
        assertThat(types(cancelled)).containsExactly("workflow_cancelled");
        assertThat(stored().status()).isEqualTo(WorkflowStatus.CANCELLED);

        finish(draft, ExecutionStatus.COMPLETED, "draft");
        assertThat(events.isEmpty()).isTrue();
        assertThat(approvals.isEmpty()).isTrue();
    }

    /**
     * Bytes that are not JSON, JSON {@code null}, a tombstone, a record without key, another shape, a record without
     * the id it needs: each is refused by the source's deserializer and handed to the dead-letter handler, and the
     * engine goes on with the next record. (What reaches the dead-letter topic, with its headers, is checked on the
     * real broker in {@code WorkflowEngineServiceTest}: this driver drops records sent outside processing.)
     */
    @Test
    void unreadableRecordsAreDeadLetteredAndTheEngineGoesOn() {
        commands.pipeInput(run, "{not json".getBytes(StandardCharsets.UTF_8));
        commands.pipeInput(run, "null".getBytes(StandardCharsets.UTF_8));
        commands.pipeInput(run, (byte[]) null);
        commands.pipeInput((String) null, Json.writeBytes(WorkflowCommand.cancel(run, T0))); // no key
        steps.pipeInput(run, "[]".getBytes(StandardCharsets.UTF_8));
        steps.pipeInput(run, "{}".getBytes(StandardCharsets.UTF_8));
        decisions.pipeInput("a", "{\"approval_id\":\"a\"}".getBytes(StandardCharsets.UTF_8)); // no workflow id
        assertThat(events.isEmpty()).isTrue();
        assertThat(deadLetters.written()).isEqualTo(7);

        start(WorkflowFixtures.review(), "x");
        assertThat(onlyExecution().agentName()).isEqualTo("drafter");
    }

    @Test
    void runsAreIndependentByKey() {
        String other = UUID.randomUUID().toString();
        commands.pipeInput(other, Json.writeBytes(WorkflowCommand.start(other, WorkflowFixtures.review(), "b",
                null, T0)));
        start(WorkflowFixtures.review(), "a");
        List<TestRecord<String, byte[]>> requests = executions.readRecordsToList();
        assertThat(requests).extracting(r -> Json.read(r.value(), ExecutionRequest.class).workflow()
                .workflowExecutionId()).containsExactly(other, run);
        commands.pipeInput(other, Json.writeBytes(WorkflowCommand.cancel(other, T0)));
        assertThat(stored().status()).isEqualTo(WorkflowStatus.RUNNING);
    }
}
