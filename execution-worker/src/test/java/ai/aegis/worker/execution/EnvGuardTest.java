package ai.aegis.worker.execution;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class EnvGuardTest {

    @Test
    void onlyHarmlessManifestVariablesReachTheSandbox() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("GREETING", "hello");
        env.put("MODE", "fast");
        env.put("DATABASE_URL", "postgres://secret");
        env.put("db_password", "x");
        env.put("PATH", "/evil");
        env.put("LD_PRELOAD", "/tmp/evil.so");
        env.put("PYTHONPATH", "/tmp");
        env.put("KAFKA_SASL", "x");
        env.put("AEGIS_EXECUTION_TOKEN", "forged");

        EnvGuard.Filtered filtered = EnvGuard.filter(env);

        assertThat(filtered.allowed()).containsOnlyKeys("GREETING", "MODE");
        assertThat(filtered.dropped()).containsExactlyInAnyOrder("DATABASE_URL", "db_password", "PATH", "LD_PRELOAD",
                "PYTHONPATH", "KAFKA_SASL", "AEGIS_EXECUTION_TOKEN");
    }
}
