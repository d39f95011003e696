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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the events topic itself holds, read from the beginning to its current end (read_committed, as every
 * consumer of it must): the truth the end-to-end and fault tests check the system against, not a node's view.
 */
final class ExecutionEventLog {

    private ExecutionEventLog() {
    }

    /** The events of each of {@code ids}, in topic order; an execution without any is absent. */
    static Map<String, List<ExecutionEvent>> read(KafkaSettings kafka, Collection<String> ids) {
        Set<String> wanted = new HashSet<>(ids);
        Map<String, List<ExecutionEvent>> out = new HashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(kafka.consumer(null))) {
            String topic = kafka.topics().executionEvents().name();
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    ExecutionEvent e = Json.read(r.value(), ExecutionEvent.class);
                    if (wanted.contains(e.executionId())) {
                        out.computeIfAbsent(e.executionId(), k -> new ArrayList<>()).add(e);
                    }
                }
            }
        }
        return out;
    }

    /** The terminal events' types of each of {@code ids} (an empty list when it has none). */
    static Map<String, List<String>> terminals(KafkaSettings kafka, Collection<String> ids) {
        Map<String, List<ExecutionEvent>> events = read(kafka, ids);
        Map<String, List<String>> out = new HashMap<>();
        for (String id : ids) {
            out.put(id, events.getOrDefault(id, List.of()).stream().filter(ExecutionEvent::terminal)
                    .map(ExecutionEvent::type).toList());
        }
        return out;
    }
}
