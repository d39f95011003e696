package ai.aegis.cli;

import ai.aegis.cli.AegisSystem.Service;
import ai.aegis.schemas.json.Json;
import ai.aegis.testing.BrokerCluster;
import ai.aegis.testing.SharedTestCluster;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Brokers lost under the whole system (worker, workflow engine, approval service, ingress as {@code aegis up}
 * composes them) on the three-broker cluster, through the real HTTP API: the durability contract holds when the
 * cluster does not. One broker gone must cost at most a few 503s; two gone must refuse every write (with
 * min.insync.replicas 2 nothing can be durable on one broker) and never answer 200; and every execution that was
 * accepted ends exactly once.
 */
@Tag(FaultSuite.TAG)
class BrokerLossFaultTest {

    private static final Duration LOAD_INTERVAL = Duration.ofMillis(400);
    private static final Duration PROGRESS_WITHIN = Duration.ofSeconds(120);

    @TempDir
    Path dataDir;

    @Test
    void everyAcceptedExecutionEndsExactlyOnceWhenABrokerIsKilledUnderLoad() throws Exception {
        BrokerCluster cluster = SharedTestCluster.get();
        try (TestSystem system = FaultSuite.system(dataDir, cluster, EnumSet.allOf(Service.class), Map.of())) {
            String agentId = FaultSuite.deployAgent(system);
            String group = system.config().get("aegis.worker.group-id");
            List<SteadyLoad.Attempt> attempts;
            int victim;
            try (SteadyLoad load = SteadyLoad.executions(system, agentId, LOAD_INTERVAL)) {
                await().atMost(PROGRESS_WITHIN).until(() -> load.acceptedCount() >= 5);
                // the broker coordinating the workers' share group: its loss also moves their membership and
                // which requests they hold
                victim = cluster.shareCoordinatorOf(group);
                cluster.kill(victim);
                cluster.awaitFenced(victim, Duration.ofSeconds(60));
                int fenced = load.acceptedCount();
                // two brokers of three still make a write durable
                await().atMost(PROGRESS_WITHIN).until(() -> load.acceptedCount() >= fenced + 10);
                cluster.start(victim);
                int rejoined = load.acceptedCount();
                await().atMost(PROGRESS_WITHIN).until(() -> load.acceptedCount() >= rejoined + 5);
                attempts = load.stop();
            }
            FaultSuite.assertAnsweredInTime(attempts);
            List<String> accepted = SteadyLoad.accepted(attempts);
            Map<String, Integer> ended = FaultSuite.assertEachEndedExactlyOnce(system, accepted);
            FaultSuite.assertStreamsHealthy(system);

            Map<String, Object> counts = new LinkedHashMap<>();
            counts.put("killed_broker", victim);
            counts.put("posts", attempts.size());
            SteadyLoad.outcomes(attempts).forEach((outcome, n) -> counts.put("answered_" + outcome, n));
            ended.forEach(counts::put);
            FaultSuite.report("broker killed under load", counts);
        }
    }

    @Test
    void withTwoOfThreeBrokersDownExecutionsAreRefusedWith503AndAcceptedAgainOnceTheyReturn() throws Exception {
        BrokerCluster cluster = SharedTestCluster.get();
        try (TestSystem system = FaultSuite.system(dataDir, cluster, EnumSet.allOf(Service.class), Map.of())) {
            String agentId = FaultSuite.deployAgent(system);
            List<String> accepted = new ArrayList<>();
            accepted.add(system.startExecution(agentId, "before"));

            List<Integer> down = cluster.brokerIds().subList(0, 2);
            down.forEach(cluster::stop);
            List<SteadyLoad.Attempt> refused = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                refused.add(SteadyLoad.postExecution(system, agentId, "two down " + i));
            }
            assertThat(refused).allSatisfy(a -> {
                assertThat(a.status()).as("%s", a).isEqualTo(503);
                assertThat(a.took()).as("%s", a).isLessThan(SteadyLoad.HANG);
                assertThat(Json.tree(a.body()).path("error").asText()).isEqualTo("unavailable");
            });

            long back = System.nanoTime();
            down.forEach(cluster::start);
            List<SteadyLoad.Attempt> recovering = new ArrayList<>();
            await().atMost(PROGRESS_WITHIN).pollInterval(Duration.ofMillis(500)).until(() -> {
                SteadyLoad.Attempt a = SteadyLoad.postExecution(system, agentId, "back " + recovering.size());
                recovering.add(a);
                return a.accepted();
            });
            Duration recovery = Duration.ofNanos(System.nanoTime() - back);
            FaultSuite.assertAnsweredInTime(recovering);
            accepted.addAll(SteadyLoad.accepted(recovering));
            Map<String, Integer> ended = FaultSuite.assertEachEndedExactlyOnce(system, accepted);
            FaultSuite.assertStreamsHealthy(system); // the Streams applications waited the outage out

            Map<String, Object> counts = new LinkedHashMap<>();
            counts.put("stopped_brokers", down);
            counts.put("refused_503_while_down", refused.size());
            counts.put("posts_until_accepted_again", recovering.size());
            counts.put("seconds_to_accept_again", recovery.toSeconds());
            ended.forEach(counts::put);
            FaultSuite.report("two of three brokers stopped", counts);
        }
    }
}
