package ai.aegis.topology.admin;

import ai.aegis.testing.SharedTestBroker;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.schemas.topic.TopicSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TopicInstallerTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private Admin admin;

    @BeforeEach
    void connect() {
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                SharedTestBroker.get().bootstrapServers()));
    }

    @AfterEach
    void disconnect() {
        admin.close();
    }

    @Test
    void createsTheCatalogueWithPartitionsAndCleanupPolicyAndASecondRunChangesNothing() throws Exception {
        TopicCatalog catalog = new TopicCatalog("t" + UUID.randomUUID().toString().replace("-", ""), 3);
        List<TopicSpec> topics = catalog.all();
        List<String> names = topics.stream().map(TopicSpec::name).toList();

        short replication = TopicInstaller.ensure(admin, topics, TIMEOUT);

        assertThat(replication).isEqualTo((short) 1);
        Map<String, TopicDescription> described = describe(names);
        assertThat(described.get(catalog.agents().name()).partitions()).hasSize(1);
        assertThat(described.get(catalog.executionRequests().name()).partitions()).hasSize(3);
        assertThat(described.get(catalog.executionEvents().name()).partitions()).hasSize(3);
        // One broker in the cluster: the default replication factor is min(3, 1).
        assertThat(described.values()).allSatisfy(d ->
                assertThat(d.partitions()).allSatisfy(p -> assertThat(p.replicas()).hasSize(1)));

        assertThat(config(catalog.agents().name()).get("cleanup.policy").value()).isEqualTo("compact");
        assertThat(config(catalog.executionRequests().name()).get("cleanup.policy").value()).isEqualTo("delete");
        assertThat(config(catalog.executionEvents().name()).get("retention.ms").value()).isEqualTo("-1");
        // set on each topic, not left to the broker's default: min(RF - 1, 1) = 1 here (2 on three brokers)
        for (String name : names) {
            ConfigEntry minIsr = config(name).get("min.insync.replicas");
            assertThat(minIsr.source()).as(name).isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);
            assertThat(minIsr.value()).as(name).isEqualTo("1");
        }

        Map<String, Uuid> idsBefore = topicIds(described);
        TopicInstaller.ensure(admin, topics, TIMEOUT);
        Map<String, Uuid> idsAfter = topicIds(describe(names));
        // Same ids: the second run neither deleted nor recreated anything.
        assertThat(idsAfter).isEqualTo(idsBefore);
    }

    @Test
    void createsOnlyTheMissingTopicsAndLeavesExistingOnesAlone() throws Exception {
        TopicCatalog catalog = new TopicCatalog("t" + UUID.randomUUID().toString().replace("-", ""), 2);
        TopicInstaller.ensure(admin, List.of(catalog.agents()), TIMEOUT);
        Uuid agentsId = describe(List.of(catalog.agents().name())).get(catalog.agents().name()).topicId();

        TopicInstaller.ensure(admin, catalog.all(), TIMEOUT);

        Map<String, TopicDescription> described = describe(catalog.all().stream().map(TopicSpec::name).toList());
        assertThat(described).hasSize(catalog.all().size());
        assertThat(described.get(catalog.agents().name()).topicId()).isEqualTo(agentsId);
        assertThat(described.get(catalog.executionEvents().name()).partitions()).hasSize(2);
    }

    @Test
    void aReplicationFactorLargerThanTheClusterIsRefusedWithTheBrokersReason() {
        TopicCatalog catalog = new TopicCatalog("t" + UUID.randomUUID().toString().replace("-", ""), 1);
        assertThatThrownBy(() -> TopicInstaller.ensure(admin, catalog.all(), 3, TIMEOUT))
                .isInstanceOf(TopicInstallationException.class)
                .hasMessageContaining("could not create topic")
                .hasMessageContaining("eplication factor");
    }

    @Test
    void anUnreachableClusterFailsWithinTheTimeoutWithAClearMessage() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            closedPort = socket.getLocalPort();
        }
        try (Admin nowhere = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                "127.0.0.1:" + closedPort))) {
            long started = System.nanoTime();
            assertThatThrownBy(() -> TopicInstaller.ensure(nowhere, TopicCatalog.defaults().all(),
                    Duration.ofSeconds(2)))
                    .isInstanceOf(TopicInstallationException.class)
                    .hasMessageContaining("Kafka cluster unreachable")
                    .hasMessageContaining("2000 ms");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
        }
    }

    @Test
    void conflictingSpecificationsForOneTopicAreRejected() {
        TopicSpec a = new TopicSpec("t-conflict", 1, true, -1, "k", "s.json");
        TopicSpec b = new TopicSpec("t-conflict", 2, true, -1, "k", "s.json");
        assertThatThrownBy(() -> TopicInstaller.ensure(admin, List.of(a, b), TIMEOUT))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("t-conflict");
    }

    private Map<String, TopicDescription> describe(List<String> names) throws Exception {
        return admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS);
    }

    private Config config(String topic) throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        return admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
    }

    private static Map<String, Uuid> topicIds(Map<String, TopicDescription> described) {
        return described.values().stream().collect(Collectors.toMap(TopicDescription::name,
                TopicDescription::topicId));
    }
}
