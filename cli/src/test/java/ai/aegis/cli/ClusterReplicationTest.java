package ai.aegis.cli;

import ai.aegis.approval.ApprovalService;
import ai.aegis.cli.AegisSystem.Service;
import ai.aegis.testing.BrokerCluster;
import ai.aegis.testing.SharedTestCluster;
import ai.aegis.topology.workflow.WorkflowEngineService;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The topics the whole system creates on a three-broker cluster whose brokers keep Kafka's defaults
 * ({@code min.insync.replicas} 1, {@code default.replication.factor} 1): its own topics and the Kafka Streams
 * applications' internal ones all get three replicas and {@code min.insync.replicas} 2, so that an acknowledged
 * write is on two brokers at least and survives the loss of any one.
 */
@Tag(FaultSuite.TAG)
class ClusterReplicationTest {

    @TempDir
    Path dataDir;

    @Test
    void everyTopicTheSystemCreatesHasThreeReplicasAndMinInSyncReplicasTwo() throws Exception {
        BrokerCluster cluster = SharedTestCluster.get();
        try (TestSystem system = FaultSuite.system(dataDir, cluster, EnumSet.allOf(Service.class), Map.of())) {
            String prefix = system.kafka.topics().prefix();
            String engine = WorkflowEngineService.defaultApplicationId(system.kafka);
            String approvals = ApprovalService.applicationId(system.kafka.topics());
            // Kafka Streams creates its internal topics once its first rebalance assigned the tasks
            Set<String> topics = await().atMost(Duration.ofSeconds(120)).until(() -> ownTopics(cluster, prefix),
                    names -> names.contains(engine + "-workflow-state-changelog")
                            && names.contains(approvals + "-approvals-changelog"));
            assertThat(topics).containsAll(system.kafka.topics().all().stream().map(t -> t.name()).toList());

            Map<String, TopicDescription> described = cluster.admin().describeTopics(topics).allTopicNames()
                    .get(30, TimeUnit.SECONDS);
            Map<String, String> replication = new TreeMap<>();
            described.values().forEach(d -> replication.put(d.name(), d.partitions().stream()
                    .map(p -> p.replicas().size()).collect(Collectors.toSet()).toString()));
            assertThat(replication).as("replicas of each partition, by topic").allSatisfy((topic, replicas) ->
                    assertThat(replicas).as(topic).isEqualTo("[3]"));

            List<ConfigResource> resources = topics.stream()
                    .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList();
            Map<ConfigResource, Config> configs = cluster.admin().describeConfigs(resources).all()
                    .get(30, TimeUnit.SECONDS);
            Map<String, String> minIsr = new TreeMap<>();
            configs.forEach((resource, config) -> minIsr.put(resource.name(),
                    config.get("min.insync.replicas").value()));
            assertThat(minIsr).as("min.insync.replicas by topic").allSatisfy((topic, value) ->
                    assertThat(value).as(topic).isEqualTo("2"));
            FaultSuite.report("replication on three brokers", Map.of("topics", topics.size(),
                    "replicas", 3, "min_insync_replicas", 2));
        }
    }

    private static Set<String> ownTopics(BrokerCluster cluster, String prefix) throws Exception {
        return cluster.admin().listTopics().names().get(10, TimeUnit.SECONDS).stream()
                .filter(name -> name.startsWith(prefix + ".") || name.startsWith(prefix + "-"))
                .collect(Collectors.toCollection(java.util.TreeSet::new));
    }
}
