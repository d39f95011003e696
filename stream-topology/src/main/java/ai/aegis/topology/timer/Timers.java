package ai.aegis.topology.timer;

import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Timers kept in a Kafka Streams key-value store, so that they commit with the state they guard and move with its
 * partition: key {@code <due epoch millis, 19 digits>|<id>}, value the id. Zero-padded millis come first, so string
 * order is time order (RocksDB orders keys by their bytes) and a wall-clock punctuation reads only the timers that
 * are due, with a range scan up to now, instead of the whole store.
 *
 * <p>A store may also hold bookkeeping entries of its owner, under keys that start with {@code ~}: that character
 * sorts after every digit, so the scan of due timers never reaches them.
 */
public final class Timers {

    /** Sorts after every digit and after {@code |}: the upper bound of a scan ends past every id due at its time. */
    private static final String AFTER_ANY_ID = "~";

    private final KeyValueStore<String, String> store;

    public Timers(KeyValueStore<String, String> store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    /** The store key of a timer: {@code %019d|id}. Stores on disk and their changelogs hold this format. */
    public static String key(long dueMillis, String id) {
        return String.format("%019d|%s", dueMillis, id);
    }

    /** {@code a + b}, or {@link Long#MAX_VALUE} (never due) when the sum would overflow. */
    public static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    /** Sets a timer for {@code id} at {@code dueMillis}; setting the same one twice leaves one. */
    public void set(long dueMillis, String id) {
        store.put(key(dueMillis, id), id);
    }

    /** Deletes the timer for {@code id} at {@code dueMillis}, if there is one. */
    public void delete(long dueMillis, String id) {
        store.delete(key(dueMillis, id));
    }

    /**
     * Fires the timers due at {@code nowMillis}, earliest first, at most {@code limit} of them: each is deleted, then
     * its id is handed to {@code action}. The due timers are collected before any is fired, because the actions
     * may write to the store the scan reads (a timer an action sets, even one already due, waits for the next call).
     */
    public void fireDue(long nowMillis, int limit, Consumer<String> action) {
        List<KeyValue<String, String>> due = new ArrayList<>();
        try (KeyValueIterator<String, String> it = store.range(null, key(nowMillis, AFTER_ANY_ID))) {
            while (it.hasNext() && due.size() < limit) {
                due.add(it.next());
            }
        }
        for (KeyValue<String, String> timer : due) {
            store.delete(timer.key);
            action.accept(timer.value);
        }
    }
}
