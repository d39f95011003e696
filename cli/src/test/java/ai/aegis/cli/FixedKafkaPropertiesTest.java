package ai.aegis.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A configuration that would weaken how writes are made durable stops every command at its start, naming the
 * property, instead of being applied silently over the settings the services rely on.
 */
class FixedKafkaPropertiesTest {

    @Test
    void everyCommandRefusesToStartWithAPropertyOfTheDurabilityContract(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("aegis.yaml");
        // an address nothing listens on: the refusal must come before any connection is tried
        Files.writeString(config, """
                aegis:
                  data-dir: %s
                  kafka:
                    bootstrap-servers: 127.0.0.1:1
                    properties:
                      security.protocol: PLAINTEXT
                      acks: 1
                """.formatted(dir.resolve("data")));
        for (String command : List.of("up", "ingress", "worker", "engine")) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            long started = System.nanoTime();
            int code = AegisMain.run(new String[]{command, "--config", config.toString()},
                    new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
            assertThat(code).as(command).isEqualTo(2);
            assertThat(err.toString(StandardCharsets.UTF_8)).as(command)
                    .contains("aegis.kafka.properties.acks cannot be set")
                    .contains("acks=all");
            assertThat(System.nanoTime() - started).as(command + " refused at once, not after a timeout")
                    .isLessThan(java.util.concurrent.TimeUnit.SECONDS.toNanos(20));
        }
        assertThat(dir.resolve("data")).doesNotExist();
    }
}
