package ai.aegis.topology.kafka;

import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.topology.config.AegisConfigLoader;
import ai.aegis.topology.deadletter.StreamsDeadLetters;
import io.helidon.config.Config;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The durability rules of the client settings: what extras may not change, and what topics need. */
class KafkaSettingsTest {

    private static KafkaSettings withExtra(Map<String, Object> extra) {
        return new KafkaSettings("k:9092", TopicCatalog.defaults(), "test", Duration.ofSeconds(5), (short) 3, extra,
                null);
    }

    @Test
    void everyPropertyThatCarriesTheDurabilityContractIsRefusedByName() {
        assertThat(KafkaSettings.FIXED_PROPERTIES).containsKeys("acks", "enable.idempotence",
                "max.in.flight.requests.per.connection", "retries", "delivery.timeout.ms", "max.block.ms",
                "transactional.id", "processing.guarantee", "isolation.level", "enable.auto.commit",
                "key.serializer", "value.serializer", "key.deserializer", "value.deserializer", "bootstrap.servers");
        KafkaSettings.FIXED_PROPERTIES.forEach((key, why) -> assertThatThrownBy(() -> withExtra(Map.of(key, "x")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("aegis.kafka.properties." + key + " cannot be set: " + why));
    }

    @Test
    void aFileThatWeakensAcksStopsTheReadingWithTheKeyNamed(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("aegis.yaml");
        Files.writeString(file, """
                aegis:
                  kafka:
                    bootstrap-servers: k:9092
                    properties:
                      security.protocol: SSL
                      acks: 1
                """);
        Config kafka = AegisConfigLoader.load(Optional.of(file), Map.of()).get("aegis.kafka");
        assertThatThrownBy(() -> KafkaConfigReader.read(kafka, "test"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("aegis.kafka.properties.acks cannot be set")
                .hasMessageContaining("acks=all");
        // the generic environment mapping reaches the same key
        Config fromEnv = AegisConfigLoader.load(Optional.empty(), Map.of("AEGIS_KAFKA_BOOTSTRAP_SERVERS", "k:9092",
                "AEGIS_KAFKA_PROPERTIES_ENABLE_IDEMPOTENCE", "false")).get("aegis.kafka");
        assertThatThrownBy(() -> KafkaConfigReader.read(fromEnv, "test"))
                .hasMessageContaining("aegis.kafka.properties.enable.idempotence cannot be set");
    }

    @Test
    void otherExtrasStillReachEveryClientAndTheContractStaysInForce() {
        KafkaSettings settings = withExtra(Map.of("security.protocol", "SASL_SSL", "compression.type", "zstd"));
        assertThat(settings.producer()).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("compression.type", "zstd").containsEntry("acks", "all")
                .containsEntry("enable.idempotence", true).containsEntry("delivery.timeout.ms", 5000);
        assertThat(settings.consumer("g")).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("isolation.level", "read_committed").containsEntry("enable.auto.commit", false);
        assertThat(settings.admin()).containsEntry("security.protocol", "SASL_SSL");
    }

    @Test
    void thePatientProducerHasNoDeliveryTimeoutAndItsOwnClientId() {
        KafkaSettings settings = withExtra(Map.of());
        assertThat(settings.patientProducer()).containsEntry("delivery.timeout.ms", Integer.MAX_VALUE)
                .containsEntry("acks", "all").containsEntry("enable.idempotence", true)
                .containsEntry("client.id", "test-patient");
    }

    @Test
    void minInSyncReplicasIsOneLessThanTheReplicasAndAtLeastOne() {
        assertThat(KafkaSettings.minInSyncReplicas(1)).isEqualTo(1);
        assertThat(KafkaSettings.minInSyncReplicas(2)).isEqualTo(1);
        assertThat(KafkaSettings.minInSyncReplicas(3)).isEqualTo(2);
        assertThat(KafkaSettings.minInSyncReplicas(5)).isEqualTo(4);
        assertThatThrownBy(() -> KafkaSettings.minInSyncReplicas(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void kafkaStreamsInternalTopicsGetTheReplicationAndItsMinInSyncReplicas(@TempDir Path dir) {
        StreamsDeadLetters letters = new StreamsDeadLetters("dlq", "app", "/aegis/test");
        Properties three = withExtra(Map.of()).streams("app", "s", dir, letters);
        assertThat(three).containsEntry("replication.factor", 3).containsEntry("topic.min.insync.replicas", "2");
        // not resolved yet: both are left to the broker
        Properties unresolved = withExtra(Map.of()).withReplicationFactor((short) 0).streams("app", "s", dir,
                letters);
        assertThat(unresolved).containsEntry("replication.factor", -1).doesNotContainKey("topic.min.insync.replicas");
    }
}
