package ai.aegis.topology.tail;

import ai.aegis.topology.health.ComponentHealth;
import ai.aegis.topology.health.HealthCheck;
import ai.aegis.topology.health.HealthState;
import ai.aegis.topology.kafka.KafkaSettings;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Reads whole topics, every partition from the beginning, on one thread, and hands each record to a handler that
 * folds it into an in-process view. One tail serves a whole node (all SSE subscribers, all reads); it is never
 * created per request.
 *
 * <p><b>Faults.</b> A record the handler throws on goes to {@link BadRecords} (a dead letter) and the tail reads on:
 * one record never stops the view of every other. Any error of the Kafka client (a timeout of {@code position} or
 * {@code endOffsets} while the cluster is away, a missing topic, an unexpected exception) closes the consumer; after a
 * growing pause (up to {@link Timing#maxBackoff()}) a new one resumes at the offsets this tail had reached, so
 * nothing is read twice or skipped. The tail says how it is doing through {@link #health()}: {@code loading} until it
 * has read what the topics held when it started, {@code up} with its lag while it reads, {@code down} while it
 * retries, when its loop has not come round for {@link Timing#stall()} (a handler or a dead letter blocked), and
 * when its thread ended on an {@link Error}, which it does not survive.
 *
 * <p>Handlers run on the tail's thread and must not block: they update maps and offer to bounded queues.
 */
public final class TopicTail implements ViewProgress, HealthCheck, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(TopicTail.class.getName());
    /** While failures go on, one in this many is logged at WARNING (the first always). */
    private static final int LOG_EVERY = 10;

    /** Receives every record of the tailed topics in partition order; throws on a record it cannot fold. */
    @FunctionalInterface
    public interface RecordHandler {
        void onRecord(ConsumerRecord<String, byte[]> record);
    }

    /**
     * The tail's clock.
     *
     * @param poll         one poll's wait for records
     * @param callTimeout  bound of every other client call (metadata, positions, end offsets); past it the consumer
     *                     is replaced
     * @param lagInterval  how often the end offsets are asked for (the lag, and whether the cluster answers)
     * @param firstBackoff pause after the first failure, doubled after each further one
     * @param maxBackoff   the longest pause
     * @param stall        a loop that has not come round for this long is reported down
     */
    public record Timing(Duration poll, Duration callTimeout, Duration lagInterval, Duration firstBackoff,
                         Duration maxBackoff, Duration stall) {

        public static final Timing DEFAULTS = new Timing(Duration.ofMillis(500), Duration.ofSeconds(5),
                Duration.ofSeconds(2), Duration.ofMillis(200), Duration.ofSeconds(5), Duration.ofSeconds(30));

        public Timing {
            for (Duration d : new Duration[] {poll, callTimeout, lagInterval, firstBackoff, maxBackoff, stall}) {
                if (d == null || d.isNegative() || d.isZero()) {
                    throw new IllegalArgumentException("tail timings must be positive");
                }
            }
        }
    }

    private enum Phase { STARTING, READING, RETRYING, STOPPED, FAILED }

    private final String name;
    private final List<String> topics;
    private final Supplier<Consumer<String, byte[]>> consumerFactory;
    private final RecordHandler handler;
    private final BadRecords badRecords;
    private final Timing timing;
    /** Per partition, the offset of the next record to hand to the handler. */
    private final Map<TopicPartition, Long> positions = new ConcurrentHashMap<>();
    private final Object progress = new Object();
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private final AtomicLong failures = new AtomicLong();
    private volatile Consumer<String, byte[]> consumer;
    private volatile boolean running = true;
    /** Where the topics ended when the tail first reached them: the target of the first catch-up. */
    private volatile Map<TopicPartition, Long> startEnds;
    private volatile Phase phase = Phase.STARTING;
    private volatile String lastError;
    private volatile long lag = -1;
    private volatile long aliveAt = System.nanoTime();
    private Thread thread;
    /** At its first start, each partition is read from this many records before its end (or its beginning). */
    private volatile long historyPerPartition = Long.MAX_VALUE;

    public TopicTail(String name, KafkaSettings settings, List<String> topics, RecordHandler handler,
                     BadRecords badRecords) {
        this(name, () -> new KafkaConsumer<>(settings.withClientId(settings.clientId() + "-" + name).consumer(null)),
                topics, handler, badRecords, Timing.DEFAULTS);
    }

    /** @param consumerFactory called again for every new consumer after a fault */
    public TopicTail(String name, Supplier<Consumer<String, byte[]>> consumerFactory, List<String> topics,
                     RecordHandler handler, BadRecords badRecords, Timing timing) {
        this.name = Objects.requireNonNull(name, "name");
        this.topics = List.copyOf(topics);
        this.consumerFactory = Objects.requireNonNull(consumerFactory, "consumerFactory");
        this.handler = Objects.requireNonNull(handler, "handler");
        this.badRecords = Objects.requireNonNull(badRecords, "badRecords");
        this.timing = Objects.requireNonNull(timing, "timing");
    }

    public String name() {
        return name;
    }

    /** How a tail named {@code tailName} is named in its dead letters and metrics: {@code ingress-tail}, ... */
    public static String consumerName(String tailName) {
        return tailName + "-tail";
    }

    /** How readiness names a tail: {@code tail.ingress}, ... */
    public static String healthName(String tailName) {
        return "tail." + tailName;
    }

    /**
     * Reads only the last {@code records} of each partition at the first start (a view that holds only the latest
     * records need not read a week of them); after a fault it resumes where it was, as always. Before {@link #start}.
     */
    public TopicTail withHistoryPerPartition(long records) {
        if (records < 0) {
            throw new IllegalArgumentException("history per partition must not be negative: " + records);
        }
        this.historyPerPartition = records;
        return this;
    }

    public TopicTail start() {
        thread = Thread.ofPlatform().name("tail-" + name).daemon().start(this::run);
        return this;
    }

    private void run() {
        long backoffMs = timing.firstBackoff().toMillis();
        try {
            while (running) {
                try {
                    readUntilClosed();
                } catch (WakeupException | InterruptException e) {
                    if (running) {
                        failed(e);
                    }
                } catch (RuntimeException e) {
                    if (running) {
                        failed(e);
                    }
                }
                closeConsumer();
                if (!running) {
                    break;
                }
                if (failures.get() <= 1) {
                    backoffMs = timing.firstBackoff().toMillis(); // it had recovered before this failure
                }
                pause(backoffMs);
                backoffMs = Math.min(backoffMs * 2, timing.maxBackoff().toMillis());
            }
            phase = Phase.STOPPED;
        } catch (Error e) {
            phase = Phase.FAILED;
            lastError = e.getClass().getSimpleName();
            LOG.log(System.Logger.Level.ERROR, "tail " + name + " stopped for good: " + e, e);
            throw e;
        } finally {
            closeConsumer();
        }
    }

    /** One consumer's life: connect, resume where the tail was, read until closed or until the client fails. */
    private void readUntilClosed() {
        Consumer<String, byte[]> c = consumerFactory.get();
        consumer = c;
        if (!running) {
            return; // close() ran before it could see this consumer
        }
        List<TopicPartition> partitions = discover(c);
        c.assign(partitions);
        // only a first start needs the ends: after a fault every partition resumes at its position
        boolean firstStart = partitions.stream().anyMatch(tp -> !positions.containsKey(tp));
        Map<TopicPartition, Long> firstEnds = historyPerPartition == Long.MAX_VALUE || !firstStart ? Map.of()
                : c.endOffsets(partitions, timing.callTimeout());
        for (TopicPartition tp : partitions) {
            Long next = positions.get(tp);
            if (next != null) {
                c.seek(tp, next);
            } else if (firstEnds.containsKey(tp) && firstEnds.get(tp) > historyPerPartition) {
                // before the beginning (retention deleted it) the consumer's reset policy starts at the earliest
                c.seek(tp, firstEnds.get(tp) - historyPerPartition);
            } else {
                c.seekToBeginning(List.of(tp));
            }
        }
        if (startEnds == null) {
            startEnds = Map.copyOf(c.endOffsets(partitions, timing.callTimeout()));
        }
        checkLag(c, partitions);
        checkCaughtUp();
        long lagCheckedAt = System.nanoTime();
        while (running) {
            ConsumerRecords<String, byte[]> records = c.poll(timing.poll());
            for (ConsumerRecord<String, byte[]> record : records) {
                if (!apply(record)) {
                    return; // closing while a dead letter was being written
                }
                positions.put(new TopicPartition(record.topic(), record.partition()), record.offset() + 1);
            }
            for (TopicPartition tp : partitions) {
                // past transaction markers too, which are offsets without a record
                positions.put(tp, c.position(tp, timing.callTimeout()));
            }
            synchronized (progress) {
                progress.notifyAll();
            }
            checkCaughtUp();
            aliveAt = System.nanoTime();
            if (aliveAt - lagCheckedAt >= timing.lagInterval().toNanos()) {
                checkLag(c, partitions);
                lagCheckedAt = System.nanoTime();
            }
        }
    }

    /** @return false when the tail is closing before the bad record was set aside */
    private boolean apply(ConsumerRecord<String, byte[]> record) {
        try {
            handler.onRecord(record);
            return true;
        } catch (RuntimeException e) {
            try {
                badRecords.onBadRecord(record, e);
                return true;
            } catch (InterruptedException closing) {
                if (running) {
                    throw new InterruptException(closing); // not closing: read the record again after a pause
                }
                return false;
            }
        }
    }

    /** The partitions of every topic; a topic that does not exist (yet) is a failure like any other. */
    private List<TopicPartition> discover(Consumer<String, byte[]> c) {
        List<TopicPartition> out = new ArrayList<>();
        for (String topic : topics) {
            List<PartitionInfo> infos = c.partitionsFor(topic, timing.callTimeout());
            if (infos == null || infos.isEmpty()) {
                throw new IllegalStateException("topic " + topic + " does not exist (yet)");
            }
            infos.forEach(i -> out.add(new TopicPartition(i.topic(), i.partition())));
        }
        return out;
    }

    /** Asks where the topics end: the lag, and proof that the cluster answers. A failure replaces the consumer. */
    private void checkLag(Consumer<String, byte[]> c, List<TopicPartition> partitions) {
        Map<TopicPartition, Long> ends = c.endOffsets(partitions, timing.callTimeout());
        long behind = 0;
        for (TopicPartition tp : partitions) {
            behind += Math.max(0, ends.getOrDefault(tp, 0L) - positions.getOrDefault(tp, 0L));
        }
        lag = behind;
        aliveAt = System.nanoTime();
        if (phase == Phase.RETRYING) {
            LOG.log(System.Logger.Level.INFO, "tail " + name + " reads again after " + failures.get()
                    + " failed attempt(s)");
        }
        phase = Phase.READING;
        lastError = null;
        failures.set(0);
    }

    private void failed(RuntimeException e) {
        phase = Phase.RETRYING;
        lastError = e.getClass().getSimpleName();
        long n = failures.incrementAndGet();
        if (n == 1 || n % LOG_EVERY == 0) {
            LOG.log(System.Logger.Level.WARNING, "tail " + name + " lost its consumer (attempt " + n
                    + "), retrying and resuming where it was: " + e);
        }
    }

    private void pause(long millis) {
        try {
            Thread.sleep(millis); // a retry backoff, not synchronisation
        } catch (InterruptedException e) {
            // close() cuts the pause short; the loop then sees that it is closing
        }
    }

    private void closeConsumer() {
        Consumer<String, byte[]> c = consumer;
        consumer = null;
        if (c != null) {
            Thread.interrupted(); // a consumer closed on an interrupted thread gives up at once and leaks
            try {
                c.close(Duration.ofSeconds(2));
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "tail " + name + ": closing its consumer: " + e);
            }
        }
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

    /**
     * How the tail is doing, from what it already knows: {@code state} ({@code up}, {@code loading} or {@code down}),
     * {@code lag} (records behind the end of its topics at the last check; -1 before the first), {@code caught_up},
     * and while down {@code error} (the class of the last failure, {@code stalled}, {@code stopped}).
     */
    @Override
    public ComponentHealth health() {
        Phase now = phase;
        HealthState state;
        String error = null;
        switch (now) {
            case STARTING -> state = HealthState.LOADING;
            case READING -> {
                if (System.nanoTime() - aliveAt > timing.stall().toNanos()) {
                    state = HealthState.DOWN;
                    error = "stalled";
                } else {
                    state = isCaughtUp() ? HealthState.UP : HealthState.LOADING;
                }
            }
            case RETRYING, FAILED -> {
                state = HealthState.DOWN;
                error = lastError;
            }
            default -> {
                state = HealthState.DOWN;
                error = "stopped";
            }
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("lag", lag);
        details.put("caught_up", isCaughtUp());
        if (error != null) {
            details.put("error", error);
        }
        return new ComponentHealth(state, details);
    }

    /** Records behind the end of the topics at the last check; -1 before the first. */
    public long lag() {
        return lag;
    }

    @Override
    public void close() {
        running = false;
        Consumer<String, byte[]> c = consumer;
        if (c != null) {
            try {
                c.wakeup();
            } catch (RuntimeException e) {
                // the tail thread is closing it at the same moment
            }
        }
        if (thread != null) {
            thread.interrupt(); // a backoff pause, or a dead letter waiting for Kafka
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
