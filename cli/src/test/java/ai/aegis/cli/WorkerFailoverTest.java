package ai.aegis.cli;

import ai.aegis.cli.AegisSystem.Service;
import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.json.Json;
import ai.aegis.worker.llm.scripted.ScriptStep;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two workers of one group on the real broker; one of them is a separate {@code aegis worker} process that is
 * killed with SIGKILL mid-execution (no goodbye to the group, no commit, nothing more written). Every execution must
 * end exactly once, none may be left running.
 */
class WorkerFailoverTest {

    private static final String COMMAND = "sleep 4 && echo worked";
    private static final String REPLY = "done: {{last_tool_stdout}}";

    @Test
    void executionsOfAWorkerThatDiesAreRunAgainByTheOtherAndEndExactlyOnce(@TempDir Path dataDir) throws Exception {
        Map<String, String> fastFailover = Map.of("aegis.worker.failover-timeout-ms", "6000");
        try (TestSystem system = new TestSystem(dataDir, Map.of("work", List.of(
                ScriptStep.toolCall("cmd.run", Json.MAPPER.createObjectNode().put("command", COMMAND)),
                ScriptStep.reply(REPLY))), null, EnumSet.of(Service.INGRESS), fastFailover)) {
            String group = system.config().get("aegis.worker.group-id");
            // The process that will die joins first, so it keeps most partitions when the second worker joins.
            try (ServiceProcess doomed = ServiceProcess.worker(system, dataDir, "doomed-worker", "work", COMMAND, REPLY);
                 Admin admin = Admin.create(system.kafka.admin())) {
                doomed.awaitStableGroup(admin, group, 1);
                try (AegisSystem survivor = system.start(EnumSet.of(Service.WORKER))) {
                    doomed.awaitStableGroup(admin, group, 2);
                    String agentId = system.deploy(TestSystem.agent("failover", "work", 1));
                    List<String> ids = new ArrayList<>();
                    for (int i = 0; i < 6; i++) {
                        ids.add(system.startExecution(agentId, "job " + i));
                    }
                    // some execution runs in the doomed process: more are running than the survivor runs itself
                    await().atMost(Duration.ofSeconds(60)).until(() ->
                            running(system, ids) > survivor.worker().activeExecutions());
                    doomed.kill(); // SIGKILL: dies mid-execution

                    for (String id : ids) {
                        JsonAssert.status(system.awaitEnd(id, Duration.ofSeconds(90)), "completed");
                    }
                    Map<String, List<ExecutionEvent>> events = TopicLog.executionEvents(system.kafka, ids);
                    assertThat(events).hasSize(ids.size());
                    events.forEach((id, all) -> assertThat(all.stream().filter(ExecutionEvent::terminal)
                            .map(ExecutionEvent::type)).as(id).containsExactly("execution_completed"));
                    // what the dead process had started was started again by the survivor
                    assertThat(events.values()).anyMatch(all -> all.stream()
                            .filter(e -> e instanceof ExecutionEvent.ExecutionStarted).count() > 1);
                }
            }
        }
    }

    static long running(TestSystem system, List<String> ids) throws Exception {
        long n = 0;
        for (String id : ids) {
            if ("running".equals(Json.tree(system.get("/v1/executions/" + id).body()).path("status").asText())) {
                n++;
            }
        }
        return n;
    }

    /** Small assertion helper with a readable message. */
    static final class JsonAssert {
        static void status(com.fasterxml.jackson.databind.JsonNode view, String expected) {
            assertThat(view.get("status").asText()).as(view.toString()).isEqualTo(expected);
        }
    }
}
