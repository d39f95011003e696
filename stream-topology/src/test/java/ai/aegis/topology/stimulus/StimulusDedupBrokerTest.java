package ai.aegis.topology.stimulus;

import ai.aegis.schemas.deadletter.DeadLetter;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.stimulus.StimulusKeys;
import ai.aegis.schemas.stimulus.StimulusReply;
import ai.aegis.schemas.stimulus.StimulusRequest;
import ai.aegis.schemas.stimulus.StimulusStatus;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.schemas.topic.TopicSpec;
import ai.aegis.testing.SharedTestBroker;
import ai.aegis.testing.TopicRecords;
import ai.aegis.topology.admin.TopicInstaller;
import ai.aegis.topology.deadletter.StreamsDeadLetters;
import ai.aegis.topology.kafka.KafkaSettings;
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
 * The deduplication on the real (embedded) broker, exactly-once: an entry outlives its instance (a second instance,
 * on an empty state directory, restores it from the changelog), and a bad record reaches the dead-letter topic.
 */
class StimulusDedupBrokerTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String NODE = "node-a";

    @TempDir
    Path dataDir;

    private String bootstrap;
    private TopicCatalog topics;
    private KafkaSettings settings;
    private KafkaProducer<String, byte[]> producer;
    private final List<KafkaStreams> started = new ArrayList<>();

    @BeforeEach
    void setUp() {
        bootstrap = SharedTestBroker.get().bootstrapServers();
        topics = new TopicCatalog("sd" + UUID.randomUUID().toString().replace("-", ""), 2);
        settings = KafkaSettings.of(bootstrap, topics, "stimulus-dedup-test");
        List<TopicSpec> needed = new ArrayList<>(topics.stimulusTopics());
        needed.add(topics.deadLetters());
        try (Admin admin = Admin.create(settings.admin())) {
            TopicInstaller.ensure(admin, needed, TIMEOUT);
        }
        producer = new KafkaProducer<>(settings.producer());
    }

    @AfterEach
    void tearDown() {
        started.forEach(this::close);
        producer.close();
    }

    private KafkaStreams start(String instance) throws InterruptedException {
        StreamsDeadLetters letters = new StreamsDeadLetters(topics.deadLetters().name(),
                StimulusDedupTopology.CONSUMER, "/aegis/stimulus-dedup/" + instance);
        KafkaStreams streams = new KafkaStreams(StimulusDedupTopology.build(topics, "/aegis/stimulus-dedup/"
                + instance, StimulusConfig.defaults()), settings.streams(
                StimulusDedupTopology.applicationId(topics), instance, dataDir.resolve(instance), letters));
        CountDownLatch running = new CountDownLatch(1);
        streams.setStateListener((next, previous) -> {
            if (next == KafkaStreams.State.RUNNING) {
                running.countDown();
            }
        });
        started.add(streams);
        streams.start();
        assertThat(running.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).as("running").isTrue();
        return streams;
    }

    private void close(KafkaStreams streams) {
        streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(Duration.ofSeconds(30)));
    }

    private StimulusRequest send(String idempotencyKey) throws Exception {
        StimulusRequest request = new StimulusRequest(UUID.randomUUID().toString(), "github", idempotencyKey, "{}",
                StimulusRequest.UTF_8, Map.of(), Instant.now(), new StimulusRequest.ReplyTo(NODE,
                UUID.randomUUID().toString()));
        producer.send(new ProducerRecord<>(topics.stimulusRequests().name(), StimulusKeys.recordKey(request),
                Json.writeBytes(request))).get(10, TimeUnit.SECONDS);
        return request;
    }

    private List<ConsumerRecord<String, byte[]>> await(TopicSpec topic, int records) {
        return TopicRecords.await(bootstrap, topic.name(), read -> read.size() >= records, TIMEOUT);
    }

    @Test
    void anEntryOutlivesItsInstanceAndABadRecordIsDeadLettered() throws Exception {
        KafkaStreams first = start("first");
        StimulusRequest original = send("evt-1");
        assertThat(await(topics.stimulusAccepted(), 1)).singleElement().satisfies(r -> {
            assertThat(r.key()).isEqualTo(StimulusKeys.dedupKey("github", "evt-1"));
            assertThat(Json.read(r.value(), StimulusRequest.class)).isEqualTo(original);
        });
        close(first);

        // another instance, on an empty state directory: it restores the entry from the changelog
        start("second");
        producer.send(new ProducerRecord<>(topics.stimulusRequests().name(), StimulusKeys.dedupKey("github", "evt-1"),
                "{}".getBytes(StandardCharsets.UTF_8))).get(10, TimeUnit.SECONDS);
        StimulusRequest duplicate = send("evt-1");

        assertThat(await(topics.stimulusReplies(), 1)).singleElement().satisfies(r -> {
            assertThat(r.key()).isEqualTo(NODE);
            StimulusReply reply = Json.read(r.value(), StimulusReply.class);
            assertThat(reply.outcome()).isEqualTo(StimulusStatus.DUPLICATE);
            assertThat(reply.stimulusId()).isEqualTo(duplicate.stimulusId());
            assertThat(reply.originalStimulusId()).isEqualTo(original.stimulusId());
            assertThat(reply.correlationId()).isEqualTo(duplicate.replyTo().correlationId());
        });
        assertThat(await(topics.deadLetters(), 1)).singleElement().satisfies(r -> {
            DeadLetter letter = Json.read(r.value(), DeadLetter.class);
            assertThat(letter.consumer()).isEqualTo(StimulusDedupTopology.CONSUMER);
            assertThat(letter.sourceTopic()).isEqualTo(topics.stimulusRequests().name());
            assertThat(letter.value()).isEqualTo("{}");
        });
        // the duplicate was not forwarded
        assertThat(TopicRecords.all(Map.of("bootstrap.servers", bootstrap, "isolation.level", "read_committed",
                        "key.deserializer", org.apache.kafka.common.serialization.StringDeserializer.class,
                        "value.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class),
                topics.stimulusAccepted().name())).hasSize(1);
    }
}
