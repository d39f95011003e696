package ai.aegis.topology.workflow;

import ai.aegis.testing.SharedTestBroker;
import ai.aegis.schemas.approval.ApprovalDecision;
import ai.aegis.schemas.approval.ApprovalRequest;
import ai.aegis.schemas.approval.ApprovalStatus;
import ai.aegis.schemas.deadletter.DeadLetter;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.schemas.execution.ExecutionStatus;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.CloudEventHeaders;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.schemas.workflow.WorkflowCommand;
import ai.aegis.schemas.workflow.WorkflowEvent;
import ai.aegis.schemas.workflow.WorkflowStepResult;
import ai.aegis.topology.admin.TopicInstaller;
import ai.aegis.testing.TopicRecords;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.topology.serde.MalformedRecordException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The engine on the real (embedded) broker, exactly-once, including a restart in the middle of a run. */
class WorkflowEngineServiceTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(40);

    @TempDir
    Path dataDir;

    private TopicCatalog topics;
    private KafkaSettings settings;
    private KafkaProducer<String, byte[]> producer;
    private KafkaConsumer<String, byte[]> tail;
    private final List<ConsumerRecord<String, byte[]>> executionRecords = new ArrayList<>();
    private final List<ConsumerRecord<String, byte[]>> approvalRecords = new ArrayList<>();
    private final List<ConsumerRecord<String, byte[]>> eventRecords = new ArrayList<>();
    private WorkflowEngineService engine;

    @BeforeEach
    void setUp() {
        String bootstrap = SharedTestBroker.get().bootstrapServers();
        topics = new TopicCatalog("wf" + UUID.randomUUID().toString().replace("-", ""), 2);
        settings = KafkaSettings.of(bootstrap, topics, "wf-engine-test");
        try (Admin admin = Admin.create(settings.admin())) {
            TopicInstaller.ensure(admin, topics.all(), TIMEOUT);
        }
        producer = new KafkaProducer<>(settings.producer());
        // read_committed (KafkaSettings.consumer): what the ingress and workers see, aborted writes excluded.
        tail = new KafkaConsumer<>(settings.consumer(null));
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(topics.executionRequests().name(), topics.approvalRequests().name(),
                topics.workflowEvents().name())) {
            IntStream.range(0, 2).forEach(p -> partitions.add(new TopicPartition(topic, p)));
        }
        tail.assign(partitions);
        tail.seekToBeginning(partitions);
    }

    @AfterEach
    void tearDown() {
        if (engine != null) {
            engine.close();
        }
        producer.close();
        tail.close();
    }

    private void poll() {
        for (ConsumerRecord<String, byte[]> r : tail.poll(Duration.ofMillis(200))) {
            if (r.topic().equals(topics.executionRequests().name())) {
                executionRecords.add(r);
            } else if (r.topic().equals(topics.approvalRequests().name())) {
                approvalRecords.add(r);
            } else {
                eventRecords.add(r);
            }
        }
    }

    private List<ExecutionRequest> executions() {
        return executionRecords.stream().map(r -> Json.read(r.value(), ExecutionRequest.class)).toList();
    }

    private List<ApprovalRequest> approvals() {
        return approvalRecords.stream().map(r -> Json.read(r.value(), ApprovalRequest.class)).toList();
    }

    private List<WorkflowEvent> events() {
        return eventRecords.stream().map(r -> Json.read(r.value(), WorkflowEvent.class)).toList();
    }

    private void awaitPolled(Runnable assertion) {
        await().atMost(TIMEOUT).pollInSameThread().pollInterval(Duration.ofMillis(10)).untilAsserted(() -> {
            poll();
            assertion.run();
        });
    }

    private void send(String topic, String key, Object value, String ceType) throws Exception {
        producer.send(new ProducerRecord<>(topic, null, key, Json.writeBytes(value),
                CloudEventHeaders.of(ceType, "/aegis/test", key, Instant.now()))).get(10, TimeUnit.SECONDS);
    }

    private void finish(String run, ExecutionRequest request, String output) throws Exception {
        send(topics.workflowSteps().name(), run, new WorkflowStepResult(run, request.workflow().step(),
                request.executionId(), ExecutionStatus.COMPLETED, output, null, null, null, Instant.now()),
                WorkflowStepResult.CE_TYPE);
    }

    @Test
    void aWorkflowRunsToCompletionAcrossARestartOfTheEngineWithNoStepLostOrRepeated() throws Exception {
        engine = new WorkflowEngineService(settings, dataDir.resolve("first")).start(TIMEOUT);
        assertThat(engine.state()).isEqualTo(KafkaStreams.State.RUNNING);
        assertThat(engine.applicationId()).isEqualTo(topics.prefix() + "-workflow-engine");
        String run = UUID.randomUUID().toString();

        send(topics.workflowCommands().name(), run, WorkflowCommand.start(run, WorkflowFixtures.review(),
                "release 2.0", null, Instant.now()), WorkflowCommand.CE_START_REQUESTED);
        awaitPolled(() -> assertThat(executions()).hasSize(1));
        ExecutionRequest draft = executions().getFirst();
        assertThat(draft.agentName()).isEqualTo("drafter");
        assertThat(executionRecords.getFirst().key()).isEqualTo(draft.executionId());
        assertThat(CloudEventHeaders.get(executionRecords.getFirst().headers(), CloudEventHeaders.TYPE))
                .contains(ai.aegis.schemas.execution.ExecutionRequest.CE_TYPE);

        finish(run, draft, "Release 2.0 is out");
        awaitPolled(() -> assertThat(approvals()).hasSize(1));
        ApprovalRequest review = approvals().getFirst();
        assertThat(review.prompt()).isEqualTo("Approve this? Release 2.0 is out");

        // Stop mid-run; the decision arrives while no engine runs. The new instance, on an empty data directory,
        // restores the run from the changelog and goes on from the stored state.
        engine.close();
        assertThat(engine.state()).isEqualTo(KafkaStreams.State.NOT_RUNNING);
        send(topics.approvalDecisions().name(), review.id(), new ApprovalDecision(review.id(), run, "review",
                ApprovalStatus.APPROVED, "Ship it", null, "alice", "approved", Instant.now()),
                ApprovalDecision.CE_TYPE);
        engine = new WorkflowEngineService(settings, dataDir.resolve("second")).start(TIMEOUT);

        awaitPolled(() -> assertThat(executions()).hasSize(2));
        ExecutionRequest publish = executions().get(1);
        assertThat(publish.agentName()).isEqualTo("publisher");
        assertThat(publish.workflow().step()).isEqualTo(3);

        finish(run, publish, "Published");
        awaitPolled(() -> assertThat(events()).last().isInstanceOf(WorkflowEvent.WorkflowCompleted.class));

        WorkflowEvent.WorkflowCompleted completed = (WorkflowEvent.WorkflowCompleted) events().getLast();
        assertThat(completed.blackboard().get("review").get("feedback").asText()).isEqualTo("Ship it");
        assertThat(completed.blackboard().get("publisher").get("output").asText()).isEqualTo("Published");
        // Exactly one request per state and one event per transition: nothing repeated by the restart.
        assertThat(executions()).extracting(r -> r.workflow().stateName()).containsExactly("drafter", "publisher");
        assertThat(approvals()).hasSize(1);
        assertThat(events()).extracting(WorkflowEvent::type).containsExactly("workflow_started", "state_entered",
                "state_exited", "state_entered", "approval_requested", "state_exited", "state_entered",
                "state_exited", "workflow_completed");
        assertThat(eventRecords).allSatisfy(r -> assertThat(r.key()).isEqualTo(run));
    }

    /**
     * Poison on each of the engine's inputs (bytes that are not JSON, JSON {@code null}, a tombstone, {@code {}}, JSON
     * of another shape), on the partition of a run: each is dead-lettered by the Streams handlers in the engine's
     * transaction, with its source in the headers, and the run started after them on the same partition runs.
     */
    @Test
    void poisonOnEveryInputIsDeadLetteredAndTheRunBehindItRuns() throws Exception {
        engine = new WorkflowEngineService(settings, dataDir.resolve("poison")).start(TIMEOUT);
        String run = UUID.randomUUID().toString();
        byte[][] poison = {"{not json".getBytes(StandardCharsets.UTF_8), "null".getBytes(StandardCharsets.UTF_8),
                null, "{}".getBytes(StandardCharsets.UTF_8), "{\"command\":[1]}".getBytes(StandardCharsets.UTF_8)};
        List<String> inputs = List.of(topics.workflowCommands().name(), topics.workflowSteps().name(),
                topics.approvalDecisions().name());
        for (String topic : inputs) {
            for (byte[] p : poison) {
                producer.send(new ProducerRecord<>(topic, run, p)).get(10, TimeUnit.SECONDS);
            }
        }
        send(topics.workflowCommands().name(), run, WorkflowCommand.start(run, WorkflowFixtures.review(),
                "after the poison", null, Instant.now()), WorkflowCommand.CE_START_REQUESTED);
        awaitPolled(() -> assertThat(executions()).hasSize(1));
        assertThat(executions().getFirst().workflow().workflowExecutionId()).isEqualTo(run);

        int expected = inputs.size() * poison.length;
        List<ConsumerRecord<String, byte[]>> dead = TopicRecords.await(settings.bootstrapServers(),
                topics.deadLetters().name(), r -> r.size() >= expected, TIMEOUT);
        assertThat(dead).hasSize(expected);
        assertThat(dead).allSatisfy(r -> {
            DeadLetter letter = Json.read(r.value(), DeadLetter.class);
            assertThat(letter.consumer()).isEqualTo(WorkflowEngineService.CONSUMER);
            assertThat(letter.errorClass()).isEqualTo(MalformedRecordException.class.getName());
            assertThat(r.key()).isEqualTo(run);
            assertThat(CloudEventHeaders.get(r.headers(), DeadLetter.SOURCE_TOPIC)).contains(letter.sourceTopic());
            assertThat(CloudEventHeaders.get(r.headers(), DeadLetter.SOURCE_OFFSET))
                    .contains(Long.toString(letter.sourceOffset()));
            assertThat(CloudEventHeaders.get(r.headers(), DeadLetter.CONSUMER))
                    .contains(WorkflowEngineService.CONSUMER);
            assertThat(CloudEventHeaders.get(r.headers(), CloudEventHeaders.TYPE)).contains(DeadLetter.CE_TYPE);
        });
        for (String topic : inputs) {
            assertThat(dead).filteredOn(r -> Json.read(r.value(), DeadLetter.class).sourceTopic().equals(topic))
                    .extracting(r -> Json.read(r.value(), DeadLetter.class).valueAsBytes())
                    .containsExactly(poison);
        }
        assertThat(engine.deadLettersWritten()).isEqualTo(expected);
        assertThat(engine.health().isUp()).isTrue();
        assertThat(engine.health().details()).containsEntry("dead_letters", (long) expected)
                .containsEntry("streams", "running");
    }

    @Test
    void anEngineThatCannotReachTheClusterFailsToStartWithinTheBound() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        KafkaSettings nowhere = KafkaSettings.of("127.0.0.1:" + closedPort, topics, "wf-nowhere");
        WorkflowEngineService unreachable = new WorkflowEngineService(nowhere, "nowhere-engine",
                dataDir.resolve("nowhere"));
        long started = System.nanoTime();
        assertThatThrownBy(() -> unreachable.start(Duration.ofSeconds(2)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("workflow engine nowhere-engine cannot start")
                .hasMessageContaining("Kafka cluster unreachable");
        assertThat(unreachable.state()).isIn(KafkaStreams.State.NOT_RUNNING, KafkaStreams.State.ERROR);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
    }
}
