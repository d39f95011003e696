package ai.aegis.cli.bench;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A plain {@link KafkaConsumer} (default fetch settings, no group: every partition assigned, from the end) on the
 * execution events topic, noting when each record arrived here. It is the yardstick for the SSE path: the same
 * records, the same host clock, no API in between. A record is known by its value, which the ingress sends
 * unchanged as the frame's {@code data:}.
 */
final class EventsTap implements AutoCloseable {

    /** One record as the tap saw it: its CreateTime and when {@code poll} returned it (µs since the epoch). */
    record Seen(long timestampMs, long arrivedMicros) {
    }

    private final KafkaConsumer<String, String> consumer;
    private final Map<String, Seen> seen = new ConcurrentHashMap<>();
    private final Thread thread;
    private final CountDownLatch positioned = new CountDownLatch(1);
    private volatile TimestampType timestampType;

    EventsTap(String bootstrapServers, String topic) throws InterruptedException {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "bench-events-tap");
        consumer = new KafkaConsumer<>(p);
        List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                .map(i -> new TopicPartition(topic, i.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        thread = Thread.ofPlatform().daemon().name("bench-events-tap").start(() -> poll(partitions));
        if (!positioned.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the events tap did not find the end of " + topic + " within 30 s");
        }
    }

    private void poll(List<TopicPartition> partitions) {
        try {
            partitions.forEach(consumer::position); // resolves the seek now, so that nothing written later is missed
            positioned.countDown();
            while (true) {
                var records = consumer.poll(Duration.ofSeconds(1));
                long micros = nowMicros();
                for (ConsumerRecord<String, String> r : records) {
                    timestampType = r.timestampType();
                    if (r.value() != null) {
                        seen.put(r.value(), new Seen(r.timestamp(), micros));
                    }
                }
            }
        } catch (WakeupException closing) {
            // close() asked the loop to stop
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** The record whose value is {@code value}, waiting up to {@code wait} for the tap to see it. */
    Optional<Seen> await(String value, Duration wait) throws InterruptedException {
        long until = System.nanoTime() + wait.toNanos();
        while (true) {
            Seen s = seen.get(value);
            if (s != null || System.nanoTime() >= until) {
                return Optional.ofNullable(s);
            }
            Thread.sleep(10); // polling a map another thread fills; the tap is normally ahead of the SSE reader
        }
    }

    /** Wall-clock time in µs since the epoch (the records' timestamps are on the same clock, in ms). */
    static long nowMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
    }

    /** Forgets what was seen: the tap holds one repetition's records at most. */
    void clear() {
        seen.clear();
    }

    /** CreateTime or LogAppendTime, as the records said; null before the first. */
    TimestampType timestampType() {
        return timestampType;
    }

    @Override
    public void close() throws InterruptedException {
        consumer.wakeup();
        thread.join(10_000);
    }
}
