package ai.aegis.topology.readmodel;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A node's view of every aggregate of one kind (executions, workflow executions): current state and recent events,
 * folded from the topics by one {@code TopicTail}, and the streams of those events to subscribers.
 *
 * <p>State and events are kept apart. The state (what {@code GET} serves) folds every event. The events themselves
 * are kept only as a window of the newest ones, bounded in bytes per aggregate and for the whole view; older ones
 * are dropped from memory (the oldest aggregates' first) and, when a subscriber needs them, read back from the topic
 * through an {@link EventHistory}. So however much an execution prints, the view holds at most
 * {@link Limits#historyBytes()} of events, and a subscriber still gets every event that was written.
 *
 * <p>A subscriber is a cursor, not a queue: it reads the events after the last one it was given, from the window
 * when they are still there, else from the topic, and waits for new ones when it has them all. The tail never waits
 * for a subscriber and keeps nothing per subscriber, so neither slow clients nor many of them cost memory. Event ids
 * are the record offsets (one aggregate lives on one partition, so they increase), which makes a resume with
 * {@code Last-Event-ID} exact on any node.
 *
 * <p>Aggregates are bounded too: past {@link Limits#maxAggregates()}, the oldest finished ones without subscribers
 * are forgotten (the topic keeps them).
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
         * The run attempt that wrote the event (1 for aggregates that are never run twice). Once an attempt's first
         * event is folded, the events of older attempts that come after it (a worker that was frozen and woke up)
         * are not part of the history: neither stored, nor applied, nor streamed, nor served when a stream reads
         * the history back from the topic.
         */
        default int attempt(E event) {
            return 1;
        }

        boolean terminal();

        V view();

        /**
         * The index keys the aggregate is listed under now ({@code status:pending}, {@code agent:<id>}): a few short
         * strings that {@link #list} and {@link #count} answer from without looking at other aggregates. Asked after
         * every change, so cheap.
         */
        default List<String> facets() {
            return List.of();
        }
    }

    /** What one retained event costs beyond its bytes: the objects that hold it, roughly. */
    static final int EVENT_OVERHEAD_BYTES = 64;
    /** The most one {@link Subscription#next} hands over at once, so that a stream holds little at a time. */
    static final int MAX_BATCH_EVENTS = 256;
    static final long MAX_BATCH_BYTES = 256 * 1024;

    /**
     * How much a view holds.
     *
     * @param maxAggregates            aggregates (state and events); past it the oldest finished ones are forgotten
     * @param historyBytes             event bytes held for all aggregates together
     * @param historyBytesPerAggregate event bytes held for one aggregate
     */
    public record Limits(int maxAggregates, long historyBytes, long historyBytesPerAggregate) {
        public Limits {
            if (maxAggregates < 1 || historyBytes < 0 || historyBytesPerAggregate < 0) {
                throw new IllegalArgumentException("view limits must be positive: " + maxAggregates + ", "
                        + historyBytes + ", " + historyBytesPerAggregate);
            }
        }
    }

    /**
     * An event as served: its id (the record's offset), the record value byte for byte (the SSE {@code data:}), and
     * whether it ends the aggregate's stream.
     */
    public record StoredEvent(long id, byte[] value, boolean terminal) {
        public String json() {
            return new String(value, StandardCharsets.UTF_8);
        }

        long retainedBytes() {
            return value.length + (long) EVENT_OVERHEAD_BYTES;
        }
    }

    private final class Entry {
        final String id;
        final S state;
        final EventWindow window = new EventWindow();
        int partition = -1;
        long firstId = -1;
        volatile long lastId = -1;
        boolean lastTerminal;
        /** The newest event that is no longer in the window (-1: none left it). */
        long evictedThrough = -1;
        int subscribers;
        /** Subscribers waiting for this aggregate's next event wait here, not on the model's lock. */
        final Object arrived = new Object();
        /**
         * Subscribers that do not wait on a thread (the stream listener's): told of each change, under
         * {@link #arrived}. One per such subscription, removed when it closes; none for most aggregates.
         */
        Runnable[] listeners = NO_LISTENERS;
        /** Run attempt -> the offset of its first event: a few entries (one per attempt), never more. */
        final NavigableMap<Integer, Long> attemptsFrom = new TreeMap<>();
        /** The facets it is indexed under. */
        List<String> facets = List.of();
        /** Counts changes, so that a reader waiting for one does not miss it. */
        volatile long version;

        Entry(String id) {
            this.id = id;
            this.state = newAggregate.apply(id);
        }

        /** A finished aggregate read back from the archive: every event of it is on the topic, none in memory. */
        Entry(String id, ViewArchive.Archived<V> archived) {
            this(id);
            partition = archived.partition();
            firstId = archived.firstId();
            lastId = archived.lastId();
            evictedThrough = archived.lastId();
            lastTerminal = true;
            attemptsFrom.putAll(archived.attemptsFrom());
        }

        /** Whether an event of {@code attempt} at {@code offset} comes after a newer attempt began. */
        boolean superseded(int attempt, long offset) {
            for (long from : attemptsFrom.tailMap(attempt, false).values()) {
                if (from < offset) {
                    return true;
                }
            }
            return false;
        }
    }

    private static final System.Logger LOG = System.getLogger(EventReadModel.class.getName());
    private static final Runnable[] NO_LISTENERS = new Runnable[0];

    private final Limits limits;
    private final Function<String, S> newAggregate;
    private final Function<byte[], E> parse;
    private final Predicate<E> isTerminal;
    /** Every aggregate in memory, in the order this node first heard of them. */
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();
    /** Aggregates that hold events, oldest first: trimmed in this order when the view holds too many bytes. */
    private final LinkedHashSet<Entry> holding = new LinkedHashSet<>();
    /** Finished aggregates without subscribers, in the order they became so: forgotten (archived) in this order. */
    private final LinkedHashSet<Entry> finished = new LinkedHashSet<>();
    /** facet -> the aggregates listed under it, in the order they entered it. */
    private final Map<String, LinkedHashSet<Entry>> byFacet = new HashMap<>();
    private final ViewArchive<V> archive;
    private long retainedBytes;
    private int subscribers;
    private final Object lock = new Object();

    /** A view that forgets the finished aggregates past its limit (the topic keeps them). */
    public EventReadModel(Limits limits, Function<String, S> newAggregate, Function<byte[], E> parse,
                          Predicate<E> isTerminal) {
        this(limits, newAggregate, parse, isTerminal, null);
    }

    /**
     * @param archive where finished aggregates past the limit go, and are read from while its retention keeps them;
     *                null: they are forgotten
     */
    public EventReadModel(Limits limits, Function<String, S> newAggregate, Function<byte[], E> parse,
                          Predicate<E> isTerminal, ViewArchive<V> archive) {
        this.limits = limits;
        this.newAggregate = newAggregate;
        this.parse = parse;
        this.isTerminal = isTerminal;
        this.archive = archive;
    }

    /** Changes an aggregate's state by something other than an event (a request record, say). */
    public void update(String id, Consumer<S> change) {
        // finished and archived: a late request record (read at a start) changes nothing
        Entry e = foldInto(id, entry -> {
            try {
                change.accept(entry.state);
            } finally {
                changed(entry);
            }
        });
        if (e != null) {
            wake(e);
        }
    }

    /**
     * Folds an event record of {@code partition} at offset {@code id}. Duplicates (same or older id), events of a
     * superseded run attempt ({@link Aggregate#attempt}) and events after the terminal one are ignored; a value that
     * does not parse throws and changes nothing.
     */
    public void onEvent(String aggregateId, int partition, long id, byte[] value) {
        E event = parse.apply(value); // first: it refuses a tombstone or a malformed value, and nothing changes
        StoredEvent stored = new StoredEvent(id, value, isTerminal.test(event));
        // finished and archived: read again at a start, or written after its end
        Entry e = foldInto(aggregateId, entry -> {
            int attempt = entry.state.attempt(event);
            if (entry.lastId >= id || entry.superseded(attempt, id) || entry.lastTerminal) {
                return; // an end is final: what follows it (an attempt that ran on past a zombie's end) is not history
            }
            if (entry.firstId < 0) {
                entry.firstId = id;
                entry.partition = partition;
            }
            entry.attemptsFrom.putIfAbsent(attempt, id);
            entry.window.add(stored);
            retainedBytes += stored.retainedBytes();
            holding.add(entry);
            entry.lastId = id;
            entry.lastTerminal = stored.terminal();
            try {
                entry.state.apply(event);
            } finally {
                trim(entry);
                changed(entry);
            }
        });
        if (e != null) {
            wake(e);
        }
    }

    /**
     * Runs {@code fold} under the lock on {@code id}'s entry (a new one when the view does not know it), unless the
     * aggregate is archived: then nothing is folded and this returns null. The archive (a RocksDB read) is asked
     * outside the lock, and only for an id that is not in memory; an entry that appeared meanwhile is used.
     */
    private Entry foldInto(String id, Consumer<Entry> fold) {
        boolean asked = archive == null;
        boolean archived = false;
        while (true) {
            synchronized (lock) {
                Entry e = entries.get(id);
                if (e == null && asked) {
                    if (archived) {
                        return null;
                    }
                    e = entry(id);
                }
                if (e != null) {
                    fold.accept(e);
                    return e;
                }
            }
            archived = archive.contains(id);
            asked = true;
        }
    }

    /** After a change of {@code e} under the lock: its index, whether it may be forgotten, the bound. */
    private void changed(Entry e) {
        e.version++;
        List<String> now = e.state.facets();
        if (!now.equals(e.facets)) {
            unindex(e);
            for (String facet : now) {
                byFacet.computeIfAbsent(facet, f -> new LinkedHashSet<>()).add(e);
            }
            e.facets = List.copyOf(now);
        }
        if (e.subscribers == 0 && e.state.terminal()) {
            finished.add(e);
        }
        evict();
    }

    private void unindex(Entry e) {
        for (String facet : e.facets) {
            LinkedHashSet<Entry> listed = byFacet.get(facet);
            if (listed != null) {
                listed.remove(e);
                if (listed.isEmpty()) {
                    byFacet.remove(facet);
                }
            }
        }
        e.facets = List.of();
    }

    /** Wakes the readers waiting for a change of {@code e} (streams, {@link #awaitView}); outside the lock. */
    private static void wake(EventReadModel<?, ?, ?>.Entry e) {
        Runnable[] listeners;
        synchronized (e.arrived) {
            e.arrived.notifyAll();
            listeners = e.listeners;
        }
        for (Runnable listener : listeners) {
            try {
                listener.run();
            } catch (RuntimeException failed) {
                // a listener only schedules work; one that throws must not keep the tail from the next
                LOG.log(System.Logger.Level.WARNING, "an arrival listener of " + e.id + " failed", failed);
            }
        }
    }

    /**
     * An event of {@code entry} read back from the topic, as the view would have stored it; null when it does not
     * parse or belongs to a superseded run attempt (the fold refused it too: it is not part of the history).
     */
    private StoredEvent stored(Entry entry, EventHistory.Found record) {
        E event;
        try {
            event = parse.apply(record.value());
        } catch (RuntimeException unreadable) {
            return null; // the tail skipped it too: it is not part of the aggregate's events
        }
        synchronized (lock) {
            if (entry.superseded(entry.state.attempt(event), record.offset())) {
                return null;
            }
        }
        return new StoredEvent(record.offset(), record.value(), isTerminal.test(event));
    }

    /** Waits (bounded) until the aggregate's view satisfies {@code until}; returns the view as it then is. */
    public Optional<V> awaitView(String id, Predicate<V> until, java.time.Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Entry e;
            long version;
            Optional<V> now;
            synchronized (lock) {
                e = entries.get(id);
                if (e == null) {
                    return archivedView(id);
                }
                version = e.version;
                now = Optional.of(e.state.view());
            }
            long left = deadline - System.nanoTime();
            if (until.test(now.get()) || left <= 0) {
                return now;
            }
            try {
                synchronized (e.arrived) {
                    if (e.version == version) {
                        TimeUnit.NANOSECONDS.timedWait(e.arrived, left);
                    }
                }
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return now;
            }
        }
    }

    /** The aggregate's view: from memory, else from the archive while it keeps it. */
    public Optional<V> view(String id) {
        synchronized (lock) {
            Entry e = entries.get(id);
            if (e != null) {
                return Optional.of(e.state.view());
            }
        }
        return archivedView(id);
    }

    private Optional<V> archivedView(String id) {
        return archive == null ? Optional.empty() : archive.get(id).map(ViewArchive.Archived::view);
    }

    /**
     * The aggregates in memory listed under every one of {@code facets} (all of them when none), the ones this node
     * heard of last first, at most {@code limit}, sorted by {@code order}. It walks the smallest of the facets' lists
     * from its newest end and stops at {@code limit}: the cost is the page's, not the view's.
     */
    public List<V> list(List<String> facets, Comparator<V> order, int limit) {
        List<V> out = new ArrayList<>();
        synchronized (lock) {
            java.util.SequencedCollection<Entry> walk = entries.sequencedValues();
            for (String facet : facets) {
                LinkedHashSet<Entry> listed = byFacet.get(facet);
                if (listed == null) {
                    return List.of();
                }
                if (listed.size() < walk.size()) {
                    walk = listed;
                }
            }
            for (Entry e : walk.reversed()) {
                if (out.size() >= limit) {
                    break;
                }
                if (e.facets.containsAll(facets)) {
                    out.add(e.state.view());
                }
            }
        }
        out.sort(order);
        return out;
    }

    /** How many aggregates in memory are listed under {@code facet}, at once. */
    public int count(String facet) {
        synchronized (lock) {
            LinkedHashSet<Entry> listed = byFacet.get(facet);
            return listed == null ? 0 : listed.size();
        }
    }

    /**
     * Subscribes to an aggregate's events after {@code afterId} (-1 for all). Empty when the aggregate is unknown
     * (neither in memory nor in the archive).
     *
     * @param history where events no longer in memory are read back from ({@code topic}, the one this view folds
     *                the aggregate's events from)
     */
    public Optional<Subscription> subscribe(String id, long afterId, EventHistory history, String topic) {
        synchronized (lock) {
            Entry e = entries.get(id);
            if (e != null) {
                e.subscribers++;
                subscribers++;
                finished.remove(e);
                return Optional.of(new Subscription(e, afterId, e.lastTerminal && afterId >= e.lastId, history,
                        topic, true));
            }
        }
        if (archive == null) {
            return Optional.empty();
        }
        // finished: its events are all on the topic, and nothing changes it any more
        return archive.get(id).map(a -> new Subscription(new Entry(id, a), afterId, afterId >= a.lastId(), history,
                topic, false));
    }

    /** Streams open on aggregates in memory. */
    public int subscriberCount() {
        synchronized (lock) {
            return subscribers;
        }
    }

    /** Aggregates in memory. */
    public int size() {
        synchronized (lock) {
            return entries.size();
        }
    }

    /** The bytes of events this view holds in memory, for all aggregates. */
    public long retainedBytes() {
        synchronized (lock) {
            return retainedBytes;
        }
    }

    /** The bytes of events this view holds for one aggregate; empty when it is not in memory. */
    public OptionalLong retainedBytes(String id) {
        synchronized (lock) {
            Entry e = entries.get(id);
            return e == null ? OptionalLong.empty() : OptionalLong.of(e.window.bytes());
        }
    }

    private Entry entry(String id) {
        return entries.computeIfAbsent(id, Entry::new);
    }

    /** Drops the oldest events from memory: of {@code e} past its own bound, then of the oldest aggregates. */
    private void trim(Entry e) {
        while (e.window.bytes() > limits.historyBytesPerAggregate()) {
            dropOldest(e);
        }
        while (retainedBytes > limits.historyBytes()) {
            dropOldest(holding.getFirst());
        }
    }

    private void dropOldest(Entry e) {
        StoredEvent dropped = e.window.removeFirst();
        retainedBytes -= dropped.retainedBytes();
        e.evictedThrough = dropped.id();
        if (e.window.isEmpty()) {
            holding.remove(e);
        }
    }

    /**
     * Forgets the finished aggregates without subscribers past {@link Limits#maxAggregates()}, the ones that finished
     * first first, into the archive when there is one. Unfinished aggregates are never forgotten: admission control
     * bounds how many there are.
     */
    private void evict() {
        while (finished.size() > limits.maxAggregates()) {
            Entry e = finished.removeFirst();
            entries.remove(e.id);
            unindex(e);
            retainedBytes -= e.window.bytes();
            holding.remove(e);
            if (archive != null && e.firstId >= 0) {
                archive.put(e.id, new ViewArchive.Archived<>(e.partition, e.firstId, e.lastId, e.attemptsFrom,
                        e.state.view()));
            }
        }
    }

    /**
     * One stream's cursor over an aggregate's events: {@link #next} hands over the events after the last one it
     * handed over, from memory or read back from the topic, and waits for new ones when there are none yet. It holds
     * one batch at a time and nothing else, whatever the client's speed.
     */
    public final class Subscription implements AutoCloseable {
        private final Entry entry;
        private final boolean atEnd;
        private final EventHistory history;
        private final String topic;
        private long cursor;
        private boolean done;
        private boolean closed;
        private long readBack;
        /** Set by {@link #onArrival}, guarded by {@code entry.arrived}. */
        private Runnable arrival;

        /** Whether {@code entry} is in memory (and counts its subscribers); an archived one is not. */
        private final boolean counted;

        private Subscription(Entry entry, long afterId, boolean atEnd, EventHistory history, String topic,
                             boolean counted) {
            this.entry = entry;
            this.counted = counted;
            this.cursor = afterId;
            this.atEnd = atEnd;
            this.history = history;
            this.topic = topic;
        }

        public String aggregateId() {
            return entry.id;
        }

        /** True when the subscriber already has the terminal event: nothing will follow. */
        public boolean atEnd() {
            return atEnd;
        }

        /** Events this subscription handed over that were read back from the topic (no longer in memory). */
        public long readBack() {
            return readBack;
        }

        /**
         * Calls {@code listener} after each change of the aggregate (a new event, a new state), on the thread that
         * folded it, until {@link #close}: for a subscriber that does not wait in {@link #next} but polls it with
         * {@link java.time.Duration#ZERO} when told. {@code listener} must be quick and must not block (it runs on
         * the view's tail): it should only schedule that poll. Set once.
         */
        public void onArrival(Runnable listener) {
            synchronized (entry.arrived) {
                if (closed || arrival != null) {
                    throw new IllegalStateException(closed ? "closed" : "a listener is already set");
                }
                arrival = listener;
                Runnable[] now = java.util.Arrays.copyOf(entry.listeners, entry.listeners.length + 1);
                now[now.length - 1] = listener;
                entry.listeners = now;
            }
        }

        /** True once the terminal event was handed over. */
        public boolean done() {
            return done || atEnd;
        }

        /**
         * The next events in order: at most a batch, ending at the terminal event; empty when none arrived within
         * {@code wait} (or the stream is done).
         *
         * @throws EventHistory.Unavailable when events no longer in memory could not be read back from the topic
         */
        public List<StoredEvent> next(java.time.Duration wait) throws EventHistory.Unavailable, InterruptedException {
            long deadline = System.nanoTime() + wait.toNanos();
            while (!done()) {
                long gapFrom;
                long gapTo;
                synchronized (lock) {
                    if (entry.firstId >= 0 && cursor < entry.firstId - 1) {
                        cursor = entry.firstId - 1; // nothing of this aggregate lies before its first event
                    }
                    if (cursor >= entry.evictedThrough) {
                        List<StoredEvent> batch = entry.window.after(cursor);
                        if (!batch.isEmpty()) {
                            return deliver(batch, batch.getLast().id());
                        }
                        gapFrom = -1;
                        gapTo = -1;
                    } else {
                        gapFrom = cursor + 1;
                        gapTo = entry.evictedThrough;
                    }
                }
                if (gapFrom >= 0) {
                    List<StoredEvent> page = readBack(gapFrom, gapTo);
                    if (!page.isEmpty() || System.nanoTime() >= deadline) {
                        return page; // an empty page read only others' records: the caller may send a heartbeat
                    }
                    continue;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return List.of();
                }
                synchronized (entry.arrived) {
                    if (entry.lastId <= cursor) {
                        TimeUnit.NANOSECONDS.timedWait(entry.arrived, left);
                    }
                }
            }
            return List.of();
        }

        /** One page of the events that left memory, read from the topic; the cursor moves past what was read. */
        private List<StoredEvent> readBack(long from, long to) throws EventHistory.Unavailable, InterruptedException {
            if (history == null) {
                throw new EventHistory.Unavailable("events before " + (to + 1) + " are no longer in memory");
            }
            EventHistory.Page page = history.read(topic, entry.partition, from, to, entry.id);
            if (page.nextOffset() <= from) {
                throw new EventHistory.Unavailable("reading back " + topic + "-" + entry.partition + " from " + from
                        + " made no progress");
            }
            List<StoredEvent> events = new ArrayList<>(page.records().size());
            for (EventHistory.Found found : page.records()) {
                StoredEvent s = found.offset() > cursor && found.offset() <= to ? stored(entry, found) : null;
                if (s != null) {
                    events.add(s);
                }
            }
            List<StoredEvent> delivered = deliver(events, Math.min(page.nextOffset() - 1, to));
            readBack += delivered.size();
            return delivered;
        }

        /** Hands over {@code batch} up to its first terminal event; the cursor moves to {@code through}. */
        private List<StoredEvent> deliver(List<StoredEvent> batch, long through) {
            for (int i = 0; i < batch.size(); i++) {
                if (batch.get(i).terminal()) {
                    done = true;
                    cursor = batch.get(i).id();
                    return batch.subList(0, i + 1);
                }
            }
            cursor = Math.max(cursor, through);
            return batch;
        }

        @Override
        public void close() {
            synchronized (entry.arrived) {
                if (arrival != null) {
                    Runnable[] now = new Runnable[Math.max(0, entry.listeners.length - 1)];
                    int n = 0;
                    for (Runnable r : entry.listeners) {
                        if (r != arrival && n < now.length) {
                            now[n++] = r;
                        }
                    }
                    entry.listeners = n == 0 ? NO_LISTENERS : now;
                    arrival = null;
                }
            }
            synchronized (lock) {
                if (!closed && counted) {
                    entry.subscribers--;
                    subscribers--;
                    if (entry.subscribers == 0 && entry.state.terminal() && entries.get(entry.id) == entry) {
                        finished.add(entry);
                        evict();
                    }
                }
                closed = true;
            }
        }
    }

    /** The events of one aggregate still in memory, oldest first; found by id with a binary search. */
    private static final class EventWindow {
        private final ArrayList<StoredEvent> events = new ArrayList<>();
        private int head;
        private long bytes;

        void add(StoredEvent e) {
            events.add(e);
            bytes += e.retainedBytes();
        }

        boolean isEmpty() {
            return head == events.size();
        }

        long bytes() {
            return bytes;
        }

        StoredEvent removeFirst() {
            StoredEvent e = events.set(head++, null);
            bytes -= e.retainedBytes();
            if (head == events.size()) {
                events.clear();
                head = 0;
            } else if (head > 1024 && head > events.size() / 2) {
                events.subList(0, head).clear();
                head = 0;
            }
            return e;
        }

        /** The events after {@code id}, at most a batch. */
        List<StoredEvent> after(long id) {
            int lo = head;
            int hi = events.size();
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (events.get(mid).id() <= id) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            List<StoredEvent> out = new ArrayList<>();
            long batchBytes = 0;
            for (int i = lo; i < events.size() && out.size() < MAX_BATCH_EVENTS
                    && (out.isEmpty() || batchBytes < MAX_BATCH_BYTES); i++) {
                out.add(events.get(i));
                batchBytes += events.get(i).value().length;
            }
            return out;
        }
    }
}
