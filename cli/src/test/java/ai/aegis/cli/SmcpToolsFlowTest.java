package ai.aegis.cli;

import ai.aegis.cli.AegisSystem.Service;
import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.smcp.SmcpSession;
import ai.aegis.worker.llm.scripted.ScriptStep;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tools through SMCP, end to end on the real broker: an agent's sandbox attests, and every tool call its model makes
 * is signed by {@code bootstrap.py} and sent to {@code /v1/smcp/invoke}, where the agent's security context decides:
 * it writes and edits a file with {@code fs.*}, runs a command, calls two tools of a real MCP server process (stdio
 * JSON-RPC) and is refused a read outside its workspace, which comes back to the model as an error while the
 * execution goes on. The same run with SMCP off takes the same rules through the dispatch gateway alone.
 */
class SmcpToolsFlowTest {

    /** The test MCP server of the worker module's tests (standard-library Python, stdio). */
    static final Path NOTES_SERVER = Path.of("../execution-worker/src/test/resources/ai/aegis/worker/smcp/mcp/"
            + "notes_mcp_server.py").toAbsolutePath().normalize();

    @TempDir
    static Path signedDir;
    @TempDir
    static Path plainDir;
    static TestSystem signed;
    static TestSystem plain;

    static final List<String> TOOLS_IN_ORDER = List.of("fs.write", "fs.edit", "cmd.run", "notes.add_note", "fs.read",
            "notes.list_notes");

    @BeforeAll
    static void start() throws Exception {
        assertThat(NOTES_SERVER).exists();
        Map<String, List<ScriptStep>> scripts = Map.of("smcp-tools", List.of(
                ScriptStep.toolCall("fs.write", TestSystem.args("{\"path\":\"notes.txt\",\"content\":\"colour: red\\n\"}")),
                ScriptStep.toolCall("fs.edit", TestSystem.args("{\"path\":\"/workspace/notes.txt\","
                        + "\"target_content\":\"red\",\"replacement_content\":\"blue\"}")),
                ScriptStep.toolCall("cmd.run", TestSystem.args("{\"command\":\"cat notes.txt\"}")),
                ScriptStep.toolCall("notes.add_note", TestSystem.args("{\"text\":\"{{last_tool_stdout}}\"}")),
                ScriptStep.toolCall("fs.read", TestSystem.args("{\"path\":\"/etc/passwd\"}")),
                ScriptStep.toolCall("notes.list_notes", TestSystem.args("{}")),
                ScriptStep.reply("notes: {{last_tool_output}}")));
        signed = new TestSystem(signedDir, scripts, null, EnumSet.of(Service.WORKER, Service.INGRESS),
                settings(true));
        plain = new TestSystem(plainDir, scripts, null, EnumSet.of(Service.WORKER, Service.INGRESS),
                settings(false));
    }

    @AfterAll
    static void stop() {
        if (signed != null) {
            signed.close();
        }
        if (plain != null) {
            plain.close();
        }
    }

    /** An MCP server and a security context of the agent's own, as configuration keys. */
    static Map<String, String> settings(boolean smcp) {
        Map<String, String> s = new HashMap<>();
        s.put("aegis.smcp.enabled", Boolean.toString(smcp));
        s.put("aegis.smcp.mcp-servers.0.name", "notes");
        s.put("aegis.smcp.mcp-servers.0.command.0", "/usr/bin/python3");
        s.put("aegis.smcp.mcp-servers.0.command.1", NOTES_SERVER.toString());
        String ctx = "aegis.smcp.security-contexts.0.";
        s.put(ctx + "name", "e2e-tools");
        s.put(ctx + "description", "files, cat, and the notes server");
        s.put(ctx + "capabilities.0.tool-pattern", "fs.*");
        s.put(ctx + "capabilities.0.path-allowlist.0", "/workspace");
        s.put(ctx + "capabilities.1.tool-pattern", "cmd.run");
        s.put(ctx + "capabilities.1.command-allowlist.0", "cat");
        s.put(ctx + "capabilities.2.tool-pattern", "notes.*");
        s.put(ctx + "deny-list.0", "notes.fail");
        return s;
    }

    static String agent(String name) {
        return """
                {"apiVersion":"100monkeys.ai/v1","kind":"Agent",
                 "metadata":{"name":"%s","version":"1.0.0","description":"edits a file and takes notes"},
                 "spec":{"runtime":{"model":"smcp-tools"},"task":{"instruction":"Fix the colour and note it."},
                         "execution":{"max_iterations":1,"iteration_timeout":"60s"},
                         "security_context":"e2e-tools",
                         "tools":["fs.*","cmd.run","notes.*"]}}""".formatted(name);
    }

