package ai.aegis.topology.stimulus;

import ai.aegis.schemas.deadletter.DeadLetter;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.stimulus.StimulusKeys;
import ai.aegis.schemas.stimulus.StimulusOutcome;
import ai.aegis.schemas.stimulus.StimulusReply;
import ai.aegis.schemas.stimulus.StimulusRequest;
import ai.aegis.schemas.stimulus.StimulusStatus;
import ai.aegis.schemas.topic.CloudEventHeaders;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.topology.deadletter.StreamsDeadLetters;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.topology.serde.MalformedRecordException;
import ai.aegis.topology.stimulus.StimulusDedup.Entry;
import ai.aegis.topology.stimulus.StimulusDedup.Status;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** Deduplication, outcomes, timeouts, bad records and purges, through the real topology on a test driver. */
class StimulusDedupTopologyTest {

    private static final Instant T0 = Instant.parse("2026-03-05T14:00:00.123Z");
    private static final Instant REPLIED = Instant.parse("2026-03-05T14:00:05Z");
    private static final TopicCatalog TOPICS = new TopicCatalog("st", 3);
    private static final String SOURCE = "/aegis/stimulus-dedup/test";
    private static final String NODE = "node-a";
    private static final Duration WINDOW = Duration.ofHours(24);
    private static final Duration IN_FLIGHT = Duration.ofMinutes(5);

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> requests;
    private TestInputTopic<String, byte[]> outcomes;
    private TestOutputTopic<String, byte[]> accepted;
    private TestOutputTopic<String, byte[]> replies;
    private final StreamsDeadLetters deadLetters = new StreamsDeadLetters(TOPICS.deadLetters().name(),
            StimulusDedupTopology.CONSUMER, SOURCE);

    private void start(int purgeBatch) {
        // The Streams configuration every topology here runs with: exactly-once and the dead-letter handlers.
        Properties props = KafkaSettings.of("unused:9092", TOPICS, "test")
                .streams("stimulus-dedup-test", "dedup", stateDir, deadLetters);
        StimulusDedup dedup = new StimulusDedup(WINDOW, IN_FLIGHT, Clock.fixed(REPLIED, ZoneOffset.UTC));
        Topology topology = StimulusDedupTopology.build(TOPICS, SOURCE, dedup, Duration.ofSeconds(1), purgeBatch);
        driver = new TopologyTestDriver(topology, props, T0);
        requests = driver.createInputTopic(TOPICS.stimulusRequests().name(), new StringSerializer(),
                new ByteArraySerializer());
        outcomes = driver.createInputTopic(TOPICS.stimulusOutcomes().name(), new StringSerializer(),
                new ByteArraySerializer());
        accepted = driver.createOutputTopic(TOPICS.stimulusAccepted().name(), new StringDeserializer(),
                new ByteArrayDeserializer());
        replies = driver.createOutputTopic(TOPICS.stimulusReplies().name(), new StringDeserializer(),
                new ByteArrayDeserializer());
    }

    private void start() {
        start(StimulusDedupTopology.DEFAULT_PURGE_BATCH);
    }

