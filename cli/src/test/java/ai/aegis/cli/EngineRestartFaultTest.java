package ai.aegis.cli;

import ai.aegis.cli.AegisSystem.Service;
import ai.aegis.testing.BrokerCluster;
import ai.aegis.testing.SharedTestCluster;
import ai.aegis.topology.workflow.WorkflowEngineService;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The workflow engine, an {@code aegis engine} process, killed with SIGKILL under a steady load of workflow runs and
 * started again on its data directory, on the three-broker cluster. Its transactions make the kill invisible: every
 * accepted run ends with exactly one terminal event, and its one Agent step was requested exactly once (an attempt
 * the kill cut short was aborted, and read_committed readers never see it).
 */
@Tag(FaultSuite.TAG)
class EngineRestartFaultTest {

    @TempDir
    Path dataDir;

    @Test
    void runsOfAnEngineKilledAndRestartedEndExactlyOnceWithEachStepRequestedOnce() throws Exception {
        BrokerCluster cluster = SharedTestCluster.get();
        try (TestSystem system = FaultSuite.system(dataDir, cluster,
                EnumSet.of(Service.WORKER, Service.APPROVALS, Service.INGRESS), Map.of());
             Admin admin = Admin.create(system.kafka.admin())) {
            FaultSuite.deployAgent(system);
            HttpResponse<String> registered = system.post("/v1/workflows", FaultSuite.WORKFLOW);
            assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
            String group = WorkflowEngineService.defaultApplicationId(system.kafka);
            // its own state directory; a dead member leaves the group after 10 s instead of Streams' 45
            Map<String, String> engine = Map.of("aegis.data-dir", dataDir.resolve("engine").toString(),
                    "aegis.kafka.properties.session.timeout.ms", "10000");

            List<SteadyLoad.Attempt> attempts;
            try (ServiceProcess first = ServiceProcess.start(system, dataDir, "engine-1", "engine", engine, a -> { })) {
                first.awaitStableGroup(admin, group, 1);
                try (SteadyLoad load = SteadyLoad.workflowRuns(system, FaultSuite.WORKFLOW_NAME, Duration.ofMillis(500))) {
                    await().atMost(Duration.ofSeconds(120)).until(() -> load.acceptedCount() >= 5
                            && !FaultSuite.runTerminals(system, SteadyLoad.accepted(load.attempts())).isEmpty());
                    first.kill();
                    try (ServiceProcess second = ServiceProcess.start(system, dataDir, "engine-2", "engine", engine,
                            a -> { })) {
                        second.awaitStableGroup(admin, group, 1);
                        int restarted = load.acceptedCount();
                        await().atMost(Duration.ofSeconds(120)).until(() -> load.acceptedCount() >= restarted + 5);
                        attempts = load.stop();
                        FaultSuite.assertAnsweredInTime(attempts);
                        List<String> runs = SteadyLoad.accepted(attempts);
                        Map<String, Integer> ended = FaultSuite.assertExactlyOneTerminal("workflow run", runs,
                                () -> FaultSuite.runTerminals(system, runs));

                        List<String> executions = FaultSuite.assertEachStepRequestedOnce(system, runs);
                        Map<String, Integer> executionsEnded = FaultSuite.assertEachEndedExactlyOnce(system,
                                executions);

                        Map<String, Object> counts = new LinkedHashMap<>();
                        counts.put("runs_posted", attempts.size());
                        SteadyLoad.outcomes(attempts).forEach((outcome, n) -> counts.put("answered_" + outcome, n));
                        ended.forEach(counts::put);
                        executionsEnded.forEach(counts::put);
                        FaultSuite.report("workflow engine killed and restarted", counts);
                    }
                }
            }
        }
    }
}
