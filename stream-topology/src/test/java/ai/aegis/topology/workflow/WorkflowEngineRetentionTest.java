package ai.aegis.topology.workflow;

import ai.aegis.schemas.approval.ApprovalDecision;
import ai.aegis.schemas.approval.ApprovalRequest;
import ai.aegis.schemas.approval.ApprovalStatus;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.schemas.execution.ExecutionStatus;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.schemas.workflow.WorkflowCommand;
import ai.aegis.schemas.workflow.WorkflowEvent;
import ai.aegis.schemas.workflow.WorkflowStatus;
import ai.aegis.schemas.workflow.WorkflowStepResult;
import ai.aegis.topology.deadletter.StreamsDeadLetters;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.topology.timer.Timers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The engine's purge of finished runs, driven by the test driver's wall clock. */
class WorkflowEngineRetentionTest {

    private static final Instant WALL = Instant.parse("2026-03-05T14:00:00Z");
    private static final Duration RETENTION = Duration.ofHours(1);
    private static final Duration INTERVAL = Duration.ofMinutes(1);

    @TempDir
    Path stateDir;

    private final TopicCatalog topics = new TopicCatalog("wr", 3);
    private final String run = UUID.randomUUID().toString();
    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> commands;
    private TestInputTopic<String, byte[]> steps;
    private TestInputTopic<String, byte[]> decisions;
    private TestOutputTopic<String, byte[]> executions;
    private TestOutputTopic<String, byte[]> approvals;
    private TestOutputTopic<String, byte[]> approvalCommands;
    private TestOutputTopic<String, byte[]> events;

    @BeforeEach
    void startDriver() {
        startDriver(WorkflowEngineTopology.DEFAULT_PURGE_BATCH);
    }

    private void startDriver(int purgeBatch) {
        Properties props = KafkaSettings.of("unused:9092", topics, "test").streams("workflow-retention-test",
                "engine", stateDir.resolve("batch-" + purgeBatch), new StreamsDeadLetters(
                        topics.deadLetters().name(), WorkflowEngineService.CONSUMER, "/test"));
        driver = new TopologyTestDriver(new WorkflowEngineTopology(topics, new WorkflowMachine(), "/test",
                new WorkflowRetention(RETENTION, INTERVAL), purgeBatch).build(), props, WALL);
        StringSerializer keys = new StringSerializer();
        ByteArraySerializer values = new ByteArraySerializer();
        commands = driver.createInputTopic(topics.workflowCommands().name(), keys, values);
        steps = driver.createInputTopic(topics.workflowSteps().name(), keys, values);
        decisions = driver.createInputTopic(topics.approvalDecisions().name(), keys, values);
        StringDeserializer k = new StringDeserializer();
        ByteArrayDeserializer v = new ByteArrayDeserializer();
        executions = driver.createOutputTopic(topics.executionRequests().name(), k, v);
        approvals = driver.createOutputTopic(topics.approvalRequests().name(), k, v);
        approvalCommands = driver.createOutputTopic(topics.approvalCommands().name(), k, v);
        events = driver.createOutputTopic(topics.workflowEvents().name(), k, v);
    }

