package ai.aegis.topology.tail;

import ai.aegis.topology.kafka.KafkaSettings;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Reads whole topics, every partition from the beginning, on one thread, and hands each record to a handler that
 * folds it into an in-process view. One tail serves a whole node (all SSE subscribers, all reads); it is never
 * created per request. It keeps reading through broker outages: the Kafka client reconnects by itself.
 *
 * <p>Handlers run on the tail's thread and must not block: they update maps and offer to bounded queues.
 */
public final class TopicTail implements ViewProgress, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(TopicTail.class.getName());

    /** Receives every record of the tailed topics in partition order. */
    @FunctionalInterface
    public interface RecordHandler {
        void onRecord(ConsumerRecord<String, byte[]> record);
    }

    private final String name;
    private final List<String> topics;
    private final Supplier<Consumer<String, byte[]>> consumerFactory;
    private final RecordHandler handler;
    private final Map<TopicPartition, Long> positions = new ConcurrentHashMap<>();
    private final Object progress = new Object();
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private volatile Consumer<String, byte[]> consumer;
    private volatile boolean running = true;
    private volatile Map<TopicPartition, Long> startEnds;
    private Thread thread;

    public TopicTail(String name, KafkaSettings settings, List<String> topics, RecordHandler handler) {
        this(name, () -> new KafkaConsumer<>(settings.withClientId(settings.clientId() + "-" + name).consumer(null)),
                topics, handler);
    }

    public TopicTail(String name, Supplier<Consumer<String, byte[]>> consumerFactory, List<String> topics,
                     RecordHandler handler) {
        this.name = name;
        this.topics = List.copyOf(topics);
        this.consumerFactory = consumerFactory;
        this.handler = handler;
    }

    public TopicTail start() {
        thread = Thread.ofPlatform().name("tail-" + name).daemon().start(this::run);
        return this;
    }

    private void run() {
        consumer = consumerFactory.get();
        try {
            List<TopicPartition> partitions = discover();
            if (partitions == null) {
                return;
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            startEnds = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            checkCaughtUp();
            while (running) {
                ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(500));
                for (ConsumerRecord<String, byte[]> record : records) {
                    try {
                        handler.onRecord(record);
                    } catch (RuntimeException e) {
                        // A record the view cannot read must not stop the node's view of every other record.
                        LOG.log(System.Logger.Level.WARNING, "tail " + name + ": skipping unreadable record "
                                + record.topic() + "-" + record.partition() + "@" + record.offset() + ": " + e);
                    }
                }
                for (TopicPartition tp : partitions) {
                    positions.put(tp, consumer.position(tp, Duration.ofSeconds(5)));
                }
                synchronized (progress) {
                    progress.notifyAll();
                }
                checkCaughtUp();
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            if (running) {
                LOG.log(System.Logger.Level.ERROR, "tail " + name + " stopped: " + e, e);
            }
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    /** Waits for the topics' metadata, retrying while the cluster is unreachable. */
    private List<TopicPartition> discover() {
        while (running) {
            try {
                List<TopicPartition> out = new ArrayList<>();
                for (String topic : topics) {
                    List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
                    if (infos == null || infos.isEmpty()) {
                        throw new IllegalStateException("topic " + topic + " does not exist yet");
                    }
                    infos.forEach(i -> out.add(new TopicPartition(i.topic(), i.partition())));
                }
                return out;
            } catch (WakeupException e) {
                return null;
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "tail " + name + " waiting for Kafka: " + e.getMessage());
            }
        }
        return null;
    }

    private void checkCaughtUp() {
        Map<TopicPartition, Long> ends = startEnds;
        if (caughtUp.getCount() == 0 || ends == null) {
            return;
        }
        for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
            if (positions.getOrDefault(e.getKey(), 0L) < e.getValue()) {
                return;
            }
        }
        caughtUp.countDown();
    }

    /** True once the tail has read everything that was in the topics when it started. */
    @Override
    public boolean isCaughtUp() {
        return caughtUp.getCount() == 0;
    }

    @Override
    public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Waits until the record at {@code offset} of that partition has been handed to the handler: a node reads its
     * own writes before answering.
     */
    @Override
    public boolean awaitApplied(String topic, int partition, long offset, Duration timeout)
            throws InterruptedException {
        TopicPartition tp = new TopicPartition(topic, partition);
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (progress) {
            while (positions.getOrDefault(tp, 0L) <= offset) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return false;
                }
                progress.wait(Math.min(left, 200));
            }
        }
        return true;
    }

    @Override
    public void close() {
        running = false;
        Consumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        if (thread != null) {
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
