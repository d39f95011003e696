package ai.aegis.topology.executions;

import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.schemas.json.Json;

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
import java.util.function.Predicate;

/**
 * A node's view of every execution: current state and event history, folded from the execution request and event
 * topics by one {@code TopicTail}, and the fan-out of live events to stream subscribers.
 *
 * <p>History and subscription are taken under one lock, so a subscriber sees every event exactly once: the history
 * up to the moment it subscribed, then live events. Event ids are the record offsets (one execution lives on one
 * partition, so they increase).
 *
 * <p>Memory is bounded: past {@code maxExecutions}, the oldest finished executions are forgotten (the topic
 * keeps them).
 */
public final class ExecutionReadModel {

    /** An event as served: its id, its JSON (the record value, byte for byte) and its parsed form. */
    public record StoredEvent(long id, String json, ExecutionEvent event) {
    }

    private static final class Entry {
        final ExecutionState state;
        final List<StoredEvent> events = new ArrayList<>();
        final List<Subscription> subscribers = new CopyOnWriteArrayList<>();

        Entry(String id) {
            state = new ExecutionState(id);
        }
    }

    private final int maxExecutions;
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();
    private final Object lock = new Object();

    public ExecutionReadModel(int maxExecutions) {
        this.maxExecutions = maxExecutions;
    }

    /** Folds a request record (from the tail or from the node that just accepted it). */
    public void onRequest(ExecutionRequest request) {
        synchronized (lock) {
            entry(request.executionId()).state.apply(request);
            evict();
            lock.notifyAll();
        }
    }

    /** Folds an event record; {@code id} is its offset. Duplicates (same or older id) are ignored. */
    public void onEvent(String executionId, long id, byte[] value) {
        String json = new String(value, StandardCharsets.UTF_8);
        ExecutionEvent event = Json.read(value, ExecutionEvent.class);
        synchronized (lock) {
            Entry e = entry(executionId);
            if (!e.events.isEmpty() && e.events.getLast().id() >= id) {
                return;
            }
            StoredEvent stored = new StoredEvent(id, json, event);
            e.events.add(stored);
            e.state.apply(event);
            for (Subscription s : e.subscribers) {
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
    public Optional<ExecutionView> awaitChange(String executionId, ExecutionView seen, java.time.Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (true) {
                Entry e = entries.get(executionId);
                Optional<ExecutionView> now = e == null ? Optional.empty() : Optional.of(e.state.view());
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

    public Optional<ExecutionView> view(String executionId) {
        synchronized (lock) {
            Entry e = entries.get(executionId);
            return e == null ? Optional.empty() : Optional.of(e.state.view());
        }
    }

    /** Newest first, filtered, at most {@code limit}. */
    public List<ExecutionView> list(Predicate<ExecutionView> filter, int limit) {
        List<ExecutionView> out = new ArrayList<>();
        synchronized (lock) {
            for (Entry e : entries.values()) {
                ExecutionView v = e.state.view();
                if (filter.test(v)) {
                    out.add(v);
                }
            }
        }
        out.sort(Comparator.comparing((ExecutionView v) -> v.requestedAt() != null ? v.requestedAt()
                : v.startedAt() != null ? v.startedAt() : java.time.Instant.EPOCH).reversed());
        return out.size() > limit ? List.copyOf(out.subList(0, limit)) : out;
    }

    /**
     * Subscribes to an execution's events after {@code afterId} (-1 for all). Empty when the execution is unknown.
     *
     * @param capacity bound of the live queue; a subscriber that falls this far behind is dropped (it reconnects
     *                 with Last-Event-ID and loses nothing)
     */
    public Optional<Subscription> subscribe(String executionId, long afterId, int capacity) {
        synchronized (lock) {
            Entry e = entries.get(executionId);
            if (e == null) {
                return Optional.empty();
            }
            List<StoredEvent> history = new ArrayList<>();
            for (StoredEvent s : e.events) {
                if (s.id() > afterId) {
                    history.add(s);
                }
            }
            boolean ended = !e.events.isEmpty() && e.events.getLast().event().terminal();
            Subscription sub = new Subscription(executionId, history, ended, capacity, this);
            if (!ended) {
                e.subscribers.add(sub);
            }
            return Optional.of(sub);
        }
    }

    void unsubscribe(Subscription sub) {
        synchronized (lock) {
            Entry e = entries.get(sub.executionId());
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
        if (entries.size() <= maxExecutions) {
            return;
        }
        Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
        while (entries.size() > maxExecutions && it.hasNext()) {
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
    public static final class Subscription implements AutoCloseable {
        private final String executionId;
        private final List<StoredEvent> history;
        private final boolean ended;
        private final BlockingQueue<StoredEvent> live;
        private final ExecutionReadModel owner;
        private volatile boolean overflowed;

        Subscription(String executionId, List<StoredEvent> history, boolean ended, int capacity,
                     ExecutionReadModel owner) {
            this.executionId = executionId;
            this.history = List.copyOf(history);
            this.ended = ended;
            this.live = new ArrayBlockingQueue<>(Math.max(1, capacity));
            this.owner = owner;
        }

        void offer(StoredEvent event) {
            if (!live.offer(event)) {
                overflowed = true;
                owner.unsubscribe(this);
            }
        }

        public String executionId() {
            return executionId;
        }

        public List<StoredEvent> history() {
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
        public StoredEvent poll(java.time.Duration timeout) throws InterruptedException {
            return live.poll(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        }

        @Override
        public void close() {
            owner.unsubscribe(this);
        }
    }
}
