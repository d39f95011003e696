package ai.aegis.worker.kafka;

import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.CloudEventHeaders;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.topology.tail.TopicTail;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The worker's view of the events topic, as far as deciding about a request needs it: the newest run attempt of
 * each recent execution and whether it has ended ({@link AttemptLedger}, bounded). One tail per worker reads the
 * whole topic; only the records whose {@code ce_type} says they start or end a run are parsed. Before a decision
 * the view is brought up to the topic's current end, so that an end written a moment ago (by this worker before
 * a crash, or by another) is seen.
 */
final class ExecutionLedger implements AutoCloseable {

    /** The events that move the ledger: every run starts with {@code execution_started} or ends at once. */
    private static final Set<String> COUNTED = Set.of("execution_started", "execution_completed", "execution_failed",
            "execution_cancelled", "execution_timed_out");

    /** The view could not be brought up to the topic's end in time (Kafka slow or away). */
    static final class BehindException extends Exception {
        BehindException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static final System.Logger LOG = System.getLogger(ExecutionLedger.class.getName());

    private final String topic;
    private final Admin admin;
    private final AttemptLedger ledger;
    private final TopicTail tail;
    private final Set<String> countedTypes;
    private volatile List<TopicPartition> partitions;

    ExecutionLedger(KafkaSettings kafka, Admin admin, int capacity) {
        this.topic = kafka.topics().executionEvents().name();
        this.admin = admin;
        this.ledger = new AttemptLedger(capacity);
        this.countedTypes = Set.copyOf(COUNTED.stream().map(t -> CloudEventHeaders.type("execution", t)).toList());
        // The ingress's tail dead-letters an unreadable event once; every worker dead-lettering it again would only
        // multiply the copies. An event the ledger cannot read starts and ends no run it could count.
        this.tail = new TopicTail("worker-ledger", kafka, List.of(topic), this::onRecord,
                (record, error) -> LOG.log(System.Logger.Level.WARNING, "worker ledger: skipping an unreadable event at "
                        + record.topic() + "-" + record.partition() + "@" + record.offset() + ": " + error));
    }

    ExecutionLedger start() {
        tail.start();
        return this;
    }

    private void onRecord(ConsumerRecord<String, byte[]> record) {
        if (record.value() == null) {
            return;
        }
        Optional<String> type = CloudEventHeaders.get(record.headers(), CloudEventHeaders.TYPE);
        if (type.isPresent() && !countedTypes.contains(type.get())) {
            return; // output, tool calls, iterations: they never start or end a run
        }
        ledger.onEvent(Json.read(record.value(), ExecutionEvent.class));
    }

    /**
     * What the topic says of the execution, once this view has read everything written to the topic before the
     * call.
     *
     * @throws BehindException when the view could not be brought up to date within {@code wait}
     */
    Optional<AttemptLedger.Known> current(String executionId, Duration wait)
            throws BehindException, InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        Map<TopicPartition, Long> ends;
        try {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            partitions(wait).forEach(tp -> latest.put(tp, OffsetSpec.latest()));
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> infos = admin.listOffsets(latest,
                    new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all()
                    .get(Math.max(1, remainingMs(deadline)), TimeUnit.MILLISECONDS);
            ends = new HashMap<>();
            infos.forEach((tp, info) -> ends.put(tp, info.offset()));
        } catch (ExecutionException | TimeoutException e) {
            throw new BehindException("cannot read where the events topic ends: " + e, e);
        }
        for (Map.Entry<TopicPartition, Long> end : ends.entrySet()) {
            if (end.getValue() > 0 && !tail.awaitApplied(topic, end.getKey().partition(), end.getValue() - 1,
                    Duration.ofMillis(Math.max(1, remainingMs(deadline))))) {
                throw new BehindException("the worker's view of " + end.getKey() + " has not reached offset "
                        + end.getValue() + " within " + wait.toMillis() + " ms", null);
            }
        }
        return ledger.get(executionId);
    }

    /** The topic's partitions, asked once: the catalogue never shrinks a topic. */
    private List<TopicPartition> partitions(Duration wait)
            throws ExecutionException, TimeoutException, InterruptedException {
        List<TopicPartition> known = partitions;
        if (known == null) {
            known = admin.describeTopics(List.of(topic)).allTopicNames().get(wait.toMillis(), TimeUnit.MILLISECONDS)
                    .get(topic).partitions().stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            partitions = known;
        }
        return known;
    }

    /** Whether an attempt newer than {@code attempt} of the execution has written an event, as far as read now. */
    boolean newerAttemptThan(String executionId, int attempt) {
        return ledger.get(executionId).map(k -> k.attempt() > attempt).orElse(false);
    }

    private static long remainingMs(long deadline) {
        return TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
    }

    @Override
    public void close() {
        tail.close();
    }
}
