package ai.aegis.worker.gateway;

import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.json.Json;
import ai.aegis.worker.execution.RecordingSink;
import ai.aegis.worker.llm.ModelRegistry;
import ai.aegis.worker.llm.ResolvedModel;
import ai.aegis.worker.llm.scripted.ScriptStep;
import ai.aegis.worker.llm.scripted.ScriptedProvider;
import ai.aegis.worker.smcp.SmcpMetrics;
import ai.aegis.worker.smcp.policy.SecurityContext;
import ai.aegis.worker.smcp.policy.SecurityContexts;
import ai.aegis.worker.smcp.tools.ToolInvoker;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The inner loop of the dispatch gateway, driven the way bootstrap.py drives it, against the scripted model: the
 * token check, dispatch and result, the events, refused tools, the round limit and model failures.
 */
class DispatchGatewayTest {

    private static final SecurityContext OPERATOR = SecurityContexts.defaults().get(SecurityContexts.OPERATOR).orElseThrow();

    private static final String TOKEN = "token-" + UUID.randomUUID();
    private static final long MAX_OUTPUT = 524_288;

    /** Each alias is a model with its own script, so every test picks its model by alias. */
    private static final ScriptedProvider PROVIDER = new ScriptedProvider("scripted-test", Map.of(
            "uname", List.of(
                    ScriptStep.toolCall("cmd.run", Json.tree("{\"command\":\"uname -a\"}")),
                    ScriptStep.reply("The sandbox says: {{last_tool_stdout}}")),
            "forbidden-tool", List.of(
                    ScriptStep.toolCall("fs.write", Json.tree("{\"path\":\"/etc/passwd\",\"content\":\"x\"}")),
                    ScriptStep.reply("told: {{last_tool_output}}")),
            "endless", endlessToolCalls(51),
            "failing", List.of(ScriptStep.error("model overloaded"))));

    private static final ModelRegistry MODELS = new ModelRegistry(List.of(
            new ResolvedModel("uname", PROVIDER, "uname"),
            new ResolvedModel("forbidden-tool", PROVIDER, "forbidden-tool"),
            new ResolvedModel("endless", PROVIDER, "endless"),
            new ResolvedModel("failing", PROVIDER, "failing")));

    private final InnerLoopRegistry sessions = new InnerLoopRegistry();
    private final DispatchGateway gateway = new DispatchGateway(sessions, MODELS, ToolInvoker.builtinOnly(MAX_OUTPUT),
            new SmcpMetrics());
    private final RecordingSink events = new RecordingSink();

