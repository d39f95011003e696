package ai.aegis.topology.readmodel;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A node's view of every aggregate of one kind (executions, workflow executions): current state and event history,
 * folded from the topics by one {@code TopicTail}, and the fan-out of live events to stream subscribers.
 *
 * <p>History and subscription are taken under one lock, so a subscriber sees every event exactly once: the history
 * up to the moment it subscribed, then live events. Event ids are the record offsets (one aggregate lives on one
 * partition, so they increase).
 *
 * <p>Memory is bounded: past {@code maxAggregates}, the oldest finished aggregates are forgotten (the topic keeps
 * them).
 *
 * @param <E> the event type
 * @param <S> the mutable state of one aggregate, which folds events
 * @param <V> the view served to readers
 */
public class EventReadModel<E, S extends EventReadModel.Aggregate<E, V>, V> {

    /** One aggregate's state: folds its events, says when it ended, renders its view. Used under the model's lock. */
    public interface Aggregate<E, V> {
        void apply(E event);

        /**
         * Whether the event belongs to the aggregate's history at all; one it refuses is neither stored, nor
         * applied, nor sent to subscribers (an execution refuses the events of a run attempt that was superseded).
         */
        default boolean accepts(E event) {
            return true;
        }

        boolean terminal();

        V view();
    }

    /** An event as served: its id, its JSON (the record value, byte for byte) and its parsed form. */
    public record StoredEvent<E>(long id, String json, E event, boolean terminal) {
    }

    private final class Entry {
        final S state;
        final List<StoredEvent<E>> events = new ArrayList<>();
        final List<Subscription<E>> subscribers = new CopyOnWriteArrayList<>();

        Entry(String id) {
            state = newAggregate.apply(id);
        }
    }

    private final int maxAggregates;
    private final Function<String, S> newAggregate;
    private final Function<byte[], E> parse;
    private final Predicate<E> isTerminal;
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();
    private final Object lock = new Object();

    public EventReadModel(int maxAggregates, Function<String, S> newAggregate, Function<byte[], E> parse,
                          Predicate<E> isTerminal) {
        this.maxAggregates = maxAggregates;
        this.newAggregate = newAggregate;
        this.parse = parse;
        this.isTerminal = isTerminal;
    }

    /** Changes an aggregate's state by something other than an event (a request record, say). */
    public void update(String id, Consumer<S> change) {
        synchronized (lock) {
            change.accept(entry(id).state);
            evict();
            lock.notifyAll();
        }
    }

    /**
     * Folds an event record; {@code id} is its offset. Duplicates (same or older id) and events the aggregate does
     * not accept are ignored.
     */
    public void onEvent(String aggregateId, long id, byte[] value) {
        String json = new String(value, StandardCharsets.UTF_8);
        E event = parse.apply(value);
        synchronized (lock) {
            Entry e = entry(aggregateId);
            if (!e.events.isEmpty() && e.events.getLast().id() >= id || !e.state.accepts(event)) {
                return;
            }
            StoredEvent<E> stored = new StoredEvent<>(id, json, event, isTerminal.test(event));
            e.events.add(stored);
            e.state.apply(event);
            for (Subscription<E> s : e.subscribers) {
                s.offer(stored);
            }
            evict();
            lock.notifyAll();
        }
    }

