package ai.aegis.worker.kafka;

import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.schemas.execution.ExecutionStatus;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.schemas.workflow.WorkflowStepResult;
import ai.aegis.testing.SharedTestBroker;
import ai.aegis.testing.TopicRecords;
import ai.aegis.topology.admin.TopicInstaller;
import ai.aegis.topology.deadletter.DeadLetters;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.worker.WorkerConfig;
import ai.aegis.worker.execution.ExecutionControls;
import ai.aegis.worker.execution.ExecutionRunner;
import ai.aegis.worker.gateway.InnerLoopRegistry;
import ai.aegis.worker.runtime.process.ProcessRuntime;
import ai.aegis.worker.runtime.process.ProcessRuntimeConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The share-group worker on the real broker, without an API in front: its group's settings, its health, and the
 * decisions it takes from what the events topic already says (the next attempt announced to the workflow engine, an
 * execution attempted too often ended as failed). Executions here name an agent nobody deployed, so each run is
 * short and ends visibly ({@code execution_failed}).
 */
class ExecutionWorkerTest {

    private static final Instant T = Instant.parse("2026-03-05T14:00:00Z");

    @TempDir
    Path workDir;

    private KafkaSettings kafka;
    private Admin admin;
    private DurablePublisher publisher;
    private String group;
    private final List<AutoCloseable> open = new ArrayList<>();

    @BeforeEach
    void topics() {
        String prefix = "worker" + UUID.randomUUID().toString().substring(0, 8);
        kafka = KafkaSettings.of(SharedTestBroker.get().bootstrapServers(), new TopicCatalog(prefix, 2), "test");
        admin = Admin.create(kafka.admin());
        TopicInstaller.ensure(admin, kafka.topics().all(), 1, Duration.ofSeconds(60));
        publisher = new DurablePublisher(kafka, "/aegis/test");
        group = prefix + "-workers";
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
        publisher.close();
        admin.close();
    }

    private ExecutionWorker worker(String groupId) {
        WorkerConfig config = WorkerConfig.builder().groupId(groupId).concurrency(2).workDir(workDir)
                .failoverTimeout(Duration.ofSeconds(3)).build();
        AttemptSteps steps = new AttemptSteps(step -> publisher.publishPatiently(kafka.topics().workflowSteps().name(),
                step.workflowExecutionId(), Json.writeBytes(step), WorkflowStepResult.CE_TYPE));
        ExecutionRunner runner = new ExecutionRunner(new ProcessRuntime(ProcessRuntimeConfig.defaults()),
                new InnerLoopRegistry(), new ExecutionRunner.RunnerConfig(new InetSocketAddress("127.0.0.1", 1),
                workDir, 64 * 1024, "python3"), name -> Optional.empty(), steps);
        ExecutionWorker worker = new ExecutionWorker(kafka, config, runner,
                new KafkaEventSink(publisher, kafka.topics().executionEvents().name()), steps, new ExecutionControls(),
                new DeadLetters(publisher, kafka.topics().deadLetters().name(), "execution-worker"));
        open.add(worker);
        return worker;
    }

    @Test
    void itConfiguresItsShareGroupAndRunsWhileItsSlotsConsume() throws Exception {
        ExecutionWorker worker = worker(group).start();
        assertThat(worker.running()).isTrue();
        ConfigResource resource = new ConfigResource(ConfigResource.Type.GROUP, group);
        Config config = admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
        assertThat(config.get("share.auto.offset.reset").value()).isEqualTo("earliest");
        assertThat(config.get("share.isolation.level").value()).isEqualTo("read_committed");
        assertThat(config.get("share.record.lock.duration.ms").value()).isEqualTo("3000");
        assertThat(config.get("share.session.timeout.ms").value()).isEqualTo("3000");
        assertThat(config.get("share.delivery.count.limit").value()).isEqualTo("5");

        String id = UUID.randomUUID().toString();
        request(ExecutionRequest.newBuilder().setExecutionId(id).setAgentName("nobody").setRequestedAt(T).build());
        ExecutionEvent end = awaitEnd(id);
        assertThat(end).isInstanceOf(ExecutionEvent.ExecutionFailed.class);
        assertThat(((ExecutionEvent.ExecutionFailed) end).reason()).contains("'nobody' is not deployed");
        assertThat(end.attempt()).isEqualTo(1);
        assertThat(worker.running()).isTrue();

        worker.close();
        assertThat(worker.running()).isFalse();
    }

