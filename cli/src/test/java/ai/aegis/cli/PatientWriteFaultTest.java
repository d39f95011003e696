package ai.aegis.cli;

import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.testing.BrokerCluster;
import ai.aegis.testing.SharedTestCluster;
import ai.aegis.topology.admin.TopicInstaller;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.topology.kafka.KafkaSettings;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A write that must land once (a terminal event) sent just after a follower died: the leader appends it at once but
 * cannot acknowledge it until the controller has fenced the dead broker and shrunk the in-sync set (9 s), longer
 * than the ack timeout. Sending it again after that timeout would store it twice, since the first append becomes
 * committed too; the patient producer's own retries keep one copy.
 */
@Tag(FaultSuite.TAG)
class PatientWriteFaultTest {

    @Test
    void aWriteWaitingOutABrokerLossIsStoredExactlyOnce() throws Exception {
        BrokerCluster cluster = SharedTestCluster.get();
        KafkaSettings kafka = new KafkaSettings(cluster.bootstrapServers(),
                new TopicCatalog("patient" + UUID.randomUUID().toString().substring(0, 8), 1), "patient-test",
                KafkaSettings.DEFAULT_ACK_TIMEOUT, (short) 0, Map.of(), null);
        String topic = kafka.topics().executionEvents().name();
        TopicInstaller.ensure(cluster.admin(), List.of(kafka.topics().executionEvents()), 0, Duration.ofSeconds(60));
        cluster.awaitInSync(Duration.ofSeconds(60));
        int leader = cluster.leaderOf(topic, 0);
        int follower = cluster.brokerIds().stream().filter(id -> id != leader).findFirst().orElseThrow();

        long took;
        try (DurablePublisher publisher = new DurablePublisher(kafka, "/aegis/test/patient")) {
            publisher.publish(topic, "warm-up", new byte[0], "ai.aegis.test.warm_up.v1");
            cluster.kill(follower);
            long started = System.nanoTime();
            publisher.publishPatiently(topic, "terminal", "{\"once\":true}".getBytes(StandardCharsets.UTF_8),
                    "ai.aegis.test.terminal.v1");
            took = Duration.ofNanos(System.nanoTime() - started).toMillis();
        }

        assertThat(keys(kafka, topic)).as("keys on the topic").containsExactly("warm-up", "terminal");
        FaultSuite.report("patient write across a broker loss", Map.of("killed_follower", follower,
                "acknowledged_after_ms", took, "copies", 1));
    }

    private static List<String> keys(KafkaSettings kafka, String topic) {
        List<String> keys = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(kafka.consumer(null))) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    keys.add(r.key());
                }
                return consumer.position(tp) >= end;
            });
        }
        return keys;
    }
}