    @AfterEach
    void closeDriver() {
        driver.close();
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private byte[] startCommand(String id, Instant requestedAt) {
        return Json.writeBytes(WorkflowCommand.start(id, WorkflowFixtures.review(), "release 2.0", null,
                requestedAt));
    }

    private void finish(ExecutionRequest request) {
        steps.pipeInput(run, Json.writeBytes(new WorkflowStepResult(run, request.workflow().step(),
                request.executionId(), ExecutionStatus.COMPLETED, "done", null, null, null, WALL)));
    }

    private void decide(ApprovalRequest request) {
        decisions.pipeInput(request.id(), Json.writeBytes(new ApprovalDecision(request.id(), run,
                request.stateName(), ApprovalStatus.APPROVED, null, null, "alice", "approved",
                WALL)));
    }

    private ExecutionRequest onlyExecution() {
        List<byte[]> values = executions.readValuesToList();
        assertThat(values).hasSize(1);
        return Json.read(values.getFirst(), ExecutionRequest.class);
    }

    private ApprovalRequest onlyApproval() {
        List<byte[]> values = approvals.readValuesToList();
        assertThat(values).hasSize(1);
        return Json.read(values.getFirst(), ApprovalRequest.class);
    }

    private List<String> newEventTypes() {
        return events.readValuesToList().stream().map(b -> Json.read(b, WorkflowEvent.class).type()).toList();
    }

    /** Runs the review workflow to completion; returns what late inputs would name. */
    private Finished completeRun() {
        commands.pipeInput(run, startCommand(run, WALL));
        ExecutionRequest draft = onlyExecution();
        finish(draft);
        ApprovalRequest review = onlyApproval();
        decide(review);
        ExecutionRequest publish = onlyExecution();
        finish(publish);
        assertThat(newEventTypes()).endsWith("workflow_completed");
        assertThat(stored(run).status()).isEqualTo(WorkflowStatus.COMPLETED);
        return new Finished(draft, review, publish);
    }

    private record Finished(ExecutionRequest draft, ApprovalRequest review, ExecutionRequest publish) {
    }

    private WorkflowState stored(String id) {
        KeyValueStore<String, WorkflowState> store = driver.getKeyValueStore(WorkflowEngineTopology.STORE);
        return store.get(id);
    }

    private List<KeyValue<String, String>> timers() {
        KeyValueStore<String, String> timers = driver.getKeyValueStore(WorkflowEngineTopology.TIMERS);
        List<KeyValue<String, String>> all = new ArrayList<>();
        try (KeyValueIterator<String, String> it = timers.all()) {
            it.forEachRemaining(all::add);
        }
        return all.stream().filter(kv -> !kv.key.startsWith("~")).toList();
    }

    private void assertNothingWritten() {
        assertThat(events.isEmpty()).isTrue();
        assertThat(executions.isEmpty()).isTrue();
        assertThat(approvals.isEmpty()).isTrue();
        assertThat(approvalCommands.isEmpty()).isTrue();
    }

    // ---- tests -------------------------------------------------------------------------------------------------

    @Test
    void aFinishedRunStaysForTheRetentionThenIsPurged() {
        completeRun();
        assertThat(timers()).extracting(kv -> kv.key)
                .containsExactly(Timers.key(WALL.plus(RETENTION).toEpochMilli(), run));

        driver.advanceWallClockTime(RETENTION.minusMinutes(2));
        assertThat(stored(run)).isNotNull();

        driver.advanceWallClockTime(Duration.ofMinutes(3));
        assertThat(stored(run)).isNull();
        assertThat(timers()).isEmpty();
    }

    @Test
    void lateInputsBeforeThePurgeMeetTheFinishedStateAndAfterItMeetNothing() {
        Finished finished = completeRun();
        finish(finished.publish()); // a duplicate within the retention: recognised against the state, ignored
        assertNothingWritten();
        assertThat(stored(run).status()).isEqualTo(WorkflowStatus.COMPLETED);

        driver.advanceWallClockTime(RETENTION.plus(INTERVAL));
        assertThat(stored(run)).isNull();

        finish(finished.publish());
        finish(finished.draft());
        decide(finished.review());
        commands.pipeInput(run, Json.writeBytes(WorkflowCommand.cancel(run, WALL.plus(RETENTION))));
        assertNothingWritten();
        assertThat(stored(run)).isNull();
    }

    @Test
    void aRunningRunIsNeverPurged() {
        commands.pipeInput(run, startCommand(run, WALL));
        ExecutionRequest draft = onlyExecution();
        newEventTypes();

        driver.advanceWallClockTime(RETENTION.multipliedBy(3));
        assertThat(timers()).isEmpty(); // no timer while running
        // Even a due timer naming it (none is ever set for a running run) must not delete it.
        KeyValueStore<String, String> timerStore = driver.getKeyValueStore(WorkflowEngineTopology.TIMERS);
        timerStore.put(Timers.key(WALL.toEpochMilli(), run), run);
        driver.advanceWallClockTime(RETENTION.multipliedBy(3));
        assertThat(stored(run).status()).isEqualTo(WorkflowStatus.RUNNING);
        assertThat(timers()).isEmpty();

        finish(draft); // it still moves on
        assertThat(onlyApproval().stateName()).isEqualTo("review");
    }

    @Test
    void aCancelledRunIsPurgedAfterTheRetentionCountedFromItsEnd() {
        commands.pipeInput(run, startCommand(run, WALL));
        onlyExecution();
        driver.advanceWallClockTime(Duration.ofHours(5)); // running all along: the retention starts at the cancel
        commands.pipeInput(run, Json.writeBytes(WorkflowCommand.cancel(run, WALL.plus(Duration.ofHours(5)))));
        assertThat(stored(run).status()).isEqualTo(WorkflowStatus.CANCELLED);

        driver.advanceWallClockTime(RETENTION.minus(INTERVAL.multipliedBy(2)));
        assertThat(stored(run)).isNotNull();
        driver.advanceWallClockTime(INTERVAL.multipliedBy(3));
        assertThat(stored(run)).isNull();
    }

    @Test
    void aStartReadAgainAfterItsRunWasPurgedDoesNotRunItAgainButANewerRunStarts() {
        completeRun();
        driver.advanceWallClockTime(RETENTION.plus(INTERVAL));
        assertThat(stored(run)).isNull();

        commands.pipeInput(run, startCommand(run, WALL)); // e.g. the commands topic re-read from the beginning
        assertNothingWritten();
        assertThat(stored(run)).isNull();

        String next = UUID.randomUUID().toString();
        commands.pipeInput(next, startCommand(next, WALL.plus(RETENTION)));
        assertThat(onlyExecution().workflow().workflowExecutionId()).isEqualTo(next);
        assertThat(stored(next).running()).isTrue();
    }

    /** As an engine from before the retention left it: a run in the store, and no timer. */
    private void storeLegacy(String id, WorkflowStatus status) {
        KeyValueStore<String, WorkflowState> store = driver.getKeyValueStore(WorkflowEngineTopology.STORE);
        store.put(id, new WorkflowState(id, WorkflowFixtures.review(), status, "drafter", 1, Json.object(), null,
                WALL.minus(Duration.ofDays(30)), null));
    }

    @Test
    void finishedRunsStoredWithoutATimerArePurgedAfterTheFirstSweep() {
        String legacyDone = UUID.randomUUID().toString();
        String legacyRunning = UUID.randomUUID().toString();
        storeLegacy(legacyDone, WorkflowStatus.FAILED);
        storeLegacy(legacyRunning, WorkflowStatus.RUNNING);

        driver.advanceWallClockTime(INTERVAL); // the first punctuation gives the finished run a timer
        assertThat(timers()).extracting(kv -> kv.value).containsExactly(legacyDone);
        assertThat(stored(legacyDone)).isNotNull();

        driver.advanceWallClockTime(RETENTION.plus(INTERVAL));
        assertThat(stored(legacyDone)).isNull();
        assertThat(stored(legacyRunning)).isNotNull();
    }

    @Test
    void aPunctuationSweepsAndPurgesAtMostABatchAndTheRestFollow() {
        closeDriver();
        startDriver(2);
        List<String> done = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String id = UUID.randomUUID().toString();
            storeLegacy(id, WorkflowStatus.COMPLETED);
            done.add(id);
        }
        storeLegacy(UUID.randomUUID().toString(), WorkflowStatus.RUNNING);

        driver.advanceWallClockTime(INTERVAL); // looks at 2 of the 6 runs
        assertThat(timers().size()).isLessThanOrEqualTo(2);
        driver.advanceWallClockTime(INTERVAL);
        driver.advanceWallClockTime(INTERVAL); // the last 2: the sweep is done
        assertThat(timers()).extracting(kv -> kv.value).containsExactlyInAnyOrderElementsOf(done);

        driver.advanceWallClockTime(RETENTION); // all five are due; two go per punctuation
        assertThat(done.stream().filter(id -> stored(id) != null)).hasSize(3);
        driver.advanceWallClockTime(INTERVAL);
        assertThat(done.stream().filter(id -> stored(id) != null)).hasSize(1);
        driver.advanceWallClockTime(INTERVAL);
        assertThat(done.stream().filter(id -> stored(id) != null)).isEmpty();
        assertThat(timers()).isEmpty();
    }
}
