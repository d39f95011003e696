package ai.aegis.worker.kafka;

import ai.aegis.schemas.execution.ExecutionEvent;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What the events topic says about each recent execution: the newest run attempt that wrote an event, and whether
 * the execution has ended. The workers' own fold of the events, kept to the same rules as the API's views: an event
 * of an attempt older than the newest is of a superseded run and does not count, and an end is final. Pure logic and
 * thread-safe; bounded: past {@code capacity} executions the least recently changed are forgotten.
 */
final class AttemptLedger {

    /**
     * @param attempt the newest attempt that wrote an event
     * @param ended   a terminal event of that attempt (or of an older one before it) is on the topic
     */
    record Known(int attempt, boolean ended) {
    }

    private final Map<String, Known> known;

    AttemptLedger(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("the ledger must hold at least one execution, not " + capacity);
        }
        this.known = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Known> eldest) {
                return size() > capacity;
            }
        };
    }

    synchronized void onEvent(ExecutionEvent event) {
        Known before = known.get(event.executionId());
        int attempt = event.attemptNumber();
        if (before != null && attempt < before.attempt()) {
            return; // a superseded run's event
        }
        boolean ended = (before != null && before.ended()) || event.terminal();
        int newest = before == null ? attempt : Math.max(before.attempt(), attempt);
        known.put(event.executionId(), new Known(newest, ended));
    }

    synchronized Optional<Known> get(String executionId) {
        return Optional.ofNullable(known.get(executionId));
    }

    synchronized int size() {
        return known.size();
    }
}
