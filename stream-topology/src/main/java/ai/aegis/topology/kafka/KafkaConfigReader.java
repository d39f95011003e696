package ai.aegis.topology.kafka;

import ai.aegis.schemas.topic.TopicCatalog;
import io.helidon.config.Config;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads {@code aegis.kafka} into {@link KafkaSettings}. Defaults are written here once:
 * <pre>
 * aegis.kafka:
 *   bootstrap-servers: (required unless the launcher starts an embedded broker)
 *   topic-prefix: aegis
 *   partitions: 6
 *   replication-factor: 0   (0: min(3, brokers in the cluster), so 1 on the embedded broker)
 *   ack-timeout-ms: 5000
 *   properties: { any Kafka client property, e.g. security.protocol }
 * </pre>
 */
public final class KafkaConfigReader {

    public static final int DEFAULT_PARTITIONS = 6;

    private KafkaConfigReader() {
    }

    public static KafkaSettings read(Config kafka, String clientId) {
        String servers = kafka.get("bootstrap-servers").asString().orElseThrow(() -> new IllegalArgumentException(
                "aegis.kafka.bootstrap-servers is not set (env AEGIS_KAFKA_BOOTSTRAP_SERVERS)"));
        return read(kafka, clientId, servers);
    }

    public static KafkaSettings read(Config kafka, String clientId, String bootstrapServers) {
        TopicCatalog topics = new TopicCatalog(
                kafka.get("topic-prefix").asString().orElse(TopicCatalog.DEFAULT_PREFIX),
                kafka.get("partitions").asInt().orElse(DEFAULT_PARTITIONS));
        Map<String, Object> extra = new HashMap<>();
        // detach(): keys relative to the properties node, i.e. plain Kafka property names
        kafka.get("properties").detach().asMap().orElse(Map.of()).forEach(extra::put);
        return new KafkaSettings(bootstrapServers, topics, clientId,
                Duration.ofMillis(kafka.get("ack-timeout-ms").asLong().orElse(KafkaSettings.DEFAULT_ACK_TIMEOUT.toMillis())),
                kafka.get("replication-factor").asInt().orElse(0).shortValue(), extra, null);
    }
}
