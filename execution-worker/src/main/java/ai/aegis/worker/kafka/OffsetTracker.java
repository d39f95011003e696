package ai.aegis.worker.kafka;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which offsets may be committed when records finish out of order: per partition, the offset after the longest
 * finished prefix. A record is committed only once it and everything before it are done, so a crash re-delivers
 * unfinished work rather than losing it. Not thread-safe: used by the poll thread only.
 */
final class OffsetTracker {

    private final Map<TopicPartition, TreeMap<Long, Boolean>> inFlight = new HashMap<>();

    void started(TopicPartition tp, long offset) {
        inFlight.computeIfAbsent(tp, k -> new TreeMap<>()).put(offset, false);
    }

    void finished(TopicPartition tp, long offset) {
        TreeMap<Long, Boolean> m = inFlight.get(tp);
        if (m != null && m.containsKey(offset)) {
            m.put(offset, true);
        }
    }

    /** Offsets to commit now (and forgets the committed prefix). */
    Map<TopicPartition, OffsetAndMetadata> committable() {
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
        for (Map.Entry<TopicPartition, TreeMap<Long, Boolean>> e : inFlight.entrySet()) {
            TreeMap<Long, Boolean> m = e.getValue();
            Long next = null;
            while (!m.isEmpty() && m.firstEntry().getValue()) {
                next = m.pollFirstEntry().getKey() + 1;
            }
            if (next != null) {
                out.put(e.getKey(), new OffsetAndMetadata(next));
            }
        }
        return out;
    }

    /** Partitions taken away in a rebalance: their unfinished records will be redelivered elsewhere. */
    void revoked(java.util.Collection<TopicPartition> partitions) {
        partitions.forEach(inFlight::remove);
    }

    int inFlight() {
        return inFlight.values().stream().mapToInt(m -> (int) m.values().stream().filter(done -> !done).count()).sum();
    }
}