    @AfterEach
    void stop() {
        if (driver != null) {
            driver.close();
        }
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private static StimulusRequest stimulus(String idempotencyKey) {
        return new StimulusRequest(UUID.randomUUID().toString(), "github", idempotencyKey, "{\"n\":1}",
                StimulusRequest.UTF_8, Map.of("x-github-event", "push"), T0,
                new StimulusRequest.ReplyTo(NODE, UUID.randomUUID().toString()));
    }

    /** Sends it as the ingress does: keyed by its record key, stamped {@code at}. */
    private StimulusRequest send(String idempotencyKey, Instant at) {
        StimulusRequest request = stimulus(idempotencyKey);
        requests.pipeInput(StimulusKeys.recordKey(request), Json.writeBytes(request), at);
        return request;
    }

    private void route(StimulusRequest request, StimulusStatus outcome, Instant at) {
        String key = StimulusKeys.recordKey(request);
        outcomes.pipeInput(key, Json.writeBytes(new StimulusOutcome(key, request.stimulusId(), outcome, at)), at);
    }

    /** The stimuli forwarded since the last call, checked against their key and headers. */
    private List<String> forwardedIds() {
        List<String> ids = new ArrayList<>();
        for (TestRecord<String, byte[]> r : accepted.readRecordsToList()) {
            StimulusRequest request = Json.read(r.value(), StimulusRequest.class);
            assertThat(r.key()).isEqualTo(StimulusKeys.recordKey(request));
            assertThat(CloudEventHeaders.get(r.headers(), CloudEventHeaders.TYPE)).contains(StimulusRequest.CE_ACCEPTED);
            assertThat(CloudEventHeaders.get(r.headers(), CloudEventHeaders.SOURCE)).contains(SOURCE);
            assertThat(CloudEventHeaders.get(r.headers(), CloudEventHeaders.SUBJECT)).contains(r.key());
            ids.add(request.stimulusId());
        }
        return ids;
    }

    private List<StimulusReply> allReplies() {
        return replies.readRecordsToList().stream().map(r -> {
            assertThat(r.key()).isEqualTo(NODE);
            assertThat(CloudEventHeaders.get(r.headers(), CloudEventHeaders.TYPE)).contains(StimulusReply.CE_TYPE);
            return Json.read(r.value(), StimulusReply.class);
        }).toList();
    }

    private Entry entry(String key) {
        KeyValueStore<String, byte[]> store = driver.getKeyValueStore(StimulusDedupTopology.STORE);
        byte[] bytes = store.get(key);
        return bytes == null ? null : Json.read(bytes, Entry.class);
    }

    private static String key(String idempotencyKey) {
        return StimulusKeys.dedupKey("github", idempotencyKey);
    }

    private List<String> keys(String store) {
        List<String> keys = new ArrayList<>();
        KeyValueStore<String, Object> kv = driver.getKeyValueStore(store);
        try (KeyValueIterator<String, Object> it = kv.all()) {
            it.forEachRemaining(e -> keys.add(e.key));
        }
        return keys;
    }

    // ---- tests -------------------------------------------------------------------------------------------------

    @Test
    void twoIdenticalRequestsBackToBackForwardExactlyOneAndAnswerTheOtherAsADuplicateOfTheFirst() {
        start();
        StimulusRequest first = send("evt-1", T0);
        StimulusRequest second = send("evt-1", T0);

        assertThat(forwardedIds()).containsExactly(first.stimulusId());
        assertThat(allReplies()).containsExactly(StimulusReply.duplicate(second.replyTo().correlationId(),
                second.stimulusId(), first.stimulusId(), REPLIED));
        assertThat(entry(key("evt-1"))).isEqualTo(new Entry(first.stimulusId(), T0, Status.IN_FLIGHT));
    }

    /** The same event posted to three ingress nodes at once: one goes on, unchanged; each other node is answered. */
    @Test
    void ofConcurrentDeliveriesFromSeveralNodesExactlyOneGoesOn() {
        start();
        List<StimulusRequest> deliveries = new ArrayList<>();
        for (String node : List.of("node-a", "node-b", "node-c")) {
            StimulusRequest request = new StimulusRequest(UUID.randomUUID().toString(), "github", "evt-9",
                    "{\"n\":9}", StimulusRequest.UTF_8, Map.of(), T0,
                    new StimulusRequest.ReplyTo(node, UUID.randomUUID().toString()));
            requests.pipeInput(StimulusKeys.recordKey(request), Json.writeBytes(request), T0);
            deliveries.add(request);
        }

        List<TestRecord<String, byte[]>> forwarded = accepted.readRecordsToList();
        assertThat(forwarded).singleElement().satisfies(r ->
                assertThat(Json.read(r.value(), StimulusRequest.class)).isEqualTo(deliveries.getFirst()));
        List<TestRecord<String, byte[]>> answers = replies.readRecordsToList();
        assertThat(answers).extracting(TestRecord::key).containsExactly("node-b", "node-c");
        assertThat(answers).extracting(r -> Json.read(r.value(), StimulusReply.class)).containsExactly(
                StimulusReply.duplicate(deliveries.get(1).replyTo().correlationId(), deliveries.get(1).stimulusId(),
                        deliveries.getFirst().stimulusId(), REPLIED),
                StimulusReply.duplicate(deliveries.get(2).replyTo().correlationId(), deliveries.get(2).stimulusId(),
                        deliveries.getFirst().stimulusId(), REPLIED));
    }

    @Test
    void anAcceptedDeliveryBlocksItsKeyWithinTheWindowAndNotAfter() {
        start();
        StimulusRequest first = send("evt-1", T0);
        route(first, StimulusStatus.ACCEPTED, T0.plusMillis(50));
        assertThat(entry(key("evt-1")).status()).isEqualTo(Status.ACCEPTED);

        StimulusRequest withinTheWindow = send("evt-1", T0.plus(WINDOW).minusSeconds(1));
        assertThat(allReplies()).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(StimulusStatus.DUPLICATE);
            assertThat(r.stimulusId()).isEqualTo(withinTheWindow.stimulusId());
            assertThat(r.originalStimulusId()).isEqualTo(first.stimulusId());
        });

