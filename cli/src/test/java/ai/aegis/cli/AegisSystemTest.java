package ai.aegis.cli;

import ai.aegis.testing.SharedTestBroker;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The composition root on the real broker: a start that fails at its last step leaves nothing running. */
class AegisSystemTest {

    @Test
    void aStartThatFailsAtTheLastStepClosesEveryServiceItStarted(@TempDir Path dataDir) throws Exception {
        String prefix = "sys" + UUID.randomUUID().toString().substring(0, 8);
        String servers = SharedTestBroker.get().bootstrapServers();
        int gatewayPort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            gatewayPort = probe.getLocalPort();
        }
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("0.0.0.0"))) {
            Config aegis = Config.just(ConfigSources.create(Map.of(
                    "aegis.kafka.bootstrap-servers", servers,
                    "aegis.kafka.topic-prefix", prefix,
                    "aegis.kafka.partitions", "2",
                    "aegis.data-dir", dataDir.toString(),
                    "aegis.worker.group-id", prefix + "-workers",
                    "aegis.worker.runtime", "process",
                    "aegis.worker.allow-unsafe-process-runtime", "true",
                    "aegis.worker.internal-port", Integer.toString(gatewayPort),
                    "aegis.worker.work-dir", dataDir.toString(),
                    // the ingress, started last, cannot bind: its port is taken
                    "aegis.ingress.port", Integer.toString(taken.getLocalPort())))).get("aegis");

            assertThatThrownBy(() -> AegisSystem.start(AegisSystem.Options.builder(aegis).build()))
                    .isInstanceOf(RuntimeException.class);
        }

        // the worker's internal listener is closed: its port can be bound again
        try (ServerSocket again = new ServerSocket(gatewayPort, 1, InetAddress.getLoopbackAddress())) {
            assertThat(again.isBound()).isTrue();
        }
        // the worker (a share group), the engine and the approval service left their groups (far sooner than a
        // session timeout)
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, servers))) {
            List<String> groups = List.of(prefix + "-workflow-engine", prefix + "-approval-service");
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                Map<String, ConsumerGroupDescription> described = admin.describeConsumerGroups(groups).all()
                        .get(10, TimeUnit.SECONDS);
                described.forEach((group, d) -> assertThat(d.members()).as(group).isEmpty());
                assertThat(admin.describeShareGroups(List.of(prefix + "-workers")).all().get(10, TimeUnit.SECONDS)
                        .get(prefix + "-workers").members()).as("the workers' share group").isEmpty();
            });
        }
    }
}
