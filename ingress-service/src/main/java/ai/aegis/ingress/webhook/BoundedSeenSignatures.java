package ai.aegis.ingress.webhook;

import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The replay guard in this node's memory, of at most {@code maxEntries} entries: each accepted signature is kept
 * until its window ends; expired ones are dropped as new ones come; when it is still full, the oldest (first
 * remembered) ones are dropped before their end and counted ({@link #droppedEarly()}, a metric: each one is a
 * delivery that could be replayed once more, on this node, until its window ends). It never holds more than its
 * bound.
 *
 * <p>Per node: a delivery replayed to another node behind the same load balancer passes it. The cross-node guard will
 * be the Kafka Streams dedup store (by idempotency key); this one refuses the cheap replays early, before anything
 * is published.
 *
 * <p>Two indexes under one lock (a {@link ReentrantLock}, which does not pin a virtual thread on Java 21): by key, in
 * insertion order for the oldest, and by end for the expired ones; every operation is O(log n). An entry costs a few
 * hundred bytes (measured: about 250 with a 90-character key, so some 24 MiB at the default 100 000).
 */
public final class BoundedSeenSignatures implements SeenSignatures {

    /** {@code until} in epoch milliseconds: an {@code Instant} would cost another object per entry. */
    private record Entry(String key, long until, long order) {
    }

    private static final Comparator<Entry> BY_END = Comparator.comparingLong(Entry::until)
            .thenComparingLong(Entry::order);

    private final int maxEntries;
    private final ReentrantLock lock = new ReentrantLock();
    private final LinkedHashMap<String, Entry> byKey = new LinkedHashMap<>();
    private final TreeSet<Entry> byEnd = new TreeSet<>(BY_END);
    private long order;
    private long droppedEarly;

    public BoundedSeenSignatures(int maxEntries) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be at least 1");
        }
        this.maxEntries = maxEntries;
    }

    @Override
    public boolean firstSighting(String key, Instant until, Instant now) {
        lock.lock();
        try {
            long nowMillis = now.toEpochMilli();
            dropExpired(nowMillis);
            Entry known = byKey.get(key);
            if (known != null) {
                // not expired, or dropExpired would have removed it
                return false;
            }
            long untilMillis = until.toEpochMilli();
            if (untilMillis < nowMillis) {
                return true;    // already past its window: nothing to remember
            }
            while (byKey.size() >= maxEntries) {
                Map.Entry<String, Entry> oldest = byKey.pollFirstEntry();
                byEnd.remove(oldest.getValue());
                droppedEarly++;
            }
            Entry entry = new Entry(key, untilMillis, order++);
            byKey.put(key, entry);
            byEnd.add(entry);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Signatures remembered now. */
    public int size() {
        lock.lock();
        try {
            return byKey.size();
        } finally {
            lock.unlock();
        }
    }

    public int maxEntries() {
        return maxEntries;
    }

    /** Entries dropped before their window ended because the guard was full, since the start. */
    public long droppedEarly() {
        lock.lock();
        try {
            return droppedEarly;
        } finally {
            lock.unlock();
        }
    }

    private void dropExpired(long nowMillis) {
        while (!byEnd.isEmpty() && byEnd.first().until() < nowMillis) {
            Entry expired = byEnd.pollFirst();
            byKey.remove(expired.key());
        }
    }
}
