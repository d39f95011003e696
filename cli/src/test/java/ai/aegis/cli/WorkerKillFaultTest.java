package ai.aegis.cli;

import ai.aegis.cli.AegisSystem.Service;
import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.testing.BrokerCluster;
import ai.aegis.testing.SharedTestCluster;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A worker process killed with SIGKILL mid-execution under a steady load, on the three-broker cluster: the other
 * worker of the group takes its partitions after the failover timeout and runs its unfinished executions again;
 * every accepted execution still ends exactly once. (Today's consumer-group worker; the share-group worker will
 * take the same case.)
 */
@Tag(FaultSuite.TAG)
class WorkerKillFaultTest {

    /** Share consumers per worker: each worker is this many members of the group. */
    private static final int SLOTS = 3;

    @TempDir
    Path dataDir;

    @Test
    void executionsOfAWorkerKilledUnderLoadAreRunAgainAndEndExactlyOnce() throws Exception {
        BrokerCluster cluster = SharedTestCluster.get();
        try (TestSystem system = FaultSuite.system(dataDir, cluster, EnumSet.of(Service.INGRESS),
                Map.of("aegis.worker.failover-timeout-ms", "6000", "aegis.worker.concurrency",
                        String.valueOf(SLOTS)));
             ServiceProcess doomed = ServiceProcess.worker(system, dataDir, "doomed-worker", FaultSuite.MODEL,
                     FaultSuite.TOOL_COMMAND, FaultSuite.REPLY);
             Admin admin = Admin.create(system.kafka.admin())) {
            String group = system.config().get("aegis.worker.group-id");
            doomed.awaitShareGroup(admin, group, SLOTS);
            try (AegisSystem survivor = system.start(EnumSet.of(Service.WORKER))) {
                doomed.awaitShareGroup(admin, group, 2 * SLOTS);
                String agentId = FaultSuite.deployAgent(system);
                List<SteadyLoad.Attempt> attempts;
                try (SteadyLoad load = SteadyLoad.executions(system, agentId, Duration.ofMillis(300))) {
                    // the doomed process is running some: more run than the survivor runs itself
                    await().atMost(Duration.ofSeconds(120)).until(() -> WorkerFailoverTest.running(system,
                            SteadyLoad.accepted(load.attempts())) > survivor.worker().activeExecutions());
                    doomed.kill();
                    int killed = load.acceptedCount();
                    await().atMost(Duration.ofSeconds(120)).until(() -> load.acceptedCount() >= killed + 10);
                    attempts = load.stop();
                }
                FaultSuite.assertAnsweredInTime(attempts);
                List<String> accepted = SteadyLoad.accepted(attempts);
                Map<String, Integer> ended = FaultSuite.assertEachEndedExactlyOnce(system, accepted);
                assertThat(ended).containsOnlyKeys("execution_completed");
                long reruns = TopicLog.executionEvents(system.kafka, accepted).values().stream()
                        .filter(events -> events.stream().filter(e -> e instanceof ExecutionEvent.ExecutionStarted)
                                .count() > 1).count();
                // what the dead process had started, the survivor started again
                assertThat(reruns).isPositive();

                Map<String, Object> counts = new LinkedHashMap<>();
                counts.put("posts", attempts.size());
                SteadyLoad.outcomes(attempts).forEach((outcome, n) -> counts.put("answered_" + outcome, n));
                counts.put("run_again", reruns);
                ended.forEach(counts::put);
                FaultSuite.report("worker killed under load", counts);
            }
        }
    }
}
