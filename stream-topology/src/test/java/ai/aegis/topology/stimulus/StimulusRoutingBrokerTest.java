package ai.aegis.topology.stimulus;

import ai.aegis.schemas.deadletter.DeadLetter;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.stimulus.StimulusKeys;
import ai.aegis.schemas.stimulus.StimulusOutcome;
import ai.aegis.schemas.stimulus.StimulusReply;
import ai.aegis.schemas.stimulus.StimulusRequest;
import ai.aegis.schemas.stimulus.StimulusRoute;
import ai.aegis.schemas.stimulus.StimulusRouter;
import ai.aegis.schemas.stimulus.StimulusStatus;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.schemas.topic.TopicSpec;
import ai.aegis.schemas.workflow.WorkflowCommand;
import ai.aegis.schemas.workflow.WorkflowRecord;
import ai.aegis.testing.SharedTestBroker;
import ai.aegis.testing.TopicRecords;
import ai.aegis.topology.admin.TopicInstaller;
import ai.aegis.topology.deadletter.StreamsDeadLetters;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.topology.serde.WireReaders;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The routing on the real (embedded) broker, exactly-once: the global stores bootstrap from topics that already hold
 * bad records (skipped, the client runs), a route set while running is picked up, a started run's command, outcome
 * and reply are committed, and a bad stimulus reaches the dead-letter topic.
 */
class StimulusRoutingBrokerTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String NODE = "node-a";
    private static final byte[] BAD = "{}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dataDir;

    private String bootstrap;
    private TopicCatalog topics;
    private KafkaSettings settings;
    private KafkaProducer<String, byte[]> producer;
    private KafkaStreams streams;

    @BeforeEach
    void setUp() {
        bootstrap = SharedTestBroker.get().bootstrapServers();
        topics = new TopicCatalog("sr" + UUID.randomUUID().toString().replace("-", ""), 2);
        settings = KafkaSettings.of(bootstrap, topics, "stimulus-routing-test");
        try (Admin admin = Admin.create(settings.admin())) {
            TopicInstaller.ensure(admin, topics.all(), TIMEOUT);
        }
        producer = new KafkaProducer<>(settings.producer());
    }

    @AfterEach
    void tearDown() {
        if (streams != null) {
            streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                    .withTimeout(Duration.ofSeconds(30)));
        }
        producer.close();
    }

    private void start() throws InterruptedException {
        String source = "/aegis/stimulus-routing/test";
        StreamsDeadLetters letters = new StreamsDeadLetters(topics.deadLetters().name(),
                StimulusRoutingTopology.CONSUMER, source);
        streams = new KafkaStreams(StimulusRoutingTopology.build(topics, source, Clock.systemUTC()),
                settings.streams(StimulusRoutingTopology.applicationId(topics), "routing", dataDir, letters));
        CountDownLatch running = new CountDownLatch(1);
        streams.setStateListener((next, previous) -> {
            if (next == KafkaStreams.State.RUNNING) {
                running.countDown();
            }
        });
        streams.start();
        assertThat(running.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).as("running").isTrue();
    }

    private void write(TopicSpec topic, String key, byte[] value) throws Exception {
        producer.send(new ProducerRecord<>(topic.name(), key, value)).get(10, TimeUnit.SECONDS);
    }

    private StimulusRequest send(String source) throws Exception {
        StimulusRequest request = new StimulusRequest(UUID.randomUUID().toString(), source, null, "{\"n\":1}",
                StimulusRequest.UTF_8, Map.of(), Instant.now(), new StimulusRequest.ReplyTo(NODE,
                UUID.randomUUID().toString()));
        write(topics.stimulusAccepted(), StimulusKeys.recordKey(request), Json.writeBytes(request));
        return request;
    }

    private List<ConsumerRecord<String, byte[]>> await(TopicSpec topic, int records) {
        return TopicRecords.await(bootstrap, topic.name(), read -> read.size() >= records, TIMEOUT);
    }

    @Test
    void globalStoresSkipBadRecordsAndADirectRouteStartsItsWorkflow() throws Exception {
        Instant now = Instant.now();
        WorkflowRecord triage = new WorkflowRecord("triage", "1.0.0", null, Json.tree("{\"steps\":[]}"),
                "steps: []", now, now);
        // bad records before the start: the global stores bootstrap through them
        write(topics.workflows(), "triage", BAD);
        write(topics.workflows(), "triage", Json.writeBytes(triage));
        write(topics.stimulusRoutes(), "github", BAD);
        write(topics.stimulusRoutes(), "github", Json.writeBytes(new StimulusRoute("github", "triage", now)));
        write(topics.stimulusRouter(), StimulusRouter.KEY, BAD);
        start();

        StimulusRequest first = send("github");
        ConsumerRecord<String, byte[]> command = await(topics.workflowCommands(), 1).getFirst();
        WorkflowCommand start = WireReaders.WORKFLOW_COMMAND.read(command.value());
        assertThat(command.key()).isEqualTo(start.workflowExecutionId());
        assertThat(start.command()).isEqualTo(WorkflowCommand.START);
        assertThat(start.workflow()).isEqualTo(triage);
        assertThat(Json.tree(start.input()).get("stimulus_id").asText()).isEqualTo(first.stimulusId());
        assertThat(await(topics.stimulusOutcomes(), 1)).singleElement().satisfies(r -> {
            assertThat(r.key()).isEqualTo(first.stimulusId());
            assertThat(Json.read(r.value(), StimulusOutcome.class).outcome()).isEqualTo(StimulusStatus.ACCEPTED);
        });
        assertThat(await(topics.stimulusReplies(), 1)).singleElement().satisfies(r -> {
            assertThat(r.key()).isEqualTo(NODE);
            StimulusReply reply = Json.read(r.value(), StimulusReply.class);
            assertThat(reply.outcome()).isEqualTo(StimulusStatus.ACCEPTED);
            assertThat(reply.workflowExecutionId()).isEqualTo(start.workflowExecutionId());
            assertThat(reply.correlationId()).isEqualTo(first.replyTo().correlationId());
        });

        // while running: a bad route record, then a good one of another source, then a bad stimulus
        write(topics.stimulusRoutes(), "gitlab", BAD);
        write(topics.stimulusRoutes(), "gitlab", Json.writeBytes(new StimulusRoute("gitlab", "triage", now)));
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (streams.store(org.apache.kafka.streams.StoreQueryParameters.fromNameAndType(
                        StimulusRoutingTopology.ROUTES_STORE,
                        org.apache.kafka.streams.state.QueryableStoreTypes.<String, byte[]>keyValueStore()))
                .get("gitlab") == null) {
            assertThat(System.nanoTime()).as("the gitlab route reaches the global store").isLessThan(deadline);
            Thread.sleep(100);
        }
        write(topics.stimulusAccepted(), "some-key", BAD);
        StimulusRequest second = send("gitlab");

        assertThat(await(topics.workflowCommands(), 2)).hasSize(2);
        assertThat(await(topics.stimulusReplies(), 2)).extracting(r -> Json.read(r.value(), StimulusReply.class))
                .filteredOn(r -> r.stimulusId().equals(second.stimulusId()))
                .singleElement().satisfies(r -> assertThat(r.outcome()).isEqualTo(StimulusStatus.ACCEPTED));
        assertThat(await(topics.deadLetters(), 1)).singleElement().satisfies(r -> {
            DeadLetter letter = Json.read(r.value(), DeadLetter.class);
            assertThat(letter.consumer()).isEqualTo(StimulusRoutingTopology.CONSUMER);
            assertThat(letter.sourceTopic()).isEqualTo(topics.stimulusAccepted().name());
        });
        assertThat(streams.state()).isEqualTo(KafkaStreams.State.RUNNING);
    }
}
