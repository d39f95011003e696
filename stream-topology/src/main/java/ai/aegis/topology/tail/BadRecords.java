package ai.aegis.topology.tail;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Where a {@link TopicTail} puts a record its handler threw on, before it moves past it:
 * {@link ai.aegis.topology.deadletter.DeadLetters} writes it to the dead-letter topic. The tail of the dead-letter
 * topic itself only logs and counts, so that a dead letter that cannot be read never loops back onto its own topic.
 */
@FunctionalInterface
public interface BadRecords {

    /**
     * Sets the record aside; returns once that is safe (the tail then reads on).
     *
     * @param error what the handler threw
     * @throws InterruptedException when the tail is closing first; it has not moved past the record
     */
    void onBadRecord(ConsumerRecord<String, byte[]> record, RuntimeException error) throws InterruptedException;
}
