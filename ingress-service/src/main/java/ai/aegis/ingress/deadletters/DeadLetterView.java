package ai.aegis.ingress.deadletters;

import ai.aegis.schemas.deadletter.DeadLetter;
import ai.aegis.topology.serde.WireReaders;
import ai.aegis.topology.tail.BadRecords;
import ai.aegis.topology.tail.TopicTail;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * This node's view of the most recent dead letters, folded from the dead-letter topic by one {@link TopicTail} and
 * served by {@code GET /v1/dead-letters}: never a consumer per request.
 *
 * <p>Bounded: it keeps the {@code capacity} most recently read, forgetting the oldest. One failure is kept once: a
 * tail reads its topics from the beginning at every start, so a bad record on a topic kept forever is dead-lettered
 * again by each start of each node; the view keeps the latest dead letter per (consumer, source topic, partition,
 * offset). The topic keeps them all.
 *
 * <p>A record on the dead-letter topic that is not a dead letter is logged and counted ({@link #unreadable()}), never
 * dead-lettered: that would write to the very topic it was read from, and read it again.
 */
public final class DeadLetterView implements TopicTail.RecordHandler {

    /** The tail's name. */
    public static final String TAIL = "dead-letters";

    private static final System.Logger LOG = System.getLogger(DeadLetterView.class.getName());

    /** What identifies one failure: who gave up on which record. */
    private record Failure(String consumer, String topic, int partition, long offset) {
    }

    /** A dead letter and where it is on the dead-letter topic (for a stable order among equal times). */
    private record Kept(DeadLetter letter, int partition, long offset) {
    }

    private static final Comparator<Kept> NEWEST_FIRST = Comparator
            .comparing((Kept k) -> k.letter().failedAt()).thenComparingLong(Kept::offset)
            .thenComparingInt(Kept::partition).reversed();

    private final int capacity;
    /** Insertion order is reading order: the eldest entry is the one to forget. Guarded by itself. */
    private final LinkedHashMap<Failure, Kept> recent = new LinkedHashMap<>();
    private final LongAdder unreadable = new LongAdder();

    /** @param capacity dead letters kept ({@code aegis.ingress.dead-letters-in-memory}) */
    public DeadLetterView(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("the dead-letter view must keep at least one");
        }
        this.capacity = capacity;
    }

    /** The tail's handler. */
    @Override
    public void onRecord(ConsumerRecord<String, byte[]> record) {
        DeadLetter letter = WireReaders.DEAD_LETTER.read(record.value());
        Failure failure = new Failure(letter.consumer(), letter.sourceTopic(), letter.sourcePartition(),
                letter.sourceOffset());
        synchronized (recent) {
            recent.remove(failure); // read again: it moves to the newest end
            recent.put(failure, new Kept(letter, record.partition(), record.offset()));
            Iterator<Map.Entry<Failure, Kept>> eldest = recent.entrySet().iterator();
            while (recent.size() > capacity && eldest.hasNext()) {
                eldest.next();
                eldest.remove();
            }
        }
    }

    /** What the tail does with a record it cannot read: log and count, never a dead letter of a dead letter. */
    public BadRecords unreadableRecords() {
        return (record, error) -> {
            unreadable.increment();
            LOG.log(System.Logger.Level.WARNING, "not a dead letter, skipped: " + record.topic() + "-"
                    + record.partition() + "@" + record.offset() + " (" + error.getMessage() + ")");
        };
    }

    /** The newest dead letters first, at most {@code limit}. */
    public List<DeadLetter> newest(int limit) {
        List<Kept> all;
        synchronized (recent) {
            all = new ArrayList<>(recent.values());
        }
        all.sort(NEWEST_FIRST);
        return all.stream().limit(limit).map(Kept::letter).toList();
    }

    public int size() {
        synchronized (recent) {
            return recent.size();
        }
    }

    public int capacity() {
        return capacity;
    }

    /** Records on the dead-letter topic that were not dead letters. */
    public long unreadable() {
        return unreadable.sum();
    }
}
