package ai.aegis.topology.tail;

import ai.aegis.broker.EmbeddedKafkaBroker;
import ai.aegis.schemas.deadletter.DeadLetter;
import ai.aegis.schemas.execution.ExecutionCommand;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.CloudEventHeaders;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.testing.SharedTestBroker;
import ai.aegis.testing.TopicRecords;
import ai.aegis.topology.admin.TopicInstaller;
import ai.aegis.topology.deadletter.DeadLetters;
import ai.aegis.topology.health.ComponentHealth;
import ai.aegis.topology.health.HealthState;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.topology.serde.MalformedRecordException;
import ai.aegis.topology.serde.WireReaders;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A tail on the real broker: a record its handler throws on becomes a dead letter and the partition moves on; a
 * client error replaces the consumer, which resumes where the tail was; a broker that goes away and comes back is
 * reported down meanwhile and healed from afterwards; a thread that dies is reported, not hidden.
 */
class TopicTailTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    /** Short clocks, so that an outage shows within seconds; the defaults are for production. */
    private static final TopicTail.Timing FAST = new TopicTail.Timing(Duration.ofMillis(200), Duration.ofSeconds(1),
            Duration.ofMillis(300), Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofSeconds(30));

    @TempDir
    Path brokerDir;

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    private <T extends AutoCloseable> T opened(T c) {
        open.add(c);
        return c;
    }

    private static TopicCatalog catalog() {
        return new TopicCatalog("tail" + UUID.randomUUID().toString().replace("-", ""), 1);
    }

    private static KafkaSettings install(String bootstrap, TopicCatalog topics) {
        KafkaSettings kafka = KafkaSettings.of(bootstrap, topics, "tail-test");
        try (Admin admin = Admin.create(kafka.admin())) {
            TopicInstaller.ensure(admin, List.of(topics.executionCommands(), topics.deadLetters()), WAIT);
        }
        return kafka;
    }

    private static byte[] cancel(String id) {
        return Json.writeBytes(new ExecutionCommand(ExecutionCommand.CANCEL, id, "test", Instant.now()));
    }

    private void write(KafkaProducer<String, byte[]> producer, String topic, String key, byte[] value)
            throws Exception {
        producer.send(new ProducerRecord<>(topic, 0, key, value)).get(30, TimeUnit.SECONDS);
    }

    /** A handler that folds cancels strictly, as the worker's commands listener does. */
    private static TopicTail.RecordHandler folding(List<String> applied) {
        return r -> applied.add(WireReaders.EXECUTION_COMMAND.read(r.value()).executionId());
    }

    @Test
    void aTailWithAHistoryLimitReadsOnlyTheLastRecordsOfAPartitionAndThenEverythingNew() throws Exception {
        TopicCatalog topics = catalog();
        KafkaSettings kafka = install(SharedTestBroker.get().bootstrapServers(), topics);
        String source = topics.executionCommands().name();
        KafkaProducer<String, byte[]> producer = opened(new KafkaProducer<>(kafka.producer()));
        for (int i = 0; i < 10; i++) {
            write(producer, source, "k" + i, cancel("old-" + i));
        }
        DurablePublisher publisher = opened(new DurablePublisher(kafka, "/aegis/test"));
        DeadLetters letters = new DeadLetters(publisher, topics.deadLetters().name(), "test-tail");
        List<String> applied = new CopyOnWriteArrayList<>();
        TopicTail tail = opened(new TopicTail("test", kafka, List.of(source), folding(applied), letters)
                .withHistoryPerPartition(3).start());
        assertThat(tail.awaitCaughtUp(WAIT)).isTrue();
        assertThat(applied).containsExactly("old-7", "old-8", "old-9");
        write(producer, source, "new", cancel("new"));
        await().atMost(WAIT).until(() -> applied.contains("new"));
        assertThat(applied).containsExactly("old-7", "old-8", "old-9", "new");

        // a limit past what the partition holds reads it all
        List<String> all = new CopyOnWriteArrayList<>();
        TopicTail whole = opened(new TopicTail("whole", kafka, List.of(source), folding(all), letters)
                .withHistoryPerPartition(1000).start());
        assertThat(whole.awaitCaughtUp(WAIT)).isTrue();
        assertThat(all).hasSize(11);
    }

    @Test
    void aRecordItsHandlerThrowsOnIsDeadLetteredWithItsSourceAndTheTailReadsOn() throws Exception {
        TopicCatalog topics = catalog();
        KafkaSettings kafka = install(SharedTestBroker.get().bootstrapServers(), topics);
        String source = topics.executionCommands().name();
        KafkaProducer<String, byte[]> producer = opened(new KafkaProducer<>(kafka.producer()));
        byte[][] poison = {"{}".getBytes(StandardCharsets.UTF_8), {(byte) 0xff, 0x00, (byte) 0xfe},
                null, "null".getBytes(StandardCharsets.UTF_8), "[\"a\"]".getBytes(StandardCharsets.UTF_8)};
        write(producer, source, "first", cancel("first"));
        for (byte[] p : poison) {
            write(producer, source, "bad", p);
        }
        write(producer, source, "last", cancel("last"));

        DurablePublisher publisher = opened(new DurablePublisher(kafka, "/aegis/test"));
        DeadLetters letters = new DeadLetters(publisher, topics.deadLetters().name(), "test-tail");
        List<String> applied = new CopyOnWriteArrayList<>();
        TopicTail tail = opened(new TopicTail("test", kafka, List.of(source), folding(applied), letters).start());

        await().atMost(WAIT).until(() -> applied.size() == 2);
        assertThat(applied).containsExactly("first", "last"); // the record after the poison is applied
        assertThat(tail.awaitCaughtUp(WAIT)).isTrue();
        assertThat(letters.written()).isEqualTo(poison.length);

        List<ConsumerRecord<String, byte[]>> dead = TopicRecords.await(kafka.bootstrapServers(),
                topics.deadLetters().name(), r -> r.size() >= poison.length, WAIT);
        assertThat(dead).hasSize(poison.length);
        for (int i = 0; i < poison.length; i++) {
            ConsumerRecord<String, byte[]> r = dead.get(i);
            DeadLetter letter = Json.read(r.value(), DeadLetter.class);
            long offset = i + 1;
            assertThat(r.key()).isEqualTo("bad");
            assertThat(letter.sourceTopic()).isEqualTo(source);
            assertThat(letter.sourcePartition()).isZero();
            assertThat(letter.sourceOffset()).isEqualTo(offset);
            assertThat(letter.consumer()).isEqualTo("test-tail");
            assertThat(letter.errorClass()).isEqualTo(MalformedRecordException.class.getName());
            assertThat(letter.valueAsBytes()).isEqualTo(poison[i]);
            assertThat(CloudEventHeaders.get(r.headers(), DeadLetter.SOURCE_TOPIC)).contains(source);
            assertThat(CloudEventHeaders.get(r.headers(), DeadLetter.SOURCE_PARTITION)).contains("0");
            assertThat(CloudEventHeaders.get(r.headers(), DeadLetter.SOURCE_OFFSET)).contains(Long.toString(offset));
            assertThat(CloudEventHeaders.get(r.headers(), DeadLetter.CONSUMER)).contains("test-tail");
            assertThat(CloudEventHeaders.get(r.headers(), DeadLetter.ERROR_CLASS))
                    .contains(MalformedRecordException.class.getName());
            assertThat(CloudEventHeaders.get(r.headers(), DeadLetter.ERROR_MESSAGE)).isPresent();
        }
        await().atMost(WAIT).untilAsserted(() -> {
            ComponentHealth health = tail.health();
            assertThat(health.state()).isEqualTo(HealthState.UP);
            assertThat(health.details()).containsEntry("lag", 0L).containsEntry("caught_up", true);
        });
    }

    /**
     * {@code position()} timing out used to end the tail's thread for good. Now the consumer is replaced and the new
     * one resumes at the tail's own offsets: every record is handed over once, in order.
     */
    @Test
    void aClientErrorReplacesTheConsumerWhichResumesWhereTheTailWas() throws Exception {
        TopicCatalog topics = catalog();
        KafkaSettings kafka = install(SharedTestBroker.get().bootstrapServers(), topics);
        String source = topics.executionCommands().name();
        KafkaProducer<String, byte[]> producer = opened(new KafkaProducer<>(kafka.producer()));
        for (int i = 0; i < 5; i++) {
            write(producer, source, "k" + i, cancel("before-" + i));
        }
        AtomicInteger created = new AtomicInteger();
        // The first consumer fails as a client does when the cluster does not answer in time, once it has delivered
        // records; the next ones are plain consumers.
        Supplier<Consumer<String, byte[]>> factory = () -> created.incrementAndGet() == 1
                ? failingPositionAfterRecords(new KafkaConsumer<>(kafka.consumer(null)))
                : new KafkaConsumer<>(kafka.consumer(null));
        List<String> applied = new CopyOnWriteArrayList<>();
        TopicTail tail = opened(new TopicTail("flaky", factory, List.of(source), folding(applied),
                (r, e) -> { throw new AssertionError("no bad record here", e); }, FAST).start());

        await().atMost(WAIT).until(() -> applied.size() >= 5);
        write(producer, source, "k5", cancel("after"));
        await().atMost(WAIT).until(() -> applied.size() >= 6);
        assertThat(applied).containsExactly("before-0", "before-1", "before-2", "before-3", "before-4", "after");
        assertThat(created.get()).isGreaterThanOrEqualTo(2);
        await().atMost(WAIT).until(() -> tail.health().isUp());
    }

    @Test
    void aTailWhoseBrokerGoesAwayIsReportedDownAndHealsWhenItComesBack() throws Exception {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(brokerDir);
        try {
            TopicCatalog topics = catalog();
            KafkaSettings kafka = install(broker.bootstrapServers(), topics);
            String source = topics.executionCommands().name();
            List<String> applied = new CopyOnWriteArrayList<>();
            TopicTail tail = new TopicTail("outage", () -> new KafkaConsumer<>(kafka.consumer(null)), List.of(source),
                    folding(applied), (r, e) -> { throw new AssertionError("no bad record here", e); }, FAST).start();
            open.add(tail);
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.producer())) {
                write(producer, source, "a", cancel("before"));
            }
            await().atMost(WAIT).until(() -> applied.size() == 1 && tail.health().isUp());

            broker.stop();
            await().atMost(WAIT).untilAsserted(() -> {
                ComponentHealth down = tail.health();
                assertThat(down.state()).isEqualTo(HealthState.DOWN);
                assertThat(down.details()).containsKey("error").containsEntry("caught_up", true);
            });

            broker = EmbeddedKafkaBroker.start(brokerDir);
            assertThat(broker.bootstrapServers()).isEqualTo(kafka.bootstrapServers());
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.producer())) {
                write(producer, source, "b", cancel("after"));
            }
            await().atMost(WAIT).until(() -> applied.size() == 2);
            assertThat(applied).containsExactly("before", "after"); // resumed: nothing read twice or skipped
            await().atMost(WAIT).untilAsserted(() -> {
                ComponentHealth up = tail.health();
                assertThat(up.state()).isEqualTo(HealthState.UP);
                assertThat(up.details()).containsEntry("lag", 0L).doesNotContainKey("error");
            });
        } finally {
            closeAll();
            open.clear();
            broker.stop();
        }
    }

    @Test
    void aTailWhoseThreadDiesIsReportedDownWithWhatKilledIt() throws Exception {
        TopicCatalog topics = catalog();
        KafkaSettings kafka = install(SharedTestBroker.get().bootstrapServers(), topics);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.producer())) {
            write(producer, topics.executionCommands().name(), "k", cancel("x"));
        }
        TopicTail tail = opened(new TopicTail("doomed", kafka, List.of(topics.executionCommands().name()), r -> {
            throw new LinkageError("a handler that cannot run at all");
        }, (r, e) -> { throw new AssertionError("errors are not bad records", e); }).start());

        await().atMost(WAIT).untilAsserted(() -> {
            ComponentHealth health = tail.health();
            assertThat(health.state()).isEqualTo(HealthState.DOWN);
            assertThat(health.details()).containsEntry("error", "LinkageError");
        });
    }

    /** A real consumer whose {@code position} times out once it has delivered records, as when Kafka goes away. */
    @SuppressWarnings("unchecked")
    private static Consumer<String, byte[]> failingPositionAfterRecords(KafkaConsumer<String, byte[]> real) {
        AtomicInteger delivered = new AtomicInteger();
        return (Consumer<String, byte[]>) Proxy.newProxyInstance(Consumer.class.getClassLoader(),
                new Class<?>[] {Consumer.class}, (proxy, method, args) -> {
                    if (method.getName().equals("position") && delivered.get() > 0) {
                        throw new TimeoutException("position not known within the timeout (injected)");
                    }
                    try {
                        Object result = method.invoke(real, args);
                        if (method.getName().equals("poll")) {
                            delivered.addAndGet(((org.apache.kafka.clients.consumer.ConsumerRecords<?, ?>) result)
                                    .count());
                        }
                        return result;
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
