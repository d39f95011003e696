package ai.aegis.topology.config;

import ai.aegis.topology.kafka.KafkaConfigReader;
import ai.aegis.topology.kafka.KafkaSettings;
import io.helidon.config.Config;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AegisConfigLoaderTest {

    @Test
    void environmentVariablesMapToHyphenatedKeysAndAliases(@TempDir Path dir) {
        Config c = AegisConfigLoader.load(Optional.empty(), Map.of(
                "AEGIS_KAFKA_BOOTSTRAP_SERVERS", "k1:9092",
                "AEGIS_INGRESS_MAX__BODY__BYTES", "2048",
                "AEGIS_LLM_OPENAI_BASE_URL", "http://localhost:11434/v1",
                "PATH", "/usr/bin"));
        assertThat(c.get("aegis.kafka.bootstrap-servers").asString().get()).isEqualTo("k1:9092");
        assertThat(c.get("aegis.ingress.max-body-bytes").asLong().get()).isEqualTo(2048);
        assertThat(c.get("aegis.llm.openai.base-url").asString().get()).isEqualTo("http://localhost:11434/v1");
        // only AEGIS_* variables become configuration
        assertThat(c.get("PATH").exists()).isFalse();
        assertThat(c.get("path").asString().isPresent()).isFalse();
    }

    @Test
    void theEnvironmentOverridesTheFileAndTheFileFillsTheRest(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("aegis.yaml");
        Files.writeString(file, """
                aegis:
                  kafka:
                    bootstrap-servers: from-file:9092
                    topic-prefix: staging
                    partitions: 12
                    properties:
                      security.protocol: SSL
                """);
        Config aegis = AegisConfigLoader.load(Optional.of(file), Map.of("AEGIS_KAFKA_BOOTSTRAP_SERVERS", "env:9092"))
                .get("aegis");
        KafkaSettings kafka = KafkaConfigReader.read(aegis.get("kafka"), "test");
        assertThat(kafka.bootstrapServers()).isEqualTo("env:9092");
        assertThat(kafka.topics().executionEvents().name()).isEqualTo("staging.execution.events.v1");
        assertThat(kafka.topics().executionEvents().partitions()).isEqualTo(12);
        assertThat(kafka.producer()).containsEntry("security.protocol", "SSL").containsEntry("acks", "all");
    }

    @Test
    void commandLineOverridesWinOverTheEnvironmentAndTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("aegis.yaml");
        Files.writeString(file, """
                aegis:
                  ingress:
                    port: 9000
                    host: 10.0.0.1
                """);
        Config aegis = AegisConfigLoader.load(Optional.of(file), Map.of("AEGIS_INGRESS_PORT", "9001"),
                Map.of("aegis.ingress.port", "0")).get("aegis");
        assertThat(aegis.get("ingress.port").asInt().get()).isZero();
        assertThat(aegis.get("ingress.host").asString().get()).isEqualTo("10.0.0.1");
    }

    @Test
    void aMissingConfigFileIsAClearError() {
        assertThatThrownBy(() -> AegisConfigLoader.load(Optional.of(Path.of("/nope/aegis.yaml")), Map.of()))
                .hasMessageContaining("/nope/aegis.yaml");
        assertThatThrownBy(() -> KafkaConfigReader.read(Config.empty().get("aegis.kafka"), "x"))
                .hasMessageContaining("AEGIS_KAFKA_BOOTSTRAP_SERVERS");
    }
}
