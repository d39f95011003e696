package ai.aegis.topology.tail;

import java.time.Duration;

/**
 * How far a node's in-process views have read their topics: {@link TopicTail} reads Kafka; routes and services
 * depend on this interface so that they can be tested without a broker.
 */
public interface ViewProgress {

    /** True once the views hold everything that was in the topics when the node started. */
    boolean isCaughtUp();

    /** Waits (bounded) until {@link #isCaughtUp()}; false when the time ran out. */
    boolean awaitCaughtUp(Duration timeout) throws InterruptedException;

    /**
     * Waits (bounded) until the record at {@code offset} of that partition has been applied to the views, so that
     * a node reads its own writes; false when the time ran out.
     */
    boolean awaitApplied(String topic, int partition, long offset, Duration timeout) throws InterruptedException;
}
