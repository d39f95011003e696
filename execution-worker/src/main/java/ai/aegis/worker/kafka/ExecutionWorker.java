package ai.aegis.worker.kafka;

import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.schemas.json.Json;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.worker.execution.EventSink;
import ai.aegis.worker.execution.ExecutionRunner;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A member of the workers' consumer group. The poll thread never blocks on an execution: each runs on its own
 * virtual thread, at most {@code concurrency} at once; at the limit the worker pauses its partitions and keeps
 * polling (so the group never evicts it) until a slot frees. Offsets are committed only for finished executions.
 */
public final class ExecutionWorker implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ExecutionWorker.class.getName());

    private record Done(TopicPartition tp, long offset) {
    }

    private final Consumer<String, byte[]> consumer;
    private final String topic;
    private final int concurrency;
    private final ExecutionRunner runner;
    private final EventSink events;
    private final ExecutorService executions = Executors.newVirtualThreadPerTaskExecutor();
    private final ConcurrentLinkedQueue<Done> done = new ConcurrentLinkedQueue<>();
    private final OffsetTracker offsets = new OffsetTracker();
    private volatile boolean running = true;
    private volatile int active;
    private Thread pollThread;

    public ExecutionWorker(KafkaSettings kafka, String groupId, int concurrency, ExecutionRunner runner,
                           EventSink events) {
        Map<String, Object> props = kafka.consumer(groupId);
        props.put("max.poll.records", concurrency);
        this.consumer = new KafkaConsumer<>(props);
        this.topic = kafka.topics().executionRequests().name();
        this.concurrency = concurrency;
        this.runner = runner;
        this.events = events;
    }

    public ExecutionWorker start() {
        pollThread = Thread.ofPlatform().name("execution-worker-poll").start(this::pollLoop);
        return this;
    }

    /** Executions running on this worker now. */
    public int active() {
        return active;
    }

    private void pollLoop() {
        try {
            consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    commitFinished();
                    offsets.revoked(partitions);
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    if (active >= concurrency) {
                        consumer.pause(partitions);
                    }
                }
            });
            while (running) {
                ConsumerRecords<String, byte[]> records;
                try {
                    records = consumer.poll(Duration.ofMillis(200));
                } catch (WakeupException e) {
                    // a finished execution woke us to free its slot (or close() did)
                    records = ConsumerRecords.empty();
                }
                commitFinished();
                java.util.Set<TopicPartition> deferred = new java.util.HashSet<>();
                for (ConsumerRecord<String, byte[]> record : records) {
                    TopicPartition tp = new TopicPartition(record.topic(), record.partition());
                    if (deferred.contains(tp)) {
                        continue;
                    }
                    if (active >= concurrency) {
                        // no free slot: fetch this record again once one frees, nothing is skipped
                        consumer.seek(tp, record.offset());
                        deferred.add(tp);
                        continue;
                    }
                    launch(record);
                }
                if (active >= concurrency) {
                    consumer.pause(consumer.assignment());
                } else if (!consumer.paused().isEmpty()) {
                    consumer.resume(consumer.paused());
                }
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "execution worker stopped: " + e, e);
        } finally {
            try {
                commitFinished();
            } catch (RuntimeException ignored) {
                // best effort on the way out
            }
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void launch(ConsumerRecord<String, byte[]> record) {
        TopicPartition tp = new TopicPartition(record.topic(), record.partition());
        offsets.started(tp, record.offset());
        ExecutionRequest request;
        try {
            request = Json.read(record.value(), ExecutionRequest.class);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "skipping unreadable execution request at " + tp + "@" + record.offset()
                    + ": " + e.getMessage());
            offsets.finished(tp, record.offset());
            return;
        }
        active++;
        executions.submit(() -> {
            boolean ended = false;
            try {
                runner.run(request, events);
                ended = true;
            } catch (InterruptedException e) {
                // the worker is closing: the offset stays uncommitted and another worker runs the request again
            } catch (Throwable t) {
                LOG.log(System.Logger.Level.ERROR, "execution " + request.executionId() + " failed in the worker", t);
                try {
                    events.emitDurably(new ExecutionEvent.ExecutionFailed(request.executionId(),
                            "internal worker error: " + t.getClass().getSimpleName(), 0, Json.now()));
                    ended = true;
                } catch (Exception e) {
                    LOG.log(System.Logger.Level.ERROR, "could not record the failure of " + request.executionId()
                            + "; it will be redelivered", e);
                }
            } finally {
                if (ended) {
                    done.add(new Done(tp, record.offset()));
                    consumer.wakeup();
                }
            }
        });
    }

    private void commitFinished() {
        Done d;
        while ((d = done.poll()) != null) {
            offsets.finished(d.tp(), d.offset());
            active--;
        }
        Map<TopicPartition, OffsetAndMetadata> commit = offsets.committable();
        if (!commit.isEmpty()) {
            consumer.commitAsync(commit, (o, e) -> {
                if (e != null) {
                    LOG.log(System.Logger.Level.WARNING, "offset commit failed (the records will be redelivered): "
                            + e.getMessage());
                }
            });
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        if (pollThread != null) {
            try {
                pollThread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        executions.shutdownNow();
        try {
            executions.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
