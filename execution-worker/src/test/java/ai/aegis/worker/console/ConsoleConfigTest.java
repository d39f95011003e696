package ai.aegis.worker.console;

import ai.aegis.topology.config.AegisConfigLoader;
import ai.aegis.worker.WorkerConfig;
import io.helidon.config.Config;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code aegis.worker.output.*} read through the worker's configuration: defaults, every key, refused values. */
class ConsoleConfigTest {

    @Test
    void anEmptyConfigurationIsEveryDefault() {
        ConsoleConfig output = WorkerConfig.from(Config.empty()).output();

        assertThat(output).isEqualTo(ConsoleConfig.defaults());
        assertThat(output.chunkBytes()).isEqualTo(4096);
        assertThat(output.linger()).isEqualTo(Duration.ofMillis(50));
        assertThat(output.maxBytesPerIteration()).isEqualTo(1 << 20);
        assertThat(output.tailBytes()).isEqualTo(64 * 1024);
        assertThat(output.bytesPerSecond()).isEqualTo(256 * 1024);
    }

    @Test
    void everyKeyIsReadFromItsEnvironmentVariable() {
        Config aegis = AegisConfigLoader.load(Optional.empty(), Map.of(
                "AEGIS_WORKER_OUTPUT_CHUNK__BYTES", "1024",
                "AEGIS_WORKER_OUTPUT_LINGER__MS", "20",
                "AEGIS_WORKER_OUTPUT_MAX__BYTES__PER__ITERATION", "65536",
                "AEGIS_WORKER_OUTPUT_TAIL__BYTES", "8192",
                "AEGIS_WORKER_OUTPUT_BYTES__PER__SECOND", "32768")).get("aegis");

        assertThat(WorkerConfig.from(aegis).output()).isEqualTo(ConsoleConfig.builder().chunkBytes(1024)
                .linger(Duration.ofMillis(20)).maxBytesPerIteration(65536).tailBytes(8192).bytesPerSecond(32768)
                .build());
    }

    @Test
    void settingsThatCouldNeverWriteARecordStopTheStart() {
        ConsoleConfig small = ConsoleConfig.builder().chunkBytes(64).tailBytes(256).maxBytesPerIteration(1024)
                .build();
        assertThatThrownBy(() -> small.toBuilder().tailBytes(32).build()).hasMessageContaining("tail-bytes");
        assertThatThrownBy(() -> small.toBuilder().maxBytesPerIteration(100).build())
                .hasMessageContaining("max-bytes-per-iteration");
        assertThatThrownBy(() -> small.toBuilder().bytesPerSecond(10).build()).hasMessageContaining("bytes-per-second");
        assertThatThrownBy(() -> small.toBuilder().linger(Duration.ZERO).build()).hasMessageContaining("linger-ms");
        Config aegis = AegisConfigLoader.load(Optional.empty(), Map.of("AEGIS_WORKER_OUTPUT_TAIL__BYTES", "100"))
                .get("aegis");
        assertThatThrownBy(() -> WorkerConfig.from(aegis)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("aegis.worker.output.tail-bytes");
    }
}