    @Test
    void everyToolCallIsSignedCheckedAndRoutedAndARefusalDoesNotStopTheExecution() throws Exception {
        String executionId = runOn(signed, "smcp-signed");
        List<ExecutionEvent> events = eventsOf(signed, executionId);

        ExecutionEvent.PolicyViolation violation = only(events, ExecutionEvent.PolicyViolation.class);
        assertThat(violation.tool()).isEqualTo("fs.read");
        assertThat(violation.violationType()).isEqualTo("path_outside_boundary");
        assertThat(violation.source()).isEqualTo("smcp");
        assertThat(violation.securityContext()).isEqualTo("e2e-tools");

        String metrics = signed.get("/metrics").body();
        assertThat(metrics).contains("aegis_smcp_attestations_total{result=\"ok\"} 1")
                .contains("aegis_smcp_invocations_total{result=\"ok\"} 5")
                .contains("aegis_smcp_invocations_total{result=\"policy_violation\"} 1")
                .contains("aegis_smcp_policy_violations_total{violation_type=\"path_outside_boundary\"} 1");

        // the session was on the topic for any worker to verify, and its end too (a tombstone)
        String topic = signed.kafka.topics().smcpSessions().name();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            List<Map.Entry<String, byte[]>> records = TopicLog.records(signed.kafka, topic);
            assertThat(records).anySatisfy(r -> assertThat(r.getKey()).startsWith("jwk:"));
            List<Map.Entry<String, byte[]>> session = records.stream().filter(r -> r.getValue() == null
                    || (!r.getKey().startsWith("jwk:") && Json.read(r.getValue(), SmcpSession.class).executionId()
                    .equals(executionId))).toList();
            assertThat(session).hasSize(2);
            assertThat(session.get(0).getValue()).isNotNull();
            assertThat(session.get(1).getKey()).isEqualTo(session.get(0).getKey());
            assertThat(session.get(1).getValue()).isNull();
        });
    }

    @Test
    void withoutSmcpTheGatewayAppliesTheSameRules() throws Exception {
        String executionId = runOn(plain, "smcp-plain");
        List<ExecutionEvent> events = eventsOf(plain, executionId);

        ExecutionEvent.PolicyViolation violation = only(events, ExecutionEvent.PolicyViolation.class);
        assertThat(violation.tool()).isEqualTo("fs.read");
        assertThat(violation.violationType()).isEqualTo("path_outside_boundary");
        assertThat(violation.source()).isEqualTo("gateway");
        assertThat(plain.get("/metrics").body()).doesNotContain("aegis_smcp_attestations_total{result=\"ok\"}")
                .contains("aegis_smcp_policy_violations_total{violation_type=\"path_outside_boundary\"} 1");
    }

    /** Runs the agent to its end on {@code system} and checks what every path has in common. */
    private static String runOn(TestSystem system, String name) throws Exception {
        String agentId = system.deploy(agent(name));
        String executionId = system.startExecution(agentId, "go");
        JsonNode view = system.awaitEnd(executionId, Duration.ofSeconds(90));
        assertThat(view.get("status").asText()).as(view.toString()).isEqualTo("completed");
        assertThat(view.get("final_output").asText()).startsWith("notes: ").contains("colour: blue");

        List<ExecutionEvent> events = eventsOf(system, executionId);
        List<ExecutionEvent.ToolCall> calls = events.stream().filter(ExecutionEvent.ToolCall.class::isInstance)
                .map(ExecutionEvent.ToolCall.class::cast).toList();
        assertThat(calls).extracting(ExecutionEvent.ToolCall::name).containsExactlyElementsOf(TOOLS_IN_ORDER);
        ExecutionEvent.ToolCall cat = calls.get(2);
        assertThat(cat.exitCode()).isZero();
        assertThat(cat.resultSummary()).contains("colour: blue");
        assertThat(calls.get(3).resultSummary()).contains("noted: colour: blue");
        return executionId;
    }

    private static List<ExecutionEvent> eventsOf(TestSystem system, String executionId) {
        return TopicLog.executionEvents(system.kafka, List.of(executionId)).get(executionId);
    }

    private static <T> T only(List<ExecutionEvent> events, Class<T> type) {
        List<T> found = events.stream().filter(type::isInstance).map(type::cast).toList();
        assertThat(found).hasSize(1);
        return found.getFirst();
    }
}
