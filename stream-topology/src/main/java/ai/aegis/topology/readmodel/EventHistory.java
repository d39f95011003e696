package ai.aegis.topology.readmodel;

import java.util.List;

/**
 * Where a view reads back the events it no longer holds in memory: the topic they came from. A read is one bounded
 * page, so that a stream catching up on a long history holds little at a time and shares the readers fairly with the
 * others ({@code ai.aegis.topology.tail.CatchUpReader} is the Kafka one).
 */
@FunctionalInterface
public interface EventHistory {

    /**
     * The records keyed {@code key} among the offsets {@code fromOffset..toOffset} (both included) of one partition,
     * as many as one page holds.
     *
     * @return the records found, in offset order, and where the next page starts: past {@code toOffset} when the
     *         range was read to its end
     * @throws Unavailable when the records could not be read in time (the cluster is away, every reader is busy)
     */
    Page read(String topic, int partition, long fromOffset, long toOffset, String key)
            throws Unavailable, InterruptedException;

    /** One record of the key: its offset (the event's id) and its value, byte for byte. */
    record Found(long offset, byte[] value) {
    }

    /** @param nextOffset the first offset not read yet; every offset before it was looked at */
    record Page(List<Found> records, long nextOffset) {
        public Page {
            records = List.copyOf(records);
        }
    }

    /** The history could not be read now; nothing is lost, the reader may try again later. */
    final class Unavailable extends Exception {
        public Unavailable(String message) {
            super(message);
        }

        public Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
