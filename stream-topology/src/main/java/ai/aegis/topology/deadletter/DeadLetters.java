package ai.aegis.topology.deadletter;

import ai.aegis.schemas.deadletter.DeadLetter;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.CloudEventHeaders;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.topology.tail.BadRecords;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How a consumer gives up on a record without stopping: it writes the record's {@link DeadLetter} to the dead-letter
 * topic, durably, and moves on. One instance per consumer (it names the consumer in every dead letter and counts
 * them for the metrics); the Kafka Streams applications build the same records through {@link #record}, from their
 * exception handlers.
 */
public final class DeadLetters implements BadRecords {

    private static final System.Logger LOG = System.getLogger(DeadLetters.class.getName());

    private final DurablePublisher publisher;
    private final String topic;
    private final String consumer;
    private final AtomicLong written = new AtomicLong();

    /**
     * @param topic    the dead-letter topic ({@code TopicCatalog.deadLetters()})
     * @param consumer who gives up, as the dead letters name it: {@code execution-worker}, {@code ingress-tail}, ...
     */
    public DeadLetters(DurablePublisher publisher, String topic, String consumer) {
        this.publisher = Objects.requireNonNull(publisher, "publisher");
        this.topic = Objects.requireNonNull(topic, "topic");
        this.consumer = Objects.requireNonNull(consumer, "consumer");
    }

    /** The headers of a dead letter: CloudEvents, then the source and the error again for header-only tools. */
    public static Headers headers(DeadLetter letter, String ceSource) {
        Headers headers = CloudEventHeaders.of(DeadLetter.CE_TYPE, ceSource, letter.key(), letter.failedAt());
        put(headers, DeadLetter.SOURCE_TOPIC, letter.sourceTopic());
        put(headers, DeadLetter.SOURCE_PARTITION, Integer.toString(letter.sourcePartition()));
        put(headers, DeadLetter.SOURCE_OFFSET, Long.toString(letter.sourceOffset()));
        put(headers, DeadLetter.CONSUMER, letter.consumer());
        put(headers, DeadLetter.ERROR_CLASS, letter.errorClass());
        put(headers, DeadLetter.ERROR_MESSAGE, letter.errorMessage());
        return headers;
    }

    /** The dead-letter record of {@code letter}, in bytes, as a Kafka Streams exception handler returns it. */
    public static ProducerRecord<byte[], byte[]> record(String deadLetterTopic, DeadLetter letter, String ceSource) {
        byte[] key = letter.key() == null ? null : letter.key().getBytes(StandardCharsets.UTF_8);
        return new ProducerRecord<>(deadLetterTopic, null, key, Json.writeBytes(letter), headers(letter, ceSource));
    }

    /**
     * Writes the dead letter of a record that could not be read or processed, and returns once it is durable,
     * retrying while Kafka is away: a consumer moves past a record only when its dead letter is safe.
     *
     * @throws InterruptedException when the consumer is closing before the write was durable (it will read the
     *                              record again after its restart)
     */
    public void write(String sourceTopic, int partition, long offset, String key, byte[] value, Throwable error)
            throws InterruptedException {
        DeadLetter letter = DeadLetter.of(consumer, sourceTopic, partition, offset, key, value, error, Instant.now());
        LOG.log(System.Logger.Level.WARNING, consumer + ": dead-lettering " + sourceTopic + "-" + partition + "@"
                + offset + " (" + letter.errorClass() + ": " + letter.errorMessage() + ")");
        try {
            publisher.publishPatiently(new ProducerRecord<>(topic, null, key, Json.writeBytes(letter),
                    headers(letter, publisher.source())));
        } catch (DurablePublisher.UnavailableException e) {
            // publishPatiently only gives up when interrupted
            Thread.currentThread().interrupt();
            throw new InterruptedException("closing before the dead letter was durable: " + e.getMessage());
        }
        written.incrementAndGet();
    }

    /** A tail's bad record: its dead letter, written before the tail moves past it. */
    @Override
    public void onBadRecord(ConsumerRecord<String, byte[]> record, RuntimeException error)
            throws InterruptedException {
        write(record.topic(), record.partition(), record.offset(), record.key(), record.value(), error);
    }

    /** How many dead letters this consumer has written since it started (a metric). */
    public long written() {
        return written.get();
    }

    public String consumer() {
        return consumer;
    }

    private static void put(Headers headers, String name, String value) {
        if (value != null) {
            headers.add(name, value.getBytes(StandardCharsets.UTF_8));
        }
    }
}
