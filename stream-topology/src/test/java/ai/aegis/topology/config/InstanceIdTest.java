package ai.aegis.topology.config;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InstanceIdTest {

    @Test
    void theIdIsCreatedAtTheFirstStartAndKeptForTheNext(@TempDir Path dir) throws Exception {
        Path dataDir = dir.resolve("data");
        String first = InstanceId.resolve(Config.empty(), dataDir);
        assertThat(first).startsWith("aegis-");
        assertThat(Files.readString(dataDir.resolve(InstanceId.FILE)).trim()).isEqualTo(first);
        assertThat(InstanceId.resolve(Config.empty(), dataDir)).isEqualTo(first);
        assertThat(InstanceId.resolve(Config.empty(), dir.resolve("other"))).isNotEqualTo(first);
    }

    @Test
    void aConfiguredIdWinsAndABadOneIsRefused(@TempDir Path dir) {
        assertThat(InstanceId.resolve(config("node-7"), dir)).isEqualTo("node-7");
        assertThat(dir.resolve(InstanceId.FILE)).doesNotExist();
        assertThatThrownBy(() -> InstanceId.resolve(config("two words"), dir))
                .hasMessageContaining("aegis.instance-id");
    }

    private static Config config(String id) {
        return Config.just(ConfigSources.create(Map.of("aegis.instance-id", id))).get("aegis");
    }
}
