package ai.aegis.topology.kafka;

import ai.aegis.schemas.topic.TopicCatalog;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How every service talks to Kafka: where the cluster is, which topics, and the client settings that make writes
 * durable ({@code acks=all}, idempotence) and failures quick to surface.
 *
 * @param bootstrapServers  the cluster
 * @param topics            the topic catalogue (prefix and partition counts)
 * @param clientId          base client id, e.g. {@code aegis-ingress-host1}
 * @param ackTimeout        how long a durable write may take before the caller is told the cluster is unavailable
 * @param replicationFactor replication of topics this installation creates (1 on the embedded broker)
 * @param extra             further client properties (security, tuning), applied last
 */
public record KafkaSettings(String bootstrapServers, TopicCatalog topics, String clientId, Duration ackTimeout,
                            short replicationFactor, Map<String, Object> extra) {

    public static final Duration DEFAULT_ACK_TIMEOUT = Duration.ofSeconds(5);

    public KafkaSettings {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(topics, "topics");
        extra = extra == null ? Map.of() : Map.copyOf(extra);
    }

    public static KafkaSettings of(String bootstrapServers, TopicCatalog topics, String clientId) {
        return new KafkaSettings(bootstrapServers, topics, clientId, DEFAULT_ACK_TIMEOUT, (short) 1, Map.of());
    }

    public KafkaSettings withClientId(String id) {
        return new KafkaSettings(bootstrapServers, topics, id, ackTimeout, replicationFactor, extra);
    }

    /**
     * A producer whose acknowledged writes are on every in-sync replica. Its own delivery timeout matches the ack
     * timeout, so a write the caller was told failed is not delivered much later behind its back.
     */
    public Map<String, Object> producer() {
        Map<String, Object> p = common();
        int ackMs = (int) ackTimeout.toMillis();
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 2);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.max(1000, ackMs - 500));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, ackMs);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Math.max(1000, ackMs / 2));
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.putAll(extra);
        return p;
    }

    /** A consumer that commits by hand; {@code groupId} null for assign-only tails. */
    public Map<String, Object> consumer(String groupId) {
        Map<String, Object> c = common();
        if (groupId != null) {
            c.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        }
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        c.putAll(extra);
        return c;
    }

    /**
     * A member of a share group (KIP-932) that acknowledges every record explicitly and acquires at most
     * {@code maxRecords} at a time ({@code record_limit}: no prefetch, so no record is locked that its member cannot
     * start). Isolation and the start offset of a share group are group settings, not the member's.
     */
    public Map<String, Object> shareConsumer(String groupId, int maxRecords) {
        Map<String, Object> c = common();
        c.put(ConsumerConfig.GROUP_ID_CONFIG, Objects.requireNonNull(groupId, "groupId"));
        c.put(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit");
        c.put(ConsumerConfig.SHARE_ACQUIRE_MODE_CONFIG, "record_limit");
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxRecords);
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        c.putAll(extra);
        return c;
    }

    /**
     * The base of every Kafka Streams application here: exactly-once v2 (a step's state and outputs commit
     * together), string keys and byte values, internal topics replicated like the installation's own (0 leaves it
     * to the broker's default), and the security and tuning extras, which cannot override the guarantee.
     */
    public java.util.Properties streams(String applicationId, String clientSuffix, java.nio.file.Path stateDir) {
        java.util.Properties p = new java.util.Properties();
        p.putAll(extra);
        p.put("application.id", applicationId);
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(CommonClientConfigs.CLIENT_ID_CONFIG, (clientId == null ? "aegis" : clientId) + "-" + clientSuffix);
        p.put("processing.guarantee", "exactly_once_v2");
        p.put("state.dir", stateDir.toAbsolutePath().toString());
        p.put("replication.factor", replicationFactor > 0 ? (int) replicationFactor : -1);
        p.put("default.key.serde", org.apache.kafka.common.serialization.Serdes.StringSerde.class.getName());
        p.put("default.value.serde", org.apache.kafka.common.serialization.Serdes.ByteArraySerde.class.getName());
        return p;
    }

    public Map<String, Object> admin() {
        Map<String, Object> a = common();
        a.put(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, (int) ackTimeout.toMillis());
        a.put(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) ackTimeout.toMillis() * 2);
        a.putAll(extra);
        return a;
    }

    private Map<String, Object> common() {
        Map<String, Object> m = new HashMap<>();
        m.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        if (clientId != null) {
            m.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
        }
        m.put(CommonClientConfigs.RECONNECT_BACKOFF_MAX_MS_CONFIG, 2000);
        return m;
    }
}