    private static List<ScriptStep> endlessToolCalls(int rounds) {
        List<ScriptStep> steps = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            steps.add(ScriptStep.toolCall("cmd.run", Json.tree("{\"command\":\"echo round " + i + "\"}")));
        }
        steps.add(ScriptStep.reply("never reached"));
        return steps;
    }

    private InnerLoopSession session(String modelAlias) {
        InnerLoopSession s = new InnerLoopSession(UUID.randomUUID().toString(), UUID.randomUUID().toString(), 1,
                TOKEN, List.of("cmd.run"), modelAlias, OPERATOR, events);
        sessions.register(s);
        return s;
    }

    private static ObjectNode generate(InnerLoopSession s) {
        ObjectNode m = Json.object();
        m.put("type", "generate");
        m.put("execution_id", s.executionId());
        m.put("iteration_number", s.iteration());
        m.put("prompt", "What OS is this?");
        return m;
    }

    private static ObjectNode result(InnerLoopSession s, String dispatchId, int exitCode, String stdout) {
        ObjectNode m = Json.object();
        m.put("type", "dispatch_result");
        m.put("execution_id", s.executionId());
        m.put("dispatch_id", dispatchId);
        m.put("exit_code", exitCode);
        m.put("stdout", stdout);
        m.put("stderr", "");
        m.put("duration_ms", 12);
        m.put("truncated", false);
        return m;
    }

    private GatewayException refused(String token, JsonNode message) {
        return catchThrowableOfType(GatewayException.class, () -> gateway.handle(token, message));
    }

    @Test
    void noTokenWrongTokenAndUnknownExecutionAreTheSame401() {
        InnerLoopSession s = session("uname");
        ObjectNode unknown = generate(s).put("execution_id", UUID.randomUUID().toString());

        GatewayException none = refused(null, generate(s));
        GatewayException wrong = refused(TOKEN + "x", generate(s));
        GatewayException otherExecution = refused(TOKEN, unknown);

        assertThat(List.of(none, wrong, otherExecution)).allSatisfy(e -> {
            assertThat(e).isNotNull();
            assertThat(e.status()).isEqualTo(401);
        });
        assertThat(wrong.getMessage()).isEqualTo(none.getMessage()).isEqualTo(otherExecution.getMessage());
        // A refused call touched nothing: the model was never asked and the session can still start.
        assertThat(events.all()).isEmpty();
        assertThat(s.started).isFalse();
    }

    @Test
    void aSessionsTokenDoesNotOpenAnotherSession() {
        InnerLoopSession mine = session("uname");
        InnerLoopSession other = new InnerLoopSession(UUID.randomUUID().toString(), "agent", 1, "other-token",
                List.of("cmd.run"), "uname", OPERATOR, events);
        sessions.register(other);

        assertThat(refused(TOKEN, generate(other)).status()).isEqualTo(401);
        assertThat(refused("other-token", generate(mine)).status()).isEqualTo(401);
    }

    @Test
    void malformedMessagesAre400s() {
        InnerLoopSession s = session("uname");

        assertThat(refused(TOKEN, Json.tree("[1]")).status()).isEqualTo(400);
        assertThat(refused(TOKEN, generate(s).put("execution_id", "not-a-uuid")).status()).isEqualTo(400);
        GatewayException unknownType = refused(TOKEN, generate(s).put("type", "shutdown"));
        assertThat(unknownType.status()).isEqualTo(400);
        assertThat(unknownType.getMessage()).contains("shutdown");
    }

    @Test
    void aCommandGoesToTheSandboxAndItsResultBackToTheModel() throws GatewayException {
        InnerLoopSession s = session("uname");

        ObjectNode dispatch = gateway.handle(TOKEN, generate(s));

        assertThat(dispatch.path("type").asText()).isEqualTo("dispatch");
        assertThat(dispatch.path("action").asText()).isEqualTo("exec");
        assertThat(dispatch.path("command").asText()).isEqualTo("uname -a");
        assertThat(dispatch.path("args").isArray()).isTrue();
        assertThat(dispatch.path("args")).isEmpty();
        assertThat(dispatch.path("cwd").asText()).isEqualTo("/workspace");
        assertThat(dispatch.path("env_additions").isObject()).isTrue();
        assertThat(dispatch.path("timeout_secs").asInt()).isEqualTo(ToolInvoker.DEFAULT_COMMAND_TIMEOUT_SECS);
        assertThat(dispatch.path("max_output_bytes").asLong()).isEqualTo(MAX_OUTPUT);
        String dispatchId = dispatch.path("dispatch_id").asText();
        assertThat(UUID.fromString(dispatchId).toString()).isEqualTo(dispatchId);

        // A second generate for the same iteration is refused; the dispatch stays pending.
        assertThat(refused(TOKEN, generate(s)).status()).isEqualTo(409);

        GatewayException mismatched = refused(TOKEN, result(s, UUID.randomUUID().toString(), 0, "x"));
        assertThat(mismatched.status()).isEqualTo(409);
        assertThat(mismatched.getMessage()).isEqualTo("Mismatched dispatch_id");

        ObjectNode fin = gateway.handle(TOKEN, result(s, dispatchId, 0, "Linux sandbox 6.1.0\n"));

        assertThat(fin.path("type").asText()).isEqualTo("final");
        assertThat(fin.path("content").asText()).isEqualTo("The sandbox says: Linux sandbox 6.1.0");
        assertThat(fin.path("tool_calls_executed").asInt()).isEqualTo(1);
        JsonNode conversation = fin.path("conversation");
        assertThat(conversation.findValuesAsText("role"))
                .containsExactly("system", "user", "assistant", "tool", "assistant");
        assertThat(conversation.get(0).path("content").asText()).isEqualTo(DispatchGateway.SYSTEM_POLICY);
        assertThat(conversation.get(1).path("content").asText()).isEqualTo("What OS is this?");
        JsonNode call = conversation.get(2).path("tool_calls").get(0);
        assertThat(call.path("name").asText()).isEqualTo("cmd.run");
        assertThat(call.path("arguments").path("command").asText()).isEqualTo("uname -a");
        assertThat(conversation.get(3).path("tool_call_id").asText()).isEqualTo(call.path("id").asText());
        JsonNode toolResult = Json.tree(conversation.get(3).path("content").asText());
        assertThat(toolResult.path("exit_code").asInt()).isZero();
        assertThat(toolResult.path("stdout").asText()).isEqualTo("Linux sandbox 6.1.0\n");
        assertThat(s.finalContent()).isEqualTo("The sandbox says: Linux sandbox 6.1.0");
        assertThat(s.failure()).isNull();

        List<ExecutionEvent.LlmInteraction> llm = events.of(ExecutionEvent.LlmInteraction.class);
        assertThat(llm).hasSize(2).allSatisfy(e -> {
            assertThat(e.executionId()).isEqualTo(s.executionId());
            assertThat(e.iterationNumber()).isEqualTo(1);
            assertThat(e.provider()).isEqualTo("scripted-test");
            assertThat(e.model()).isEqualTo("uname");
        });
        assertThat(llm).extracting(ExecutionEvent.LlmInteraction::finishReason).containsExactly("tool_calls", "stop");
        List<ExecutionEvent.ToolCall> tools = events.of(ExecutionEvent.ToolCall.class);
        assertThat(tools).singleElement().satisfies(t -> {
            assertThat(t.executionId()).isEqualTo(s.executionId());
            assertThat(t.name()).isEqualTo("cmd.run");
            assertThat(t.toolCallId()).isEqualTo(call.path("id").asText());
            assertThat(t.exitCode()).isZero();
            assertThat(t.resultSummary()).isEqualTo("exit 0: Linux sandbox 6.1.0");
            assertThat(t.durationMs()).isEqualTo(12);
        });
        // Order: model, tool, model.
        assertThat(events.all()).extracting(e -> e.getClass().getSimpleName())
                .containsExactly("LlmInteraction", "ToolCall", "LlmInteraction");

        // Nothing is pending any more.
        assertThat(refused(TOKEN, result(s, dispatchId, 0, "again")).status()).isEqualTo(409);
    }

    @Test
    void aToolTheAgentDoesNotHaveIsAnsweredToTheModelNotDispatched() throws GatewayException {
        InnerLoopSession s = session("forbidden-tool");

        ObjectNode reply = gateway.handle(TOKEN, generate(s));

        assertThat(reply.path("type").asText()).as("no dispatch for a refused tool").isEqualTo("final");
        assertThat(reply.path("content").asText())
                .isEqualTo("told: Tool execution error: refused by policy: tool 'fs.write' is not in the agent's "
                        + "spec.tools [cmd.run]");
        JsonNode toolMessage = reply.path("conversation").get(3);
        assertThat(toolMessage.path("role").asText()).isEqualTo("tool");
        assertThat(toolMessage.path("content").asText()).startsWith("Tool execution error:").contains("fs.write");
        assertThat(events.of(ExecutionEvent.ToolCall.class)).singleElement().satisfies(call -> {
            assertThat(call.name()).isEqualTo("fs.write");
            assertThat(call.resultSummary()).startsWith("[policy_violation] refused by policy:");
            assertThat(call.exitCode()).isNull();
        });
        assertThat(events.of(ExecutionEvent.LlmInteraction.class)).hasSize(2);
        ExecutionEvent.PolicyViolation violation = events.of(ExecutionEvent.PolicyViolation.class).getFirst();
        assertThat(violation.violationType()).isEqualTo("tool_not_allowed");
        assertThat(violation.source()).isEqualTo("gateway");
        assertThat(violation.tool()).isEqualTo("fs.write");
    }

    @Test
    void aModelThatNeverStopsCallingToolsIsStoppedAfterFiftyRounds() throws GatewayException {
        InnerLoopSession s = session("endless");

        ObjectNode reply = gateway.handle(TOKEN, generate(s));
        int dispatches = 0;
        GatewayException stopped = null;
        while (stopped == null) {
            assertThat(reply.path("type").asText()).isEqualTo("dispatch");
            assertThat(reply.path("command").asText()).isEqualTo("echo round " + dispatches);
            dispatches++;
            assertThat(dispatches).as("bounded").isLessThanOrEqualTo(DispatchGateway.MAX_TOOL_ROUNDS);
            try {
                reply = gateway.handle(TOKEN, result(s, reply.path("dispatch_id").asText(), 0, "ok"));
            } catch (GatewayException e) {
                stopped = e;
            }
        }

        assertThat(stopped.status()).isEqualTo(422);
        assertThat(dispatches).isEqualTo(DispatchGateway.MAX_TOOL_ROUNDS);
        assertThat(s.failure()).isEqualTo(stopped.getMessage()).contains("50");
        assertThat(s.finalContent()).isNull();
        assertThat(events.of(ExecutionEvent.LlmInteraction.class)).hasSize(DispatchGateway.MAX_TOOL_ROUNDS);
        assertThat(events.of(ExecutionEvent.ToolCall.class)).hasSize(DispatchGateway.MAX_TOOL_ROUNDS);
    }

    @Test
    void aFailingModelIsA502NamingIt() {
        InnerLoopSession s = session("failing");

        GatewayException e = refused(TOKEN, generate(s));

        assertThat(e.status()).isEqualTo(502);
        assertThat(s.failure()).contains("'failing'").contains("model overloaded");
        assertThat(e.getMessage()).isEqualTo(s.failure());
        assertThat(events.of(ExecutionEvent.LlmInteraction.class)).isEmpty();
    }

    @Test
    void anUnknownModelAliasIsA422() {
        InnerLoopSession s = session("no-such-alias");

        GatewayException e = refused(TOKEN, generate(s));

        assertThat(e.status()).isEqualTo(422);
        assertThat(s.failure()).contains("no-such-alias");
    }

}
