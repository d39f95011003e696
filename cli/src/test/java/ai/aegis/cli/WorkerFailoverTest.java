package ai.aegis.cli;

import ai.aegis.cli.AegisSystem.Service;
import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.json.Json;
import ai.aegis.worker.llm.scripted.ScriptStep;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

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
            Process doomed = startWorkerProcess(system, dataDir);
            try (Admin admin = Admin.create(system.kafka.admin())) {
                awaitStableMembers(admin, group, 1, doomed, dataDir);
                try (AegisSystem survivor = system.start(EnumSet.of(Service.WORKER))) {
                    awaitStableMembers(admin, group, 2, doomed, dataDir);
                    String agentId = system.deploy(TestSystem.agent("failover", "work", 1));
                    List<String> ids = new ArrayList<>();
                    for (int i = 0; i < 6; i++) {
                        ids.add(system.startExecution(agentId, "job " + i));
                    }
                    // some execution runs in the doomed process: more are running than the survivor runs itself
                    await().atMost(Duration.ofSeconds(60)).until(() ->
                            running(system, ids) > survivor.worker().activeExecutions());
                    List<ProcessHandle> sandboxes = doomed.descendants().toList();
                    doomed.destroyForcibly(); // SIGKILL: dies mid-execution
                    assertThat(doomed.waitFor(10, TimeUnit.SECONDS)).isTrue();
                    // A crash leaves its sandboxes running, cut off from their gateway; the test removes them so
                    // that it leaves nothing behind.
                    sandboxes.forEach(ProcessHandle::destroyForcibly);

                    for (String id : ids) {
                        JsonAssert.status(system.awaitEnd(id, Duration.ofSeconds(90)), "completed");
                    }
                    Map<String, List<ExecutionEvent>> events = ExecutionEventLog.read(system.kafka, ids);
                    assertThat(events).hasSize(ids.size());
                    events.forEach((id, all) -> assertThat(all.stream().filter(ExecutionEvent::terminal)
                            .map(ExecutionEvent::type)).as(id).containsExactly("execution_completed"));
                    // what the dead process had started was started again by the survivor
                    assertThat(events.values()).anyMatch(all -> all.stream()
                            .filter(e -> e instanceof ExecutionEvent.ExecutionStarted).count() > 1);
                }
            } finally {
                doomed.descendants().forEach(ProcessHandle::destroyForcibly);
                doomed.destroyForcibly();
            }
        }
    }

    /**
     * {@code aegis worker} in its own JVM, on the test system's configuration (same broker, topics and group), with
     * the same scripted model given as configuration.
     */
    private static Process startWorkerProcess(TestSystem system, Path dataDir) throws IOException {
        ObjectNode config = Json.MAPPER.createObjectNode();
        system.config().forEach((key, value) -> {
            String[] path = key.split("\\.");
            ObjectNode node = config;
            for (int i = 0; i < path.length - 1; i++) {
                node = node.withObject("/" + path[i]);
            }
            node.put(path[path.length - 1], value);
        });
        ObjectNode provider = config.withObject("/aegis").withObject("/llm").putArray("providers").addObject()
                .put("name", "scripted-test").put("type", "scripted");
        provider.putArray("models").addObject().put("alias", "work").put("model", "work");
        ArrayNode script = provider.putObject("scripts").putArray("work");
        script.addObject().putObject("tool_call").put("name", "cmd.run")
                .put("arguments", Json.write(Map.of("command", COMMAND)));
        script.addObject().put("reply", REPLY);
        Path file = dataDir.resolve("doomed-worker.yaml");
        Json.YAML.writeValue(file.toFile(), config);
        String java = ProcessHandle.current().info().command().orElse("java");
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "--enable-native-access=ALL-UNNAMED",
                "-cp", classpath, AegisMain.class.getName(), "worker", "--config", file.toString());
        pb.environment().put("CLASSPATH", ""); // the class path is given above, never inherited
        pb.redirectErrorStream(true).redirectOutput(dataDir.resolve("doomed-worker.log").toFile());
        return pb.start();
    }

    private static void awaitStableMembers(Admin admin, String group, int members, Process doomed, Path dataDir) {
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            assertThat(doomed.isAlive()).as(() -> "the worker process is running; its log:\n"
                    + read(dataDir.resolve("doomed-worker.log"))).isTrue();
            ConsumerGroupDescription d;
            try {
                d = admin.describeConsumerGroups(List.of(group)).all().get(10, TimeUnit.SECONDS).get(group);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof GroupIdNotFoundException) {
                    return false; // nobody joined yet
                }
                throw e;
            }
            return d.groupState() == GroupState.STABLE && d.members().size() == members
                    && d.members().stream().allMatch(m -> !m.assignment().topicPartitions().isEmpty());
        });
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    private static long running(TestSystem system, List<String> ids) throws Exception {
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
