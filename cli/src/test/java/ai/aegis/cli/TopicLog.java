package ai.aegis.cli;

import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.json.Json;
import ai.aegis.topology.kafka.KafkaSettings;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * What a topic itself holds, read from the beginning to its current end (read_committed, as every consumer of it
 * must): the truth the end-to-end and fault tests check the system against, not a node's view.
 */
final class TopicLog {

    private TopicLog() {
    }

    /** The values of {@code topic} whose key {@code keys} accepts, by key, in topic order (tombstones left out). */
    static <T> Map<String, List<T>> read(KafkaSettings kafka, String topic, Class<T> type, Predicate<String> keys) {
        Map<String, List<T>> out = new HashMap<>();
        for (Map.Entry<String, byte[]> r : records(kafka, topic)) {
            if (r.getKey() != null && r.getValue() != null && keys.test(r.getKey())) {
                out.computeIfAbsent(r.getKey(), k -> new ArrayList<>()).add(Json.read(r.getValue(), type));
            }
        }
        return out;
    }

    /** Every record of {@code topic} up to its end now, as key and value (null for a tombstone), in order. */
    static List<Map.Entry<String, byte[]>> records(KafkaSettings kafka, String topic) {
        List<Map.Entry<String, byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(kafka.consumer(null))) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    out.add(new java.util.AbstractMap.SimpleEntry<>(r.key(), r.value()));
                }
            }
        }
        return out;
    }

    /** The events of each of {@code ids} (keyed by execution id), in order; an execution without any is absent. */
    static Map<String, List<ExecutionEvent>> executionEvents(KafkaSettings kafka, Collection<String> ids) {
        return read(kafka, kafka.topics().executionEvents().name(), ExecutionEvent.class,
                new java.util.HashSet<>(ids)::contains);
    }

    /**
     * The terminal events' types of each of {@code ids} (an empty list when it has none) in its {@link #history}: a
     * terminal event of a superseded attempt, which every reader ignores, does not count.
     */
    static Map<String, List<String>> executionTerminals(KafkaSettings kafka, Collection<String> ids) {
        Map<String, List<ExecutionEvent>> events = executionEvents(kafka, ids);
        Map<String, List<String>> out = new HashMap<>();
        for (String id : ids) {
            out.put(id, history(events.getOrDefault(id, List.of())).stream().filter(ExecutionEvent::terminal)
                    .map(ExecutionEvent::type).toList());
        }
        return out;
    }

    /**
     * An execution's events as every reader of the topic takes them (the API's views, the workers' ledgers): an
     * event of an attempt older than one already seen is of a superseded run and ignored, and nothing after the first
     * terminal event counts. So at most one terminal event is in it, whatever a zombie worker wrote.
     */
    static List<ExecutionEvent> history(List<ExecutionEvent> onTopic) {
        List<ExecutionEvent> out = new ArrayList<>();
        int newest = 0;
        for (ExecutionEvent e : onTopic) {
            if (e.attemptNumber() < newest) {
                continue;
            }
            newest = e.attemptNumber();
            out.add(e);
            if (e.terminal()) {
                break;
            }
        }
        return out;
    }
}
