package ai.aegis.cli;

import ai.aegis.cli.AegisSystem.Service;
import ai.aegis.schemas.deadletter.DeadLetter;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.TopicSpec;
import ai.aegis.testing.BrokerCluster;
import ai.aegis.testing.SharedTestCluster;
import ai.aegis.testing.TopicRecords;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Any producer can write anything to any topic. Under a steady load on the three-broker cluster, four poison records
 * ({@code {}}, JSON {@code null}, bytes that are not JSON, JSON of another shape) go to every topic of the
 * catalogue: each ends as a dead letter naming its topic, partition and offset, and the system keeps serving
 * (every accepted execution ends exactly once, the Streams apps run, readiness says ready).
 */
@Tag(FaultSuite.TAG)
class PoisonRecordsFaultTest {

    private static final List<byte[]> POISON = List.of(
            "{}".getBytes(StandardCharsets.UTF_8),
            "null".getBytes(StandardCharsets.UTF_8),
            new byte[] {(byte) 0x9d, 0x00, (byte) 0xff, 0x7b},
            "{\"execution_id\":[1,2],\"status\":{\"no\":\"shape\"}}".getBytes(StandardCharsets.UTF_8));

    @TempDir
    Path dataDir;

    @Test
    void poisonOnEveryTopicIsDeadLetteredWhileTheSystemKeepsServing() throws Exception {
        BrokerCluster cluster = SharedTestCluster.get();
        try (TestSystem system = FaultSuite.system(dataDir, cluster, EnumSet.allOf(Service.class), Map.of())) {
            String agentId = FaultSuite.deployAgent(system);
            String deadLetterTopic = system.kafka.topics().deadLetters().name();
            String nodeId = system.config().get("aegis.approvals.node-id");
            String ingressNode = system.config().get("aegis.ingress.node-id");
            Set<String> poisoned = new HashSet<>();
            List<SteadyLoad.Attempt> attempts;
            try (SteadyLoad load = SteadyLoad.executions(system, agentId, Duration.ofMillis(300))) {
                await().atMost(FaultSuite.END_WITHIN).until(() -> load.acceptedCount() >= 5);
                for (TopicSpec topic : system.kafka.topics().all()) {
                    if (topic.name().equals(deadLetterTopic)) {
                        continue;
                    }
                    // the replies tail reads only its node's key: the poison is addressed to it
                    String key = topic.name().equals(system.kafka.topics().approvalReplies().name()) ? nodeId
                            : topic.name().equals(system.kafka.topics().stimulusReplies().name()) ? ingressNode
                            : "poison";
                    for (byte[] value : POISON) {
                        RecordMetadata at = system.write(new ProducerRecord<>(topic.name(), key, value));
                        poisoned.add(where(at.topic(), at.partition(), at.offset()));
                    }
                }
                int afterPoison = load.acceptedCount();
                await().atMost(FaultSuite.END_WITHIN).until(() -> load.acceptedCount() >= afterPoison + 10);
                attempts = load.stop();
            }

            List<DeadLetter> letters = new ArrayList<>();
            TopicRecords.await(cluster.bootstrapServers(), deadLetterTopic, read -> {
                letters.clear();
                Set<String> covered = new HashSet<>();
                for (ConsumerRecord<String, byte[]> r : read) {
                    DeadLetter letter = Json.read(r.value(), DeadLetter.class);
                    letters.add(letter);
                    covered.add(where(letter.sourceTopic(), letter.sourcePartition(), letter.sourceOffset()));
                }
                return covered.containsAll(poisoned);
            }, FaultSuite.END_WITHIN);

            FaultSuite.assertAnsweredInTime(attempts);
            Map<String, Integer> ended = FaultSuite.assertEachEndedExactlyOnce(system,
                    SteadyLoad.accepted(attempts));
            assertThat(ended).containsOnlyKeys("execution_completed");
            FaultSuite.assertStreamsHealthy(system);
            HttpResponse<String> ready = system.get("/health/ready");
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);

            Map<String, Integer> byConsumer = new TreeMap<>();
            letters.forEach(l -> byConsumer.merge(l.consumer(), 1, Integer::sum));
            Map<String, Object> counts = new LinkedHashMap<>();
            counts.put("poison_records", poisoned.size());
            counts.put("dead_letters", letters.size());
            byConsumer.forEach((consumer, n) -> counts.put("by_" + consumer, n));
            counts.put("posts", attempts.size());
            ended.forEach(counts::put);
            FaultSuite.report("poison on every topic", counts);
        }
    }

    private static String where(String topic, int partition, long offset) {
        return topic + "-" + partition + "@" + offset;
    }
}