    /**
     * Waits until the execution's view differs from {@code seen} (or the timeout passes) and returns the current
     * view. Used to answer a command once its effect is visible.
     */
    private Optional<V> awaitChange(String id, V seen, java.time.Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (true) {
                Entry e = entries.get(id);
                Optional<V> now = e == null ? Optional.empty() : Optional.of(e.state.view());
                long left = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (now.map(v -> !v.equals(seen)).orElse(false) || left <= 0) {
                    return now;
                }
                try {
                    lock.wait(left);
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    return now;
                }
            }
        }
    }

    /** Waits (bounded) until the aggregate's view satisfies {@code until}; returns the view as it then is. */
    public Optional<V> awaitView(String id, Predicate<V> until, java.time.Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Optional<V> now = view(id);
        while (now.isPresent() && !until.test(now.get()) && System.nanoTime() < deadline) {
            now = awaitChange(id, now.get(), java.time.Duration.ofNanos(deadline - System.nanoTime()));
        }
        return now;
    }

    public Optional<V> view(String id) {
        synchronized (lock) {
            Entry e = entries.get(id);
            return e == null ? Optional.empty() : Optional.of(e.state.view());
        }
    }

    /** Filtered, sorted, at most {@code limit}. */
    public List<V> list(Predicate<V> filter, Comparator<V> order, int limit) {
        List<V> out = new ArrayList<>();
        synchronized (lock) {
            for (Entry e : entries.values()) {
                V v = e.state.view();
                if (filter.test(v)) {
                    out.add(v);
                }
            }
        }
        out.sort(order);
        return out.size() > limit ? List.copyOf(out.subList(0, limit)) : out;
    }

    /**
     * Subscribes to an aggregate's events after {@code afterId} (-1 for all). Empty when the aggregate is unknown.
     *
     * @param capacity bound of the live queue; a subscriber that falls this far behind is dropped (it reconnects
     *                 with Last-Event-ID and loses nothing)
     */
    public Optional<Subscription<E>> subscribe(String id, long afterId, int capacity) {
        synchronized (lock) {
            Entry e = entries.get(id);
            if (e == null) {
                return Optional.empty();
            }
            List<StoredEvent<E>> history = new ArrayList<>();
            for (StoredEvent<E> s : e.events) {
                if (s.id() > afterId) {
                    history.add(s);
                }
            }
            boolean ended = !e.events.isEmpty() && e.events.getLast().terminal();
            Subscription<E> sub = new Subscription<>(id, history, ended, capacity, this::unsubscribe);
            if (!ended) {
                e.subscribers.add(sub);
            }
            return Optional.of(sub);
        }
    }

    private void unsubscribe(Subscription<E> sub) {
        synchronized (lock) {
            Entry e = entries.get(sub.aggregateId());
            if (e != null) {
                e.subscribers.remove(sub);
            }
        }
    }

    public int subscriberCount() {
        synchronized (lock) {
            return entries.values().stream().mapToInt(e -> e.subscribers.size()).sum();
        }
    }

    public int size() {
        synchronized (lock) {
            return entries.size();
        }
    }

    private Entry entry(String id) {
        return entries.computeIfAbsent(id, Entry::new);
    }

    private void evict() {
        if (entries.size() <= maxAggregates) {
            return;
        }
        Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
        while (entries.size() > maxAggregates && it.hasNext()) {
            Entry e = it.next().getValue();
            if (e.state.terminal() && e.subscribers.isEmpty()) {
                it.remove();
            }
        }
    }

    /**
     * One stream subscriber: the history it missed and a bounded queue of live events. {@code ended} is true when
     * the history already holds the terminal event (nothing live will follow).
     */
    public static final class Subscription<E> implements AutoCloseable {
        private final String aggregateId;
        private final List<StoredEvent<E>> history;
        private final boolean ended;
        private final BlockingQueue<StoredEvent<E>> live;
        private final Consumer<Subscription<E>> onClose;
        private volatile boolean overflowed;

        Subscription(String aggregateId, List<StoredEvent<E>> history, boolean ended, int capacity,
                     Consumer<Subscription<E>> onClose) {
            this.aggregateId = aggregateId;
            this.history = List.copyOf(history);
            this.ended = ended;
            this.live = new ArrayBlockingQueue<>(Math.max(1, capacity));
            this.onClose = onClose;
        }

        void offer(StoredEvent<E> event) {
            if (!live.offer(event)) {
                overflowed = true;
                onClose.accept(this);
            }
        }

        public String aggregateId() {
            return aggregateId;
        }

        public List<StoredEvent<E>> history() {
            return history;
        }

        public boolean ended() {
            return ended;
        }

        /** True when the subscriber fell behind and was dropped; the stream should close. */
        public boolean overflowed() {
            return overflowed && live.isEmpty();
        }

        /** Next live event, or null after the timeout. */
        public StoredEvent<E> poll(java.time.Duration timeout) throws InterruptedException {
            return live.poll(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        }

        @Override
        public void close() {
            onClose.accept(this);
        }
    }
}
