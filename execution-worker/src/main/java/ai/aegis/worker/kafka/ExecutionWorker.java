package ai.aegis.worker.kafka;

import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.schemas.json.Json;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.worker.execution.EventSink;
import ai.aegis.worker.execution.ExecutionControl;
import ai.aegis.worker.execution.ExecutionControls;
import ai.aegis.worker.execution.ExecutionRunner;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A member of the workers' consumer group.
 *
 * <ul>
 * <li>The poll thread never blocks on an execution: each runs on its own virtual thread, at most
 * {@code concurrency} at once; at the limit the worker pauses its partitions and keeps polling, so the group never
 * evicts it however long executions take.</li>
 * <li>Offsets are committed only for finished executions (see {@link OffsetTracker}): a crash loses nothing, the
 * requests of its unfinished executions are delivered again.</li>
 * <li>One live run per execution: the partition owner runs the request. Rebalances are cooperative, so only moved
 * partitions are revoked; before a partition is handed over, its running executions are abandoned here (sandbox
 * killed, no terminal event) so that the next owner's run is the only one. A worker that dies stops heartbeating;
 * after the session timeout its partitions move and their unfinished requests run again.</li>
 * </ul>
 */
public final class ExecutionWorker implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ExecutionWorker.class.getName());
    /** How long a revoke waits for abandoned executions to stop before handing their partitions over anyway. */
    private static final long ABANDON_WAIT_MS = 15_000;

    private record Done(TopicPartition tp, long offset) {
    }

    private final Consumer<String, byte[]> consumer;
    private final String topic;
    private final int concurrency;
    private final ExecutionRunner runner;
    private final EventSink events;
    private final ExecutionControls controls;
    private final ExecutorService executions = Executors.newVirtualThreadPerTaskExecutor();
    private final ConcurrentLinkedQueue<Done> done = new ConcurrentLinkedQueue<>();
    private final Map<TopicPartition, Set<ExecutionControl>> byPartition = new ConcurrentHashMap<>();
    private final OffsetTracker offsets = new OffsetTracker();
    private volatile boolean running = true;
    private volatile boolean accepting = true;
    private volatile int active;
    private Thread pollThread;

    /**
     * @param failoverTimeout how long the group waits for a silent worker before its partitions (and unfinished
     *                        executions) move to the others: the consumer session timeout
     */
    public ExecutionWorker(KafkaSettings kafka, String groupId, int concurrency, Duration failoverTimeout,
                           ExecutionRunner runner, EventSink events, ExecutionControls controls) {
        Map<String, Object> props = kafka.consumer(groupId);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, concurrency);
        props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) failoverTimeout.toMillis());
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG,
                (int) Math.max(500, Math.min(3000, failoverTimeout.toMillis() / 4)));
        this.consumer = new KafkaConsumer<>(props);
        this.topic = kafka.topics().executionRequests().name();
        this.concurrency = concurrency;
        this.runner = runner;
        this.events = events;
        this.controls = controls;
    }

    public ExecutionWorker start() {
        pollThread = Thread.ofPlatform().name("execution-worker-poll").start(this::pollLoop);
        return this;
    }

    /** Executions running on this worker now. */
    public int active() {
        return active;
    }

    /** True while the poll loop runs: false before {@link #start()}, after {@link #close()} or if it died. */
    public boolean running() {
        Thread t = pollThread;
        return t != null && t.isAlive();
    }

    private void pollLoop() {
        try {
            consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    handOver(partitions, "its partition moved to another worker");
                    commitFinished();
                    offsets.revoked(partitions);
                }

                @Override
                public void onPartitionsLost(Collection<TopicPartition> partitions) {
                    handOver(partitions, "this worker lost its group membership");
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
                Set<TopicPartition> deferred = new HashSet<>();
                for (ConsumerRecord<String, byte[]> record : records) {
                    TopicPartition tp = new TopicPartition(record.topic(), record.partition());
                    if (deferred.contains(tp)) {
                        continue;
                    }
                    if (!accepting || active >= concurrency) {
                        // no free slot (or closing): fetch this record again once one frees, nothing is skipped
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
            if (running) {
                LOG.log(System.Logger.Level.ERROR, "execution worker stopped: " + e, e);
            }
        } finally {
            try {
                commitFinished();
            } catch (RuntimeException ignored) {
                // best effort on the way out
            }
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** Abandons the executions of partitions this worker is giving up, and waits until they stopped. */
    private void handOver(Collection<TopicPartition> partitions, String why) {
        java.util.List<ExecutionControl> stopping = new java.util.ArrayList<>();
        for (TopicPartition tp : partitions) {
            Set<ExecutionControl> set = byPartition.remove(tp);
            if (set != null) {
                for (ExecutionControl c : set) {
                    if (c.abandon(why)) {
                        stopping.add(c);
                    }
                }
            }
        }
        long deadline = System.currentTimeMillis() + ABANDON_WAIT_MS;
        for (ExecutionControl c : stopping) {
            try {
                if (!c.awaitFinished(Math.max(1, deadline - System.currentTimeMillis()))) {
                    LOG.log(System.Logger.Level.WARNING, "execution " + c.executionId() + " did not stop within "
                            + ABANDON_WAIT_MS + " ms of being handed over");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (!stopping.isEmpty()) {
            LOG.log(System.Logger.Level.INFO, "handed over " + stopping.size() + " running execution(s): " + why);
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
        ExecutionControl control = controls.register(request.executionId()).orElse(null);
        if (control == null) {
            // delivered again while it still runs here: the running one is the only run
            offsets.finished(tp, record.offset());
            return;
        }
        byPartition.computeIfAbsent(tp, k -> ConcurrentHashMap.newKeySet()).add(control);
        active++;
        executions.submit(() -> {
            control.bind(Thread.currentThread());
            boolean ended = false;
            try {
                runner.run(request, events, control);
                ended = control.stop() != ExecutionControl.Stop.ABANDON;
            } catch (InterruptedException e) {
                // abandoned or closing: the offset stays uncommitted and the request runs again elsewhere
            } catch (Throwable t) {
                LOG.log(System.Logger.Level.ERROR, "execution " + request.executionId() + " failed in the worker", t);
                try {
                    Thread.interrupted();
                    events.emitDurably(new ExecutionEvent.ExecutionFailed(request.executionId(),
                            "internal worker error: " + t.getClass().getSimpleName(), 0, Json.now()));
                    ended = true;
                } catch (Exception e) {
                    LOG.log(System.Logger.Level.ERROR, "could not record the failure of " + request.executionId()
                            + "; it will be redelivered", e);
                }
            } finally {
                Set<ExecutionControl> set = byPartition.get(tp);
                if (set != null) {
                    set.remove(control);
                }
                controls.unregister(control);
                // always free the slot; commit only what really ended
                done.add(new Done(tp, ended ? record.offset() : -1));
                consumer.wakeup();
            }
        });
    }

    private void commitFinished() {
        Done d;
        while ((d = done.poll()) != null) {
            if (d.offset() >= 0) {
                offsets.finished(d.tp(), d.offset());
            }
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

    /** Graceful stop: running executions are abandoned (run again elsewhere), finished ones committed. */
    @Override
    public void close() {
        accepting = false;
        for (ExecutionControl c : controls.running()) {
            c.abandon("the worker is shutting down");
        }
        executions.shutdown();
        try {
            if (!executions.awaitTermination(ABANDON_WAIT_MS, TimeUnit.MILLISECONDS)) {
                executions.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stopPolling();
    }

    private void stopPolling() {
        running = false;
        consumer.wakeup();
        if (pollThread != null) {
            try {
                pollThread.join(20_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
