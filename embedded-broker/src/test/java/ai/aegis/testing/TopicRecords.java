package ai.aegis.testing;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Reads a topic the way an analyst's consumer would (every partition from the beginning, committed records only), for
 * tests that check what a component wrote: a dead letter, an event. {@link #await} reads until a condition holds,
 * {@link #all} everything up to where the topic ends now.
 */
public final class TopicRecords {

    private TopicRecords() {
    }

    /**
     * Reads {@code topic} until what was read satisfies {@code until}, or {@code timeout} passes.
     *
     * @return every record read, in partition order (partitions one after the other)
     * @throws AssertionError when {@code until} does not hold within the timeout (with what was read)
     */
    public static List<ConsumerRecord<String, byte[]>> await(String bootstrapServers, String topic,
                                                             Predicate<List<ConsumerRecord<String, byte[]>>> until,
                                                             Duration timeout) {
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        List<ConsumerRecord<String, byte[]>> read = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo p : consumer.partitionsFor(topic, timeout)) {
                partitions.add(new TopicPartition(topic, p.partition()));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (!until.test(read)) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("after " + timeout.toSeconds() + " s, " + topic + " holds " + read.size()
                            + " record(s), which is not what the test waits for");
                }
                consumer.poll(Duration.ofMillis(200)).forEach(read::add);
            }
        }
        return read;
    }

    /**
     * @param consumerConfig an assign-only consumer's configuration (no group), with the deserializers of K and V
     */
    public static <K, V> List<ConsumerRecord<K, V>> all(Map<String, Object> consumerConfig, String topic) {
        List<ConsumerRecord<K, V>> out = new ArrayList<>();
        try (KafkaConsumer<K, V> consumer = new KafkaConsumer<>(consumerConfig)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }
}
