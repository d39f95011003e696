package ai.aegis.worker.llm.openai;

import ai.aegis.schemas.json.Json;
import ai.aegis.worker.llm.ChatCompletionsStub.Answer;
import ai.aegis.worker.llm.ChatCompletionsStub;
import ai.aegis.worker.llm.ChatMessage;
import ai.aegis.worker.llm.LlmException;
import ai.aegis.worker.llm.LlmRequest;
import ai.aegis.worker.llm.LlmResponse;
import ai.aegis.worker.llm.ToolCallRequest;
import ai.aegis.worker.llm.ToolSchema;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class OpenAiProviderTest {

    private static final String KEY = "sk-test-0123456789-secret";
    private static final ToolSchema CMD_RUN = new ToolSchema("cmd.run", "Run a shell command in the sandbox",
            Json.tree("{\"type\":\"object\",\"properties\":{\"command\":{\"type\":\"string\"}},\"required\":[\"command\"]}"));

    private ChatCompletionsStub stub;

    @BeforeEach
    void startStub() throws IOException {
        stub = new ChatCompletionsStub();
    }

    @AfterEach
    void stopStub() {
        stub.close();
    }

    private OpenAiProvider provider(String key, int maxRetries) {
        return new OpenAiProvider(new OpenAiProvider.Settings("local", stub.baseUrl() + "/", key,
                Duration.ofSeconds(10), maxRetries, Duration.ofMillis(5)));
    }

    @Test
    void toolCallRoundTripUsesTheChatCompletionsWireFormat() throws Exception {
        stub.answer(
                // the API knows the tool by its wire name: a function name may not hold a dot
                Answer.json(200, ChatCompletionsStub.toolCallAnswer("llama3.1", "call_abc", "cmd_run",
                        "{\"command\":\"uname -a\",\"timeout_seconds\":30}")),
                Answer.json(200, ChatCompletionsStub.finalAnswer("llama3.1", "It is Linux.", 57, 9)));
        OpenAiProvider provider = provider(null, 0);
        List<ChatMessage> conversation = List.of(ChatMessage.system("You are careful."),
                ChatMessage.user("Which kernel?"));

        LlmResponse first = provider.chat(new LlmRequest("llama3.1", conversation, List.of(CMD_RUN), 256, 0.2));

        assertThat(first.hasToolCalls()).isTrue();
        assertThat(first.finishReason()).isEqualTo("tool_calls");
        assertThat(first.content()).isNull();
        ToolCallRequest call = first.toolCalls().getFirst();
        assertThat(call.id()).isEqualTo("call_abc");
        assertThat(call.name()).isEqualTo("cmd.run");
        assertThat(call.arguments().isObject()).isTrue();
        assertThat(call.arguments().path("command").asText()).isEqualTo("uname -a");
        assertThat(call.arguments().path("timeout_seconds").asInt()).isEqualTo(30);

        JsonNode sent = stub.received().getFirst().body();
        assertThat(stub.received().getFirst().path()).isEqualTo("/v1/chat/completions");
        assertThat(stub.received().getFirst().authorization()).isNull();
        assertThat(sent.path("model").asText()).isEqualTo("llama3.1");
        assertThat(sent.path("max_tokens").asInt()).isEqualTo(256);
        assertThat(sent.path("temperature").asDouble()).isEqualTo(0.2);
        assertThat(sent.path("messages").get(0).path("role").asText()).isEqualTo("system");
        assertThat(sent.path("messages").get(1).path("content").asText()).isEqualTo("Which kernel?");
        JsonNode tool = sent.path("tools").get(0);
        assertThat(tool.path("type").asText()).isEqualTo("function");
        assertThat(tool.path("function").path("name").asText()).isEqualTo("cmd_run").matches("[a-zA-Z0-9_-]{1,64}");
        assertThat(tool.path("function").path("parameters").path("required").get(0).asText()).isEqualTo("command");

        List<ChatMessage> next = new java.util.ArrayList<>(conversation);
        next.add(ChatMessage.assistantToolCalls(first.content(), first.toolCalls()));
        next.add(ChatMessage.tool(call.id(), "{\"exit_code\":0,\"stdout\":\"Linux\\n\"}"));
        LlmResponse second = provider.chat(new LlmRequest("llama3.1", next, List.of(CMD_RUN)));

        assertThat(second.hasToolCalls()).isFalse();
        assertThat(second.content()).isEqualTo("It is Linux.");
        assertThat(second.finishReason()).isEqualTo("stop");
        assertThat(second.model()).isEqualTo("llama3.1");
        assertThat(second.inputTokens()).isEqualTo(57);
        assertThat(second.outputTokens()).isEqualTo(9);

        JsonNode messages = stub.received().get(1).body().path("messages");
        assertThat(messages).hasSize(4);
        JsonNode assistant = messages.get(2);
        assertThat(assistant.path("role").asText()).isEqualTo("assistant");
        assertThat(assistant.path("content").isNull()).isTrue();
        JsonNode wireCall = assistant.path("tool_calls").get(0);
        assertThat(wireCall.path("id").asText()).isEqualTo("call_abc");
        assertThat(wireCall.path("type").asText()).isEqualTo("function");
        assertThat(wireCall.path("function").path("name").asText()).isEqualTo("cmd_run");
        assertThat(wireCall.path("function").path("arguments").isTextual())
                .as("arguments travel as a JSON string").isTrue();
        assertThat(Json.tree(wireCall.path("function").path("arguments").asText()))
                .isEqualTo(Json.tree("{\"command\":\"uname -a\",\"timeout_seconds\":30}"));
        JsonNode toolMessage = messages.get(3);
        assertThat(toolMessage.path("role").asText()).isEqualTo("tool");
        assertThat(toolMessage.path("tool_call_id").asText()).isEqualTo("call_abc");
        assertThat(toolMessage.path("content").asText()).contains("\"exit_code\":0");
    }

    @Test
    void toolsAreOmittedWhenNoneAreOffered() throws Exception {
        stub.answer(Answer.json(200, ChatCompletionsStub.finalAnswer("m", "hi", 1, 1)));

        provider(null, 0).chat(new LlmRequest("m", List.of(ChatMessage.user("hello")), List.of()));

        assertThat(stub.received().getFirst().body().has("tools")).isFalse();
    }

    @Test
    void rateLimitIsRetriedHonouringRetryAfter() throws Exception {
        stub.answer(
                Answer.json(429, "{\"error\":{\"message\":\"slow down\"}}", Map.of("Retry-After", "0")),
                Answer.json(200, ChatCompletionsStub.finalAnswer("m", "after the wait", 3, 2)));

        LlmResponse response = provider(null, 3).chat(new LlmRequest("m", List.of(ChatMessage.user("x")), List.of()));

        assertThat(response.content()).isEqualTo("after the wait");
        assertThat(stub.received()).hasSize(2);
    }

    @Test
    void serverErrorsBeyondMaxRetriesFailRetryable() {
        stub.answer(Answer.json(500, "{\"error\":{\"message\":\"model crashed\"}}"));

        LlmException error = catchThrowableOfType(LlmException.class,
                () -> provider(null, 2).chat(new LlmRequest("m", List.of(ChatMessage.user("x")), List.of())));

        assertThat(error.retryable()).isTrue();
        assertThat(error.getMessage()).contains("HTTP 500").contains("model crashed").contains("3 attempts");
        assertThat(stub.received()).hasSize(3);
    }

    @Test
    void unauthorizedFailsAtOnceWithoutLeakingTheKey() {
        stub.answer(Answer.json(401, "{\"error\":{\"message\":\"Incorrect API key provided: " + KEY + "\"}}"));

        LlmException error = catchThrowableOfType(LlmException.class,
                () -> provider(KEY, 3).chat(new LlmRequest("m", List.of(ChatMessage.user("x")), List.of())));

        assertThat(error.retryable()).isFalse();
        assertThat(error.getMessage()).contains("HTTP 401").contains("Incorrect API key provided")
                .doesNotContain(KEY);
        assertThat(stub.received()).hasSize(1);
        assertThat(stub.received().getFirst().authorization()).isEqualTo("Bearer " + KEY);
    }

    @Test
    void unparsableToolArgumentsFailWithAClearMessage() {
        stub.answer(Answer.json(200, ChatCompletionsStub.toolCallAnswer("m", "c1", "cmd.run", "{\"command\": uname")));

        LlmException error = catchThrowableOfType(LlmException.class,
                () -> provider(null, 0).chat(new LlmRequest("m", List.of(ChatMessage.user("x")), List.of(CMD_RUN))));

        assertThat(error.retryable()).isFalse();
        assertThat(error.getMessage()).contains("cmd.run").contains("not a JSON object");
    }

    @Test
    void refusedConnectionIsRetriedThenFailsRetryable() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            closedPort = socket.getLocalPort();
        }
        OpenAiProvider provider = new OpenAiProvider(new OpenAiProvider.Settings("gone",
                "http://127.0.0.1:" + closedPort + "/v1", null, Duration.ofSeconds(5), 1, Duration.ofMillis(1)));

        LlmException error = catchThrowableOfType(LlmException.class,
                () -> provider.chat(new LlmRequest("m", List.of(ChatMessage.user("x")), List.of())));

        assertThat(error.retryable()).isTrue();
        assertThat(error.getMessage()).contains("I/O error").contains("2 attempts");
    }

    @Test
    void perRequestTimeoutApplies() {
        stub.answer(Answer.hanging());
        OpenAiProvider provider = new OpenAiProvider(new OpenAiProvider.Settings("slow", stub.baseUrl(), null,
                Duration.ofMillis(300), 0, Duration.ofMillis(1)));

        long started = System.nanoTime();
        LlmException error = catchThrowableOfType(LlmException.class,
                () -> provider.chat(new LlmRequest("m", List.of(ChatMessage.user("x")), List.of())));

        assertThat(error.retryable()).isTrue();
        assertThat(error.getMessage()).containsIgnoringCase("timed out");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void backoffDoublesAndIsCapped() {
        OpenAiProvider provider = new OpenAiProvider(new OpenAiProvider.Settings("b", "http://127.0.0.1:1/v1", null,
                Duration.ofSeconds(1), 3, Duration.ofMillis(1000)));

        assertThat(provider.backoff(0)).isEqualTo(Duration.ofMillis(1000));
        assertThat(provider.backoff(1)).isEqualTo(Duration.ofMillis(2000));
        assertThat(provider.backoff(4)).isEqualTo(Duration.ofMillis(16000));
        assertThat(provider.backoff(5)).isEqualTo(Duration.ofSeconds(30));
        assertThat(provider.backoff(200)).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void settingsNeverPrintTheKey() {
        assertThat(new OpenAiProvider.Settings("x", null, KEY).toString()).doesNotContain(KEY).contains("***");
    }
}
