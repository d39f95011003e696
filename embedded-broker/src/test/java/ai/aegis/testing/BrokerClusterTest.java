package ai.aegis.testing;

import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The cluster of the fault suite does what its faults promise: a killed broker is gone (its partitions move once
 * the controller fenced it), a stopped one too, a paused one is fenced and comes back, and {@code heal} gives a
 * whole cluster again with the same addresses.
 */
@Tag("fault")
class BrokerClusterTest {

    private static final Duration FENCE_WITHIN = Duration.ofSeconds(60);

    @Test
    void writesSurviveAKilledBrokerAndAreRefusedWithTwoOfThreeDownUntilTheyReturn() throws Exception {
        BrokerCluster cluster = SharedTestCluster.get();
        String topic = "cluster-" + UUID.randomUUID();
        cluster.admin().createTopics(List.of(new NewTopic(topic, 1, (short) 3)
                .configs(Map.of("min.insync.replicas", "2")))).all().get(30, TimeUnit.SECONDS);
        cluster.awaitInSync(Duration.ofSeconds(60));
        List<String> acknowledged = new ArrayList<>();
        try (KafkaProducer<String, String> producer = producer(cluster)) {
            send(producer, topic, "before", acknowledged);

            int leader = cluster.leaderOf(topic, 0);
            cluster.kill(leader);
            assertThat(cluster.isRunning(leader)).isFalse();
            cluster.awaitFenced(leader, FENCE_WITHIN);
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> send(producer, topic, "one down", acknowledged));
            assertThat(cluster.leaderOf(topic, 0)).isNotEqualTo(leader).isPositive();

            int second = cluster.brokerIds().stream().filter(cluster::isRunning).findFirst().orElseThrow();
            cluster.stop(second);
            assertThatThrownBy(() -> send(producer, topic, "two down", acknowledged))
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOfAny(NotEnoughReplicasException.class, TimeoutException.class);

            cluster.heal(Duration.ofSeconds(180));
            assertThat(cluster.brokerIds()).allMatch(cluster::isRunning);
            assertThat(cluster.outOfSync()).isEmpty();
            send(producer, topic, "healed", acknowledged);
        }
        assertThat(readAll(cluster, topic)).containsAll(acknowledged).contains("before", "one down", "healed");
    }

    @Test
    void aPausedBrokerIsFencedAndServesAgainOnceResumed() {
        BrokerCluster cluster = SharedTestCluster.get();
        int broker = cluster.brokerIds().getLast();
        cluster.pause(broker);
        try {
            cluster.awaitFenced(broker, FENCE_WITHIN);
        } finally {
            cluster.resume(broker);
        }
        cluster.awaitUnfenced(Duration.ofSeconds(60));
    }

    private static boolean send(KafkaProducer<String, String> producer, String topic, String value,
                                List<String> acknowledged) throws Exception {
        producer.send(new ProducerRecord<>(topic, value, value)).get(30, TimeUnit.SECONDS);
        acknowledged.add(value);
        return true;
    }

    private static KafkaProducer<String, String> producer(BrokerCluster cluster) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 3_000, ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 5_000,
                ProducerConfig.LINGER_MS_CONFIG, 0), new StringSerializer(), new StringSerializer());
    }

    private static List<String> readAll(BrokerCluster cluster, String topic) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new StringDeserializer(), new StringDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(r.value());
                }
                return consumer.position(tp) >= end;
            });
        }
        return values;
    }
}
