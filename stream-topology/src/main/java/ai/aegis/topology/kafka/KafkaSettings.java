package ai.aegis.topology.kafka;

import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.topology.deadletter.StreamsDeadLetters;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
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
 * @param replicationFactor replication of topics this installation creates (1 on the embedded broker; 0: min(3,
 *                          brokers), resolved by {@link ai.aegis.topology.admin.TopicInstaller})
 * @param extra             further client properties (security, tuning), applied last; none of
 *                          {@link #FIXED_PROPERTIES}, which carry the durability contract
 * @param groupInstanceId   this process's stable identity, or null: when set, the Kafka Streams applications join
 *                          their groups as static members ({@code group.instance.id = <id>-<application id>}), so
 *                          that a process restarted after a crash takes its tasks back at once instead of waiting
 *                          for the dead member's session to time out
 */
public record KafkaSettings(String bootstrapServers, TopicCatalog topics, String clientId, Duration ackTimeout,
                            short replicationFactor, Map<String, Object> extra, String groupInstanceId) {

    public static final Duration DEFAULT_ACK_TIMEOUT = Duration.ofSeconds(5);

    /**
     * Client properties that {@code aegis.kafka.properties} may not set, each with the reason. Extras are applied
     * last, so any of these would silently undo a guarantee the services are written for (an acknowledged write is
     * on every in-sync replica, never written twice, not retried once reported failed; outputs of aborted
     * transactions are never read); a settings object carrying one is refused, and with it the start.
     */
    public static final Map<String, String> FIXED_PROPERTIES = fixedProperties();

    public KafkaSettings {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(topics, "topics");
        extra = extra == null ? Map.of() : Map.copyOf(extra);
        for (String key : extra.keySet()) {
            String why = FIXED_PROPERTIES.get(key);
            if (why != null) {
                throw new IllegalArgumentException("aegis.kafka.properties." + key + " cannot be set: " + why
                        + "; remove it from the configuration");
            }
        }
    }

    private static Map<String, String> fixedProperties() {
        Map<String, String> m = new LinkedHashMap<>();
        String ack = "derived from aegis.kafka.ack-timeout-ms, so that the producer stops retrying a write once "
                + "the API reported it failed (set that key instead)";
        m.put(ProducerConfig.ACKS_CONFIG, "Aegis writes with acks=all: an acknowledged write is on every in-sync "
                + "replica");
        m.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "Aegis writes with the idempotent producer: a retried "
                + "write is never stored twice or out of order");
        m.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "more than 5 in flight breaks the idempotent "
                + "producer's ordering");
        m.put(ProducerConfig.RETRIES_CONFIG, "the producer must retry within the delivery timeout");
        m.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, ack);
        m.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, ack);
        m.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "the services' producers write outside transactions (the "
                + "Kafka Streams applications manage their own)");
        m.put("processing.guarantee", "the workflow engine and the approval service run exactly_once_v2");
        m.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "consumers read read_committed, or they would see the "
                + "aborted attempts of the exactly-once topologies");
        m.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "consumers commit by hand, after a record was processed");
        for (String serde : List.of(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG)) {
            m.put(serde, "records are string keys and JSON bytes");
        }
        m.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, "the cluster is aegis.kafka.bootstrap-servers (env "
                + "AEGIS_KAFKA_BOOTSTRAP_SERVERS)");
        return Collections.unmodifiableMap(m);
    }

    /**
     * {@code min.insync.replicas} of a topic replicated {@code replicationFactor} times: one less than the replicas,
     * at least 1. An acknowledged write then survives the loss of any one broker (it is on at least two), and
     * writes go on while one broker is down; with fewer replicas alive, writes are refused rather than
     * acknowledged by too few. 2 on a three-broker cluster, 1 on a single broker.
     */
    public static int minInSyncReplicas(int replicationFactor) {
        if (replicationFactor < 1) {
            throw new IllegalArgumentException("replication factor must be positive: " + replicationFactor);
        }
        return Math.max(1, replicationFactor - 1);
    }

    public static KafkaSettings of(String bootstrapServers, TopicCatalog topics, String clientId) {
        return new KafkaSettings(bootstrapServers, topics, clientId, DEFAULT_ACK_TIMEOUT, (short) 1, Map.of(), null);
    }

    public KafkaSettings withClientId(String id) {
        return new KafkaSettings(bootstrapServers, topics, id, ackTimeout, replicationFactor, extra, groupInstanceId);
    }

    /** These settings for a process with a stable identity (see {@code groupInstanceId}). */
    public KafkaSettings withGroupInstanceId(String id) {
        return new KafkaSettings(bootstrapServers, topics, clientId, ackTimeout, replicationFactor, extra, id);
    }

    /** The same settings with the replication factor resolved ({@code TopicInstaller.ensure} returns it). */
    public KafkaSettings withReplicationFactor(short rf) {
        return new KafkaSettings(bootstrapServers, topics, clientId, ackTimeout, rf, extra, groupInstanceId);
    }

    /**
     * A producer whose acknowledged writes are on every in-sync replica. Its own delivery timeout matches the ack
     * timeout, so a write the caller was told failed is not retried behind its back (one the leader had already
     * appended when a broker failed can still become durable: see {@link #patientProducer()}).
     */
    public Map<String, Object> producer() {
        Map<String, Object> p = common();
        int ackMs = (int) ackTimeout.toMillis();
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
        // No linger: every hop of an execution (request, start, event) is a write somebody waits for, and records
        // batch by themselves while a request is in flight. Two runs of `aegis bench --scenario sse` (3 x 200 each),
        // one after the other on the same machine: POST -> execution_started p50 15.5/12.7/9.3 ms with 0 against
        // 18.7/15.8/12.8 ms with 2 ms.
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.max(1000, ackMs - 500));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, ackMs);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Math.max(1000, ackMs / 2));
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.putAll(extra);
        return p;
    }

    /**
     * The producer of writes that must land however long the cluster takes ({@link DurablePublisher#publishPatiently}):
     * {@link #producer()} without a delivery timeout, so that the idempotent producer itself retries the same batch
     * (same producer id and sequence numbers) across leader changes until it is acknowledged. A write retried by
     * sending it again after a timeout would be a new record: when the first attempt was appended after all (a
     * broker died before acknowledging it, its followers had it), both would be stored.
     */
    public Map<String, Object> patientProducer() {
        Map<String, Object> p = producer();
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE);
        if (clientId != null) {
            p.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId + "-patient"); // one client id per producer
        }
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
     * to the broker's default), the security and tuning extras, which cannot override the guarantee, and the
     * exception handlers that dead-letter a record the application cannot read, process or write
     * ({@link StreamsDeadLetters}), which the extras cannot override either. With a known replication factor the
     * internal topics (changelogs, repartition topics) also get the installation's {@link #minInSyncReplicas},
     * through Streams' {@code topic.} prefix; with 0 both are the broker's defaults.
     */
    public java.util.Properties streams(String applicationId, String clientSuffix, java.nio.file.Path stateDir,
                                        StreamsDeadLetters deadLetters) {
        java.util.Properties p = new java.util.Properties();
        p.putAll(extra);
        p.put("application.id", applicationId);
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(CommonClientConfigs.CLIENT_ID_CONFIG, (clientId == null ? "aegis" : clientId) + "-" + clientSuffix);
        p.put("processing.guarantee", "exactly_once_v2");
        p.put("state.dir", stateDir.toAbsolutePath().toString());
        p.put("replication.factor", replicationFactor > 0 ? (int) replicationFactor : -1);
        if (replicationFactor > 0) {
            // a string, as Streams hands topic configs to createTopics unchanged
            p.put("topic." + TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG,
                    Integer.toString(minInSyncReplicas(replicationFactor)));
        }
        p.put("default.key.serde", org.apache.kafka.common.serialization.Serdes.StringSerde.class.getName());
        p.put("default.value.serde", org.apache.kafka.common.serialization.Serdes.ByteArraySerde.class.getName());
        if (groupInstanceId != null) {
            p.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, groupInstanceId + "-" + applicationId);
        }
        deadLetters.install(p);
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
