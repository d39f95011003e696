package ai.aegis.cli;

import ai.aegis.cli.AegisSystem.Service;
import ai.aegis.schemas.deadletter.DeadLetter;
import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.schemas.json.Json;
import ai.aegis.worker.kafka.ExecutionWorker;
import ai.aegis.worker.WorkerService;
import ai.aegis.worker.llm.scripted.ScriptStep;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec;
import org.apache.kafka.clients.admin.ShareGroupDescription;
import org.apache.kafka.clients.admin.SharePartitionOffsetInfo;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The workers' share group on the real broker, through the whole system: requests are work items that any number of
 * workers share whatever the partition count, a request no worker could run is rejected to the dead-letter topic
 * without holding up the others, an execution that ended is never run again, and a long execution keeps its request
 * by renewing the lock.
 */
class ShareGroupWorkersTest {

    private static final String REPLY = "done: {{last_tool_stdout}}";

    private static Map<String, List<ScriptStep>> script(String command) {
        return Map.of("work", List.of(
                ScriptStep.toolCall("cmd.run", Json.MAPPER.createObjectNode().put("command", command)),
                ScriptStep.reply(REPLY)));
    }

    /** One partition, three workers of one slot each: a consumer group would give all the work to one of them. */
    @Test
    void moreWorkersThanPartitionsAllRunExecutions(@TempDir Path dataDir) throws Exception {
        Map<String, String> settings = Map.of("aegis.kafka.partitions", "1", "aegis.worker.concurrency", "1");
        try (TestSystem system = new TestSystem(dataDir, script("sleep 3 && echo worked"), null,
                EnumSet.of(Service.WORKER, Service.INGRESS), settings);
             AegisSystem second = system.start(EnumSet.of(Service.WORKER));
             AegisSystem third = system.start(EnumSet.of(Service.WORKER))) {
            assertThat(system.kafka.topics().executionRequests().partitions()).isEqualTo(1);
            awaitAssigned(system, 3);
            String agentId = system.deploy(TestSystem.agent("shared", "work", 1));
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                ids.add(system.startExecution(agentId, "job " + i));
            }
            // each worker runs one of them (a busy worker of one slot takes no second one)
            List<WorkerService> workers = List.of(system.worker, second.worker(), third.worker());
            boolean[] seen = new boolean[workers.size()];
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
                for (int i = 0; i < seen.length; i++) {
                    seen[i] |= workers.get(i).activeExecutions() > 0;
                }
                return seen[0] && seen[1] && seen[2];
            });
            for (String id : ids) {
                assertThat(system.awaitEnd(id, Duration.ofSeconds(60)).path("status").asText()).isEqualTo("completed");
            }
            system.events(ids).forEach((id, events) -> assertThat(events.stream().filter(ExecutionEvent::terminal)
                    .map(ExecutionEvent::type)).as(id).containsExactly("execution_completed"));
        }
    }

    /**
     * {@code {}}, random bytes, a request of the wrong shape and a tombstone on the requests topic: each is rejected
     * and copied to the dead-letter topic with its source and the reason, and the request written after them runs.
     */
    @Test
    void requestsNoWorkerCouldRunAreDeadLetteredAndLaterRequestsRun(@TempDir Path dataDir) throws Exception {
        try (TestSystem system = new TestSystem(dataDir, script("echo worked"))) {
            String topic = system.kafka.topics().executionRequests().name();
            byte[] noise = new byte[200];
            new Random(42).nextBytes(noise);
            List<byte[]> bad = new ArrayList<>();
            bad.add("{}".getBytes(StandardCharsets.UTF_8));
            bad.add(noise);
            bad.add("{\"execution_id\":[1,2],\"agent\":\"none\"}".getBytes(StandardCharsets.UTF_8));
            bad.add(null);
            List<RecordMetadata> written = new ArrayList<>();
            for (byte[] value : bad) {
                written.add(system.write(new ProducerRecord<>(topic, "bad-key", value)));
            }
            String agentId = system.deploy(TestSystem.agent("after-bad", "work", 1));
            String id = system.startExecution(agentId, "the good one");
            assertThat(system.awaitEnd(id, Duration.ofSeconds(60)).path("final_output").asText())
                    .isEqualTo("done: worked");

            List<DeadLetter> letters = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                letters.clear();
                for (ConsumerRecord<String, byte[]> r : system.records(system.kafka.topics().deadLetters().name())) {
                    DeadLetter letter = Json.read(r.value(), DeadLetter.class);
                    // the ingress's tail reads the requests topic too and reports the same records as its own
                    if (letter.consumer().equals(ExecutionWorker.CONSUMER)) {
                        letters.add(letter);
                    }
                }
                assertThat(letters).hasSize(bad.size());
            });
            assertThat(letters).allSatisfy(l -> {
                assertThat(l.sourceTopic()).isEqualTo(topic);
                assertThat(l.consumer()).isEqualTo("execution-worker");
                assertThat(l.key()).isEqualTo("bad-key");
                assertThat(l.errorMessage()).isNotBlank();
            });
            // one key, so one partition: the offsets tell the records apart
            assertThat(letters).extracting(DeadLetter::sourceOffset)
                    .containsExactlyInAnyOrderElementsOf(written.stream().map(RecordMetadata::offset).toList());
            assertThat(letters.stream().filter(l -> l.sourceOffset() == written.get(1).offset()).findFirst()
                    .orElseThrow().valueAsBytes()).isEqualTo(noise);
            // rejected, not left acquired: the share group has moved past all of them
            awaitAcknowledged(system, written.get(written.size() - 1));
        }
    }

    /**
     * The request of an execution that has ended is delivered again (written a second time, as after a producer's
     * retry or a replay): it is acknowledged without running, so the execution has one start and one end.
     */
    @Test
    void aRequestWhoseExecutionEndedIsNotRunAgain(@TempDir Path dataDir) throws Exception {
        try (TestSystem system = new TestSystem(dataDir, script("echo worked"))) {
            String agentId = system.deploy(TestSystem.agent("once", "work", 1));
            String id = system.startExecution(agentId, "only once");
            assertThat(system.awaitEnd(id, Duration.ofSeconds(60)).path("status").asText()).isEqualTo("completed");

            String topic = system.kafka.topics().executionRequests().name();
            ConsumerRecord<String, byte[]> request = system.records(topic).stream()
                    .filter(r -> id.equals(r.key())).findFirst().orElseThrow();
            assertThat(Json.read(request.value(), ExecutionRequest.class).executionId()).isEqualTo(id);
            RecordMetadata again = system.write(new ProducerRecord<>(topic, null, id, request.value(),
                    request.headers()));
            awaitAcknowledged(system, again);

            List<ExecutionEvent> events = system.events(List.of(id)).get(id);
            assertThat(events.stream().filter(e -> e instanceof ExecutionEvent.ExecutionStarted)).hasSize(1);
            assertThat(events.stream().filter(ExecutionEvent::terminal).map(ExecutionEvent::type))
                    .containsExactly("execution_completed");
        }
    }

    /**
     * A lock of 3 s and an execution of about 10 s, with a second worker free to take the request: the running one
     * renews its lock, so the request is never delivered again while it runs.
     */
    @Test
    void anExecutionLongerThanTheLockKeepsItsRequestByRenewing(@TempDir Path dataDir) throws Exception {
        Map<String, String> settings = Map.of("aegis.worker.failover-timeout-ms", "3000",
                "aegis.worker.concurrency", "1");
        try (TestSystem system = new TestSystem(dataDir, script("sleep 10 && echo worked"), null,
                EnumSet.of(Service.WORKER, Service.INGRESS), settings);
             AegisSystem other = system.start(EnumSet.of(Service.WORKER))) {
            String agentId = system.deploy(TestSystem.agent("long", "work", 1));
            String id = system.startExecution(agentId, "take your time");
            assertThat(system.awaitEnd(id, Duration.ofSeconds(90)).path("status").asText()).isEqualTo("completed");

            List<ExecutionEvent> events = system.events(List.of(id)).get(id);
            assertThat(events.stream().filter(e -> e instanceof ExecutionEvent.ExecutionStarted)).hasSize(1);
            assertThat(events).allSatisfy(e -> assertThat(e.attemptNumber()).as(e.toString()).isEqualTo(1));
            assertThat(events.stream().filter(ExecutionEvent::terminal)).hasSize(1);
            assertThat(system.worker.activeExecutions() + other.worker().activeExecutions()).isZero();
        }
    }

    /** Waits until the workers' share group has {@code members} members, each assigned some partition. */
    private static void awaitAssigned(TestSystem system, int members) {
        String group = system.config().get("aegis.worker.group-id");
        try (Admin admin = Admin.create(system.kafka.admin())) {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
                ShareGroupDescription d = admin.describeShareGroups(List.of(group)).all().get(10, TimeUnit.SECONDS)
                        .get(group);
                return d.members().size() == members && d.members().stream()
                        .allMatch(m -> !m.assignment().topicPartitions().isEmpty());
            });
        }
    }

    /**
     * Waits until the share group has acknowledged the record: nothing up to the end of its partition is left to
     * deliver (lag 0). The group's start offset is no use here: Kafka stores it lazily, a few records behind.
     */
    private static void awaitAcknowledged(TestSystem system, RecordMetadata record) {
        String group = system.config().get("aegis.worker.group-id");
        TopicPartition tp = new TopicPartition(record.topic(), record.partition());
        try (Admin admin = Admin.create(system.kafka.admin())) {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                Map<TopicPartition, SharePartitionOffsetInfo> offsets = admin.listShareGroupOffsets(
                        Map.of(group, new ListShareGroupOffsetsSpec().topicPartitions(List.of(tp))))
                        .partitionsToOffsetInfo(group).get(10, TimeUnit.SECONDS);
                SharePartitionOffsetInfo info = offsets.get(tp);
                assertThat(info).as("the share group's state of " + tp + " after offset " + record.offset())
                        .matches(i -> i != null && i.lag().orElse(-1L) == 0);
            });
        }
    }
}
