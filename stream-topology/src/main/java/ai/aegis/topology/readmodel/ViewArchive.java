package ai.aegis.topology.readmodel;

import java.util.Map;
import java.util.Optional;

/**
 * Where a view puts the finished aggregates it no longer keeps in memory, so that they stay answerable ({@code GET},
 * a stream's history, its {@code 204}) for the archive's retention: the final view, and what a stream needs to read
 * the events back from the topic. {@link RocksViewArchive} keeps them on disk.
 *
 * @param <V> the view served to readers
 */
public interface ViewArchive<V> extends AutoCloseable {

    /**
     * A finished aggregate as archived.
     *
     * @param partition    the partition of the topic its events are on
     * @param firstId      its first event's offset
     * @param lastId       its terminal event's offset (nothing after it is part of its history)
     * @param attemptsFrom run attempt -> the offset of that attempt's first event (fences superseded attempts when the
     *                     history is read back)
     * @param view         its final view
     */
    record Archived<V>(int partition, long firstId, long lastId, Map<Integer, Long> attemptsFrom, V view) {
        public Archived {
            attemptsFrom = Map.copyOf(attemptsFrom);
        }
    }

    /** Keeps {@code archived} for the retention (replacing what was kept for {@code id}). */
    void put(String id, Archived<V> archived);

    /** What is kept for {@code id}, if it was archived within the retention. */
    Optional<Archived<V>> get(String id);

    /** Whether {@code id} is kept (cheaper than {@link #get}: no view is read). */
    boolean contains(String id);

    @Override
    void close();
}