        StimulusRequest afterIt = send("evt-1", T0.plus(WINDOW));
        assertThat(forwardedIds()).containsExactly(first.stimulusId(), afterIt.stimulusId());
        assertThat(replies.isEmpty()).isTrue();
        assertThat(entry(key("evt-1"))).isEqualTo(new Entry(afterIt.stimulusId(), T0.plus(WINDOW), Status.IN_FLIGHT));
    }

    @Test
    void aRefusedFirstDeliveryAllowsARetry() {
        start();
        StimulusRequest first = send("evt-1", T0);
        route(first, StimulusStatus.REFUSED, T0.plusMillis(40));
        assertThat(entry(key("evt-1")).status()).isEqualTo(Status.REFUSED);

        StimulusRequest retry = send("evt-1", T0.plusSeconds(10));
        StimulusRequest duplicateOfTheRetry = send("evt-1", T0.plusSeconds(11));

        assertThat(forwardedIds()).containsExactly(first.stimulusId(), retry.stimulusId());
        assertThat(allReplies()).singleElement().satisfies(r -> {
            assertThat(r.stimulusId()).isEqualTo(duplicateOfTheRetry.stimulusId());
            assertThat(r.originalStimulusId()).isEqualTo(retry.stimulusId());
        });
    }

    @Test
    void aDeliveryInFlightPastTheTimeoutNoLongerBlocksItsKey() {
        start();
        StimulusRequest lost = send("evt-1", T0); // its routing never answers
        send("evt-1", T0.plus(IN_FLIGHT).minusMillis(1));
        assertThat(allReplies()).hasSize(1);

        StimulusRequest retry = send("evt-1", T0.plus(IN_FLIGHT));

        assertThat(forwardedIds()).containsExactly(lost.stimulusId(), retry.stimulusId());
        assertThat(replies.isEmpty()).isTrue();
        // the lost one's late outcome belongs to a stimulus that no longer holds the key
        route(lost, StimulusStatus.ACCEPTED, T0.plus(IN_FLIGHT).plusSeconds(1));
        assertThat(entry(key("evt-1"))).isEqualTo(new Entry(retry.stimulusId(), T0.plus(IN_FLIGHT),
                Status.IN_FLIGHT));
    }

    @Test
    void requestsWithoutIdempotencyKeyAllPassAndStoreNothing() {
        start();
        StimulusRequest a = send(null, T0);
        StimulusRequest b = send(null, T0);
        route(a, StimulusStatus.ACCEPTED, T0); // the routing answers every stimulus: ignored, nothing stored

        assertThat(forwardedIds()).containsExactly(a.stimulusId(), b.stimulusId());
        assertThat(replies.isEmpty()).isTrue();
        assertThat(keys(StimulusDedupTopology.STORE)).isEmpty();
        assertThat(keys(StimulusDedupTopology.TIMERS)).isEmpty();
    }

    @Test
    void differentKeysAndSourcesAreIndependent() {
        start();
        StimulusRequest one = send("evt-1", T0);
        StimulusRequest two = send("evt-2", T0);
        StimulusRequest otherSource = new StimulusRequest(UUID.randomUUID().toString(), "gitlab", "evt-1", "",
                StimulusRequest.UTF_8, Map.of(), T0, new StimulusRequest.ReplyTo(NODE, "c"));
        requests.pipeInput(StimulusKeys.recordKey(otherSource), Json.writeBytes(otherSource), T0);

        assertThat(forwardedIds()).containsExactly(one.stimulusId(), two.stimulusId(), otherSource.stimulusId());
        assertThat(replies.isEmpty()).isTrue();
    }

    /**
     * A tombstone, JSON {@code null}, bytes that are not JSON, {@code {}}, another shape, no key, an outcome that is
     * neither accepted nor refused, and records under another key than their own: each is handed to the dead-letter
     * handler and the task goes on with the next record. (This driver drops the letters of records its sources
     * refused, sent outside processing: the count says the handler was called for them.)
     */
    @Test
    void malformedRecordsAreDeadLetteredAndTheNextRecordIsProcessed() {
        start();
        String key = key("evt-1");
        byte[][] poison = {"null".getBytes(StandardCharsets.UTF_8), null, "{}".getBytes(StandardCharsets.UTF_8),
                {(byte) 0xc3, 0x28, 0x00, (byte) 0xff}, "[1,2,3]".getBytes(StandardCharsets.UTF_8),
                "{\"stimulus_id\":{\"x\":1}}".getBytes(StandardCharsets.UTF_8)};
        for (byte[] p : poison) {
            requests.pipeInput(key, p, T0);
            outcomes.pipeInput(key, p, T0);
        }
        StimulusRequest valid = stimulus("evt-1");
        requests.pipeInput((String) null, Json.writeBytes(valid), T0); // no key
        requests.pipeInput(key("evt-2"), Json.writeBytes(valid), T0); // not its key: another task may own it
        StimulusRequest badSource = new StimulusRequest(UUID.randomUUID().toString(), "a\u0000b", "k", "", "utf-8",
                Map.of(), T0, null);
        requests.pipeInput(key, Json.writeBytes(badSource), T0);
        outcomes.pipeInput(key, Json.writeBytes(new StimulusOutcome(key, valid.stimulusId(),
                StimulusStatus.FAILED, T0)), T0);
        outcomes.pipeInput(key, Json.writeBytes(new StimulusOutcome(key("evt-2"), valid.stimulusId(),
                StimulusStatus.ACCEPTED, T0)), T0);
        assertThat(deadLetters.written()).isEqualTo(2 * poison.length + 5);
        // the driver keeps the letters written while processing: those of the three records the processor refused
        List<DeadLetter> letters = driver.createOutputTopic(TOPICS.deadLetters().name(), new StringDeserializer(),
                new ByteArrayDeserializer()).readValuesToList().stream()
                .map(v -> Json.read(v, DeadLetter.class)).toList();
        assertThat(letters).extracting(DeadLetter::sourceTopic).containsExactly(TOPICS.stimulusRequests().name(),
                TOPICS.stimulusRequests().name(), TOPICS.stimulusOutcomes().name());
        assertThat(letters).allSatisfy(l -> {
            assertThat(l.consumer()).isEqualTo(StimulusDedupTopology.CONSUMER);
            assertThat(l.errorClass()).isEqualTo(MalformedRecordException.class.getName());
        });
        assertThat(letters.getFirst().errorMessage()).contains("not under its own key");
        assertThat(accepted.isEmpty()).isTrue();
        assertThat(replies.isEmpty()).isTrue();
        assertThat(entry(key)).isNull();

        StimulusRequest next = send("evt-1", T0.plusSeconds(1));
        assertThat(forwardedIds()).containsExactly(next.stimulusId());
        route(next, StimulusStatus.ACCEPTED, T0.plusSeconds(2));
        assertThat(entry(key).status()).isEqualTo(Status.ACCEPTED);
        assertThat(deadLetters.written()).isEqualTo(2 * poison.length + 5);
    }

    @Test
    void entriesOlderThanTheWindowArePurgedByTheStreamTimePunctuation() {
        start();
        StimulusRequest old = send("old", T0);
        route(old, StimulusStatus.ACCEPTED, T0);
        send("in-flight", T0.plusSeconds(1));
        StimulusRequest recent = send("recent", T0.plus(Duration.ofHours(23)));
        assertThat(keys(StimulusDedupTopology.STORE)).containsExactlyInAnyOrder(key("old"), key("in-flight"),
                key("recent"));

        // only stream time moves the purge: a record of another key, past the first two windows
        StimulusRequest later = send("later", T0.plus(WINDOW).plusSeconds(2));

        assertThat(keys(StimulusDedupTopology.STORE)).containsExactlyInAnyOrder(key("recent"), key("later"));
        assertThat(entry(key("recent")).stimulusId()).isEqualTo(recent.stimulusId());
        assertThat(entry(key("later")).stimulusId()).isEqualTo(later.stimulusId());
        // the timers of what is left, and only those
        assertThat(keys(StimulusDedupTopology.TIMERS)).hasSize(2)
                .allSatisfy(t -> assertThat(t).matches("\\d{19}\\|(" + key("recent") + "|" + key("later") + ")"));
        // a purged key is free: a new delivery goes on
        forwardedIds();
        StimulusRequest again = send("old", T0.plus(WINDOW).plusSeconds(3));
        assertThat(forwardedIds()).containsExactly(again.stimulusId());
    }

    @Test
    void aPunctuationPurgesAtMostABatchAndTheNextOnesTheRest() {
        start(2);
        for (int i = 0; i < 5; i++) {
            send("k" + i, T0.plusMillis(i));
        }
        send("x", T0.plus(WINDOW).plusSeconds(1)); // one punctuation: two of the five go
        assertThat(keys(StimulusDedupTopology.STORE)).hasSize(4);

        send("y", T0.plus(WINDOW).plusSeconds(2)); // stream time moved an interval: two more
        send("z", T0.plus(WINDOW).plusSeconds(3)); // and the last
        assertThat(keys(StimulusDedupTopology.STORE)).containsExactlyInAnyOrder(key("x"), key("y"), key("z"));
    }

    /** The figures of the class comment's sizing. */
    @Test
    void anEntryIsA64CharacterKeyAnd118BytesOfJson() {
        start();
        StimulusRequest request = new StimulusRequest("6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b", "github", "evt-1",
                "{}", StimulusRequest.UTF_8, Map.of(), T0, new StimulusRequest.ReplyTo(NODE, "c"));
        requests.pipeInput(StimulusKeys.recordKey(request), Json.writeBytes(request), T0);

        KeyValueStore<String, byte[]> store = driver.getKeyValueStore(StimulusDedupTopology.STORE);
        String key = key("evt-1");
        assertThat(key).hasSize(64);
        assertThat(new String(store.get(key), StandardCharsets.UTF_8)).isEqualTo(
                "{\"stimulus_id\":\"6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b\",\"first_seen_at\":"
                        + "\"2026-03-05T14:00:00.123Z\",\"status\":\"in_flight\"}");
        assertThat(store.get(key)).hasSize(118);
        KeyValueStore<String, String> timers = driver.getKeyValueStore(StimulusDedupTopology.TIMERS);
        try (KeyValueIterator<String, String> it = timers.all()) {
            KeyValue<String, String> timer = it.next();
            assertThat(timer.key).hasSize(84);
            assertThat(timer.value).isEqualTo(key);
            assertThat(it.hasNext()).isFalse();
        }
    }

    @Test
    void theApplicationIdFollowsThePrefix() {
        assertThat(StimulusDedupTopology.applicationId(TOPICS)).isEqualTo("st-stimulus-dedup");
    }
}
