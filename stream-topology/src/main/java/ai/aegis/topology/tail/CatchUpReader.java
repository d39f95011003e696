package ai.aegis.topology.tail;

import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.topology.readmodel.EventHistory;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Reads events back from their topic for the streams of a node whose views no longer hold them in memory: a fixed
 * pool of assign-only consumers (no group) serving a bounded queue of page requests, shared by every stream of the
 * node. Never a consumer per stream or per connection: a stream that needs old events queues a request for one page
 * (one key's records in an offset range of one partition, at most {@link #MAX_PAGE_RECORDS} records or
 * {@link #MAX_PAGE_BYTES} of them), writes it to its client, and queues the next. A slow client therefore holds no
 * reader, and readers are shared in the order streams ask. When every reader is busy and the queue is full, or a
 * page is not read within the timeout (Kafka away), the stream is told {@link EventHistory.Unavailable} at once
 * instead of waiting without bound.
 */
public final class CatchUpReader implements EventHistory, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(CatchUpReader.class.getName());
    /** A page holds at most this many records of the key, and about this many bytes. */
    static final int MAX_PAGE_RECORDS = 256;
    static final long MAX_PAGE_BYTES = 256 * 1024;
    /** Records of other keys a page may pass over before it returns (so that one request cannot hold a reader long). */
    static final int MAX_PAGE_SCAN = 20_000;
    private static final Duration POLL = Duration.ofMillis(200);

    private record Request(String topic, int partition, long from, long to, String key, long deadlineNanos,
                           CompletableFuture<Page> result) {
    }

    private final String name;
    private final Supplier<Consumer<String, byte[]>> consumers;
    private final Duration timeout;
    private final BlockingQueue<Request> queue;
    private final List<Thread> threads = new ArrayList<>();
    private final List<Consumer<String, byte[]>> open = new CopyOnWriteArrayList<>();
    private final LongAdder pages = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private volatile boolean running = true;

    /**
     * @param readers       consumers (and threads) of this node that read history back
     * @param queueCapacity page requests that may wait for a reader; past it a request is refused at once
     * @param timeout       how long a request may take, waiting included
     */
    public CatchUpReader(String name, KafkaSettings settings, int readers, int queueCapacity, Duration timeout) {
        this(name, () -> new KafkaConsumer<>(consumerSettings(settings, name)), readers, queueCapacity, timeout);
    }

    public CatchUpReader(String name, Supplier<Consumer<String, byte[]>> consumers, int readers, int queueCapacity,
                         Duration timeout) {
        if (readers < 1 || queueCapacity < 1) {
            throw new IllegalArgumentException("a catch-up reader needs at least one reader and one queue place");
        }
        this.name = name;
        this.consumers = consumers;
        this.timeout = timeout;
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        for (int i = 0; i < readers; i++) {
            threads.add(Thread.ofPlatform().name("catch-up-" + name + "-" + i).daemon().unstarted(this::serve));
        }
    }

    /** Small fetches: a reader holds about one page of records, not the consumer's default 50 MiB. */
    private static Map<String, Object> consumerSettings(KafkaSettings settings, String name) {
        Map<String, Object> c = settings.withClientId(settings.clientId() + "-catch-up-" + name).consumer(null);
        c.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, (int) (4 * MAX_PAGE_BYTES));
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, (int) (4 * MAX_PAGE_BYTES));
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1000);
        return c;
    }

    public CatchUpReader start() {
        threads.forEach(Thread::start);
        return this;
    }

    @Override
    public Page read(String topic, int partition, long fromOffset, long toOffset, String key)
            throws Unavailable, InterruptedException {
        if (fromOffset > toOffset) {
            return new Page(List.of(), fromOffset);
        }
        if (!running) {
            throw new Unavailable("the catch-up reader is closed");
        }
        Request request = new Request(topic, partition, fromOffset, toOffset, key,
                System.nanoTime() + timeout.toNanos(), new CompletableFuture<>());
        if (!queue.offer(request)) {
            refused.increment();
            throw new Unavailable("every catch-up reader of this node is busy");
        }
        try {
            return request.result().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            refused.increment();
            throw new Unavailable("reading " + topic + "-" + partition + " back took longer than "
                    + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            refused.increment();
            throw e.getCause() instanceof Unavailable u ? u
                    : new Unavailable("reading " + topic + "-" + partition + " back failed: " + e.getCause(),
                    e.getCause());
        } finally {
            request.result().cancel(false); // a reader that has not started it skips it
        }
    }

    /** Pages read since the start. */
    public long pagesRead() {
        return pages.sum();
    }

    /** Requests that were refused or timed out since the start. */
    public long requestsRefused() {
        return refused.sum();
    }

    private void serve() {
        Consumer<String, byte[]> consumer;
        try {
            consumer = consumers.get();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "catch-up reader " + name + " could not create its consumer: " + e, e);
            return;
        }
        open.add(consumer);
        try {
            while (running) {
                Request request = queue.poll(POLL.toMillis(), TimeUnit.MILLISECONDS);
                if (request == null || request.result().isDone()) {
                    continue;
                }
                try {
                    Page page = readPage(consumer, request);
                    pages.increment(); // counted before the caller can see it
                    request.result().complete(page);
                } catch (WakeupException | InterruptException e) {
                    request.result().completeExceptionally(new Unavailable("the catch-up reader is closing"));
                } catch (Unavailable | RuntimeException e) {
                    // a failed request fails alone; the reader goes on with the next
                    request.result().completeExceptionally(e);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            open.remove(consumer);
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private static Page readPage(Consumer<String, byte[]> consumer, Request r) throws Unavailable {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        consumer.assign(List.of(tp));
        consumer.seek(tp, r.from());
        List<Found> found = new ArrayList<>();
        long bytes = 0;
        int scanned = 0;
        long next = r.from();
        while (next <= r.to() && found.size() < MAX_PAGE_RECORDS && bytes < MAX_PAGE_BYTES
                && scanned < MAX_PAGE_SCAN) {
            if (System.nanoTime() > r.deadlineNanos()) {
                if (next > r.from()) {
                    break; // what was read so far is a page: the stream asks for the rest
                }
                throw new Unavailable("no record of " + tp + " from offset " + r.from() + " could be read in time");
            }
            List<ConsumerRecord<String, byte[]>> records = consumer.poll(POLL).records(tp);
            for (ConsumerRecord<String, byte[]> record : records) {
                if (record.offset() < next) {
                    continue;
                }
                if (record.offset() > r.to()) {
                    next = r.to() + 1;
                    break;
                }
                next = record.offset() + 1;
                scanned++;
                if (r.key().equals(record.key()) && record.value() != null) {
                    found.add(new Found(record.offset(), record.value()));
                    bytes += record.value().length;
                    if (found.size() >= MAX_PAGE_RECORDS || bytes >= MAX_PAGE_BYTES || scanned >= MAX_PAGE_SCAN) {
                        break;
                    }
                }
            }
            if (records.isEmpty()) {
                // past transaction markers, aborted records, or records removed by retention
                next = Math.max(next, consumer.position(tp, POLL));
            }
        }
        return new Page(found, next);
    }

    @Override
    public void close() {
        running = false;
        open.forEach(Consumer::wakeup);
        for (Thread t : threads) {
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        Request left;
        while ((left = queue.poll()) != null) {
            left.result().completeExceptionally(new Unavailable("the catch-up reader is closed"));
        }
    }
}
