package ai.aegis.ingress;

import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.topology.kafka.RecordPublisher;
import ai.aegis.topology.readmodel.EventHistory;
import ai.aegis.topology.tail.TopicTail;
import ai.aegis.topology.tail.ViewProgress;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Kafka as the routes see it, in memory: every write is "durable" at once and handed straight to the views, as the
 * node's tail would hand it a moment later, so the views have always applied every write. A test can make it
 * refuse writes, as a cluster that does not acknowledge in time would. Streams read back what the views no longer
 * hold from the same writes.
 */
final class InMemoryKafka implements RecordPublisher, ViewProgress, EventHistory {

    /** One write, as the routes made it, at its offset (every topic has one partition here). */
    record Written(String topic, String key, byte[] value, String ceType, long offset) {
    }

    private final TopicTail.RecordHandler views;
    private final Map<String, AtomicLong> nextOffsets = new ConcurrentHashMap<>();
    private final List<Written> written = new CopyOnWriteArrayList<>();
    private volatile boolean unavailable;
    private volatile RuntimeException failure;

    InMemoryKafka(TopicTail.RecordHandler views) {
        this.views = views;
    }

    /** While true, every write fails as one Kafka did not acknowledge in time. */
    void unavailable(boolean unavailable) {
        this.unavailable = unavailable;
    }

    /** While set, every write throws it, as a client that broke in an unexpected way would; null ends it. */
    void failWith(RuntimeException failure) {
        this.failure = failure;
    }

    List<Written> written() {
        return List.copyOf(written);
    }

    @Override
    public RecordMetadata publish(String topic, String key, byte[] value, String ceType)
            throws DurablePublisher.UnavailableException {
        RuntimeException broken = failure;
        if (broken != null) {
            throw broken;
        }
        if (unavailable) {
            throw new DurablePublisher.UnavailableException("Kafka is away (in-memory test)", null);
        }
        long offset = nextOffsets.computeIfAbsent(topic, t -> new AtomicLong()).getAndIncrement();
        written.add(new Written(topic, key, value, ceType, offset));
        views.onRecord(new ConsumerRecord<>(topic, 0, offset, key, value));
        return new RecordMetadata(new TopicPartition(topic, 0), offset, 0, System.currentTimeMillis(),
                key == null ? -1 : key.length(), value == null ? -1 : value.length);
    }

    @Override
    public Page read(String topic, int partition, long fromOffset, long toOffset, String key) {
        return new Page(written.stream().filter(w -> w.topic().equals(topic) && key.equals(w.key())
                        && w.offset() >= fromOffset && w.offset() <= toOffset)
                .map(w -> new Found(w.offset(), w.value())).toList(), toOffset + 1);
    }

    @Override
    public boolean isCaughtUp() {
        return true;
    }

    @Override
    public boolean awaitCaughtUp(Duration timeout) {
        return true;
    }

    @Override
    public boolean awaitApplied(String topic, int partition, long offset, Duration timeout) {
        return offset < nextOffsets.getOrDefault(topic, new AtomicLong()).get();
    }
}
