package ai.aegis.worker.llm.scripted;

import ai.aegis.schemas.json.Json;
import ai.aegis.worker.llm.ChatMessage;
import ai.aegis.worker.llm.LlmException;
import ai.aegis.worker.llm.LlmRequest;
import ai.aegis.worker.llm.LlmResponse;
import ai.aegis.worker.llm.ToolCallRequest;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class ScriptedProviderTest {

    private static final String SANDBOX_RESULT =
            "{\"exit_code\":0,\"stdout\":\"  Linux 6.1.0\\n\",\"stderr\":\"\",\"truncated\":false}";

    private final ScriptedProvider provider = new ScriptedProvider("scripted", Map.of(
            "hello", List.of(
                    ScriptStep.toolCall("cmd.run", Json.tree("{\"command\":\"echo {{input}}\",\"n\":3}")),
                    ScriptStep.reply("stdout=[{{last_tool_stdout}}] raw={{last_tool_output}}")),
            "calls-only", List.of(new ScriptStep.ToolCalls(List.of(
                    new ScriptStep.Call("fs.read", Json.tree("{\"path\":\"/a\"}")),
                    new ScriptStep.Call("fs.read", Json.tree("{\"path\":\"/b\"}"))))),
            "failing", List.of(ScriptStep.reply("first"), ScriptStep.error("model overloaded"))));

    private static LlmRequest request(String script, List<ChatMessage> messages) {
        return new LlmRequest(script, messages, List.of());
    }

    @Test
    void theStepIsTheNumberOfAssistantMessagesSoFar() throws LlmException {
        List<ChatMessage> conversation = new ArrayList<>(List.of(ChatMessage.system("sys"), ChatMessage.user("hi there")));

        LlmResponse first = provider.chat(request("hello", conversation));

        assertThat(first.hasToolCalls()).isTrue();
        assertThat(first.finishReason()).isEqualTo("tool_calls");
        assertThat(first.inputTokens()).isNull();
        assertThat(first.outputTokens()).isNull();
        ToolCallRequest call = first.toolCalls().getFirst();
        assertThat(call.id()).isEqualTo("call_0_0");
        assertThat(call.name()).isEqualTo("cmd.run");
        assertThat(call.arguments().path("command").asText()).isEqualTo("echo hi there");
        assertThat(call.arguments().path("n").asInt()).as("non-string arguments untouched").isEqualTo(3);

        conversation.add(ChatMessage.assistantToolCalls(null, first.toolCalls()));
        conversation.add(ChatMessage.tool(call.id(), SANDBOX_RESULT));
        LlmResponse second = provider.chat(request("hello", conversation));

        assertThat(second.hasToolCalls()).isFalse();
        assertThat(second.finishReason()).isEqualTo("stop");
        assertThat(second.model()).isEqualTo("hello");
        assertThat(second.content()).isEqualTo("stdout=[Linux 6.1.0] raw=" + SANDBOX_RESULT);
    }

    @Test
    void statelessSoTheSameConversationGetsTheSameAnswer() throws LlmException {
        List<ChatMessage> conversation = List.of(ChatMessage.user("a"));

        assertThat(provider.chat(request("hello", conversation)))
                .isEqualTo(provider.chat(request("hello", conversation)));
    }

    @Test
    void severalToolCallsGetDeterministicIds() throws LlmException {
        LlmResponse response = provider.chat(request("calls-only", List.of(ChatMessage.user("x"))));

        assertThat(response.toolCalls()).extracting(ToolCallRequest::id).containsExactly("call_0_0", "call_0_1");
        assertThat(response.toolCalls()).extracting(c -> c.arguments().path("path").asText())
                .containsExactly("/a", "/b");
    }

    @Test
    void plainTextToolOutputIsItsOwnStdout() throws LlmException {
        LlmResponse response = provider.chat(request("hello", List.of(ChatMessage.user("x"),
                ChatMessage.assistant("calling"), ChatMessage.tool("call_0_0", "  plain text\n"))));

        assertThat(response.content()).isEqualTo("stdout=[plain text] raw=  plain text\n");
    }

    @Test
    void templateLikeTextInsideValuesIsNotExpandedAgain() throws LlmException {
        LlmResponse response = provider.chat(request("hello", List.of(ChatMessage.user("x"),
                ChatMessage.assistant("calling"), ChatMessage.tool("c", "{{input}} $1 \\"))));

        assertThat(response.content()).isEqualTo("stdout=[{{input}} $1 \\] raw={{input}} $1 \\");
    }

    @Test
    void errorStepThrowsNonRetryable() {
        LlmException error = catchThrowableOfType(LlmException.class, () -> provider.chat(
                request("failing", List.of(ChatMessage.user("x"), ChatMessage.assistant("first")))));

        assertThat(error.getMessage()).isEqualTo("model overloaded");
        assertThat(error.retryable()).isFalse();
    }

    @Test
    void pastTheEndTheLastReplyRepeats() throws LlmException {
        List<ChatMessage> long_ = List.of(ChatMessage.user("x"), ChatMessage.assistant("1"),
                ChatMessage.assistant("2"), ChatMessage.assistant("3"), ChatMessage.tool("c", "out"));

        assertThat(provider.chat(request("hello", long_)).content()).isEqualTo("stdout=[out] raw=out");
        assertThat(provider.chat(request("failing", long_)).content()).isEqualTo("first");
    }

    @Test
    void pastTheEndWithoutAnyReplyTheScriptIsExhausted() throws LlmException {
        LlmResponse response = provider.chat(request("calls-only",
                List.of(ChatMessage.user("x"), ChatMessage.assistant("done"))));

        assertThat(response.content()).isEqualTo(ScriptedProvider.EXHAUSTED);
        assertThat(response.hasToolCalls()).isFalse();
    }

    @Test
    void unknownScriptNamesTheKnownOnes() {
        assertThatThrownBy(() -> provider.chat(request("nope", List.of(ChatMessage.user("x")))))
                .isInstanceOf(LlmException.class)
                .hasMessageContaining("no script 'nope'").hasMessageContaining("hello");
    }

    @Test
    void parsesScriptsFromAConfigurationTree() throws LlmException {
        ScriptedProvider parsed = ScriptedProvider.fromJson("s", Json.tree("""
                {"demo": [
                  {"tool_call": {"name": "cmd.run", "arguments": {"command": "ls"}}},
                  {"tool_calls": [{"name": "a", "arguments": "{\\"n\\": 1}"}, {"name": "b"}]},
                  {"error": "boom"},
                  {"reply": "ok {{input}}"}
                ]}"""));

        List<ScriptStep> steps = parsed.scripts().get("demo");
        assertThat(steps).hasSize(4);
        assertThat(steps.get(0)).isEqualTo(ScriptStep.toolCall("cmd.run", Json.tree("{\"command\":\"ls\"}")));
        ScriptStep.ToolCalls two = (ScriptStep.ToolCalls) steps.get(1);
        assertThat(two.calls().get(0).arguments().path("n").isInt()).as("string arguments keep JSON types").isTrue();
        assertThat(two.calls().get(1).arguments().isEmpty()).isTrue();
        assertThat(steps.get(2)).isEqualTo(new ScriptStep.Error("boom"));
        assertThat(steps.get(3)).isEqualTo(new ScriptStep.Reply("ok {{input}}"));
    }

    @Test
    void malformedStepsAreRejectedWithTheirPlace() {
        assertThatThrownBy(() -> ScriptedProvider.fromJson("s", Json.tree("{\"demo\": [{\"reply\":\"a\"},"
                + " {\"shout\": \"b\"}]}")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("script 'demo' step 1").hasMessageContaining("unknown script step 'shout'");
    }
}
