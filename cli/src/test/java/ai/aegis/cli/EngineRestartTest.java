package ai.aegis.cli;

import ai.aegis.cli.AegisSystem.Service;
import ai.aegis.testing.SharedTestBroker;
import ai.aegis.testing.Signals;
import ai.aegis.topology.config.InstanceId;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A workflow engine killed with SIGKILL and started again on the same data directory takes its tasks back at once:
 * it is a static member of its group, so the coordinator does not wait for the dead process's session (45 s) to
 * time out before the new one may run.
 */
class EngineRestartTest {

    @Test
    void anEngineRestartedAfterAKillRunsBeforeTheDeadMembersSessionWouldHaveExpired(@TempDir Path dataDir)
            throws Exception {
        String prefix = "rst" + UUID.randomUUID().toString().substring(0, 8);
        String servers = SharedTestBroker.get().bootstrapServers();
        Map<String, String> config = new HashMap<>(Map.of(
                "aegis.kafka.bootstrap-servers", servers,
                "aegis.kafka.topic-prefix", prefix,
                "aegis.kafka.partitions", "2",
                "aegis.data-dir", dataDir.toString()));
        String group = prefix + "-workflow-engine";
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, servers));
             ServiceProcess first = ServiceProcess.start(config, dataDir, "engine", "engine", aegis -> { })) {
            first.awaitStableGroup(admin, group, 1);
            first.kill();
            Signals.awaitExit(first.handle(), Duration.ofSeconds(30));

            // Far shorter than the 45 s session of the dead member: a dynamic member would still be waiting for it.
            config.put("aegis.workflows.start-timeout-ms", "25000");
            Config aegis = Config.just(ConfigSources.create(config)).get("aegis");
            try (AegisSystem again = AegisSystem.start(AegisSystem.Options.builder(aegis)
                    .services(Service.WORKFLOW_ENGINE).build())) {
                assertThat(again.engine().healthy()).isTrue();
                ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).all()
                        .get(10, TimeUnit.SECONDS).get(group);
                // Kafka Streams numbers its one stream thread's consumer
                assertThat(d.members()).extracting(MemberDescription::groupInstanceId)
                        .containsExactly(Optional.of(InstanceId.resolve(aegis, dataDir) + "-" + group + "-1"));
            }
        }
    }
}