    /** A share member in a consumer group's id would be fenced at once and consume nothing: the start refuses. */
    @Test
    void aGroupIdThatIsAConsumerGroupsIsRefusedAtStart() throws Exception {
        String consumers = group + "-old";
        try (KafkaConsumer<String, byte[]> old = new KafkaConsumer<>(kafka.consumer(consumers))) {
            old.commitSync(Map.of(new TopicPartition(kafka.topics().executionRequests().name(), 0),
                    new OffsetAndMetadata(0)));
        }
        assertThatThrownBy(() -> worker(consumers).start()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("aegis.worker.group-id '" + consumers + "' is a")
                .hasMessageContaining("consumer group");
    }

    /**
     * The events topic says attempt 1 of this workflow step's execution began and never ended (its worker was
     * lost): the request runs as attempt 2, which is announced to the engine before it runs and numbers the end
     * and the step result.
     */
    @Test
    void aRequestWhoseExecutionHadARunRunsAsTheNextAttemptAndAnnouncesItToTheEngine() throws Exception {
        worker(group).start();
        String id = UUID.randomUUID().toString();
        String run = UUID.randomUUID().toString();
        event(new ExecutionEvent.ExecutionStarted(id, "agent", T));
        request(ExecutionRequest.forWorkflowStep(new ExecutionRequest.WorkflowLink(run, 3, "step"), "nobody")
                .setExecutionId(id).setRequestedAt(T).build());

        assertThat(awaitEnd(id).attempt()).isEqualTo(2);
        List<WorkflowStepResult> steps = awaitSteps(run, 2);
        assertThat(steps.get(0).attemptNotice()).isTrue();
        assertThat(steps.get(0).attempt()).isEqualTo(2);
        assertThat(steps.get(0).step()).isEqualTo(3);
        assertThat(steps.get(1).status()).isEqualTo(ExecutionStatus.FAILED);
        assertThat(steps.get(1).attempt()).isEqualTo(2);
    }

    /** Four attempts began and none ended: the fifth is not run, the execution (and its step) end as failed. */
    @Test
    void anExecutionAttemptedMaxAttemptsTimesEndsAsFailedWithoutRunningAgain() throws Exception {
        worker(group).start();
        String id = UUID.randomUUID().toString();
        String run = UUID.randomUUID().toString();
        event(new ExecutionEvent.ExecutionStarted(id, "agent", T).withAttempt(4));
        request(ExecutionRequest.forWorkflowStep(new ExecutionRequest.WorkflowLink(run, 1, "step"), "nobody")
                .setExecutionId(id).setRequestedAt(T).build());

        ExecutionEvent end = awaitEnd(id);
        assertThat(end.attempt()).isEqualTo(5);
        assertThat(((ExecutionEvent.ExecutionFailed) end).reason()).contains("never ended");
        assertThat(events(id)).extracting(ExecutionEvent::type).containsExactly("execution_started",
                "execution_failed"); // no fifth start
        WorkflowStepResult step = awaitSteps(run, 1).getFirst();
        assertThat(step.status()).isEqualTo(ExecutionStatus.FAILED);
        assertThat(step.attempt()).isEqualTo(5);
    }

    private void request(ExecutionRequest request) throws Exception {
        publisher.publish(kafka.topics().executionRequests().name(), request.executionId(), Json.writeBytes(request),
                ExecutionRequest.CE_TYPE);
    }

    private void event(ExecutionEvent event) throws Exception {
        publisher.publish(kafka.topics().executionEvents().name(), event.executionId(), Json.writeBytes(event),
                KafkaEventSink.ceType(event));
    }

    private ExecutionEvent awaitEnd(String id) {
        List<ExecutionEvent> ends = new ArrayList<>();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            ends.clear();
            events(id).stream().filter(ExecutionEvent::terminal).forEach(ends::add);
            return !ends.isEmpty();
        });
        assertThat(ends).hasSize(1);
        return ends.getFirst();
    }

    private List<ExecutionEvent> events(String id) {
        return read(kafka.topics().executionEvents().name()).stream().filter(r -> id.equals(r.key()))
                .map(r -> Json.read(r.value(), ExecutionEvent.class)).toList();
    }

    private List<WorkflowStepResult> awaitSteps(String run, int count) {
        List<WorkflowStepResult> steps = new ArrayList<>();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            steps.clear();
            read(kafka.topics().workflowSteps().name()).stream().filter(r -> run.equals(r.key()))
                    .map(r -> Json.read(r.value(), WorkflowStepResult.class)).forEach(steps::add);
            return steps.size() >= count;
        });
        assertThat(steps).hasSize(count);
        return steps;
    }

    private List<ConsumerRecord<String, byte[]>> read(String topic) {
        return TopicRecords.all(kafka.consumer(null), topic);
    }
}
