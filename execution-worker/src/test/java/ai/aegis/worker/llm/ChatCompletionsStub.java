package ai.aegis.worker.llm;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;

/**
 * A real HTTP server speaking the chat-completions wire format with canned answers, recording what it received.
 * Answers are used in order; the last one repeats once the queue is down to it.
 */
public final class ChatCompletionsStub implements AutoCloseable {

    /** One canned answer. {@code hang} makes the handler block until the stub closes (to provoke timeouts). */
    public record Answer(int status, Map<String, String> headers, String body, boolean hang) {
        public static Answer json(int status, String body) {
            return new Answer(status, Map.of(), body, false);
        }

        public static Answer json(int status, String body, Map<String, String> headers) {
            return new Answer(status, headers, body, false);
        }

        public static Answer hanging() {
            return new Answer(200, Map.of(), "{}", true);
        }
    }

    /** What one request carried. */
    public record Received(String method, String path, String authorization, JsonNode body) {
    }

    private final HttpServer server;
    private final ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final CountDownLatch closing = new CountDownLatch(1);

    public ChatCompletionsStub() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
    }

    /** The base URL to configure as the provider endpoint ({@code /v1}; the provider appends the rest). */
    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    public ChatCompletionsStub answer(Answer... next) {
        answers.addAll(List.of(next));
        return this;
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            received.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                    exchange.getRequestHeaders().getFirst("Authorization"), Json.tree(body)));
            Answer answer = answers.size() > 1 ? answers.poll() : answers.peek();
            if (answer == null) {
                answer = Answer.json(500, "{\"error\":{\"message\":\"stub has no answer queued\"}}");
            }
            if (answer.hang()) {
                closing.await();
                return;
            }
            answer.headers().forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(answer.status(), bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closing.countDown();
        server.stop(0);
    }

    /** A final answer in the chat-completions format, with usage. */
    public static String finalAnswer(String model, String content, int promptTokens, int completionTokens) {
        var root = Json.MAPPER.createObjectNode().put("id", "chatcmpl-1").put("object", "chat.completion")
                .put("model", model);
        var choice = root.putArray("choices").addObject().put("index", 0).put("finish_reason", "stop");
        choice.putObject("message").put("role", "assistant").put("content", content);
        root.putObject("usage").put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens)
                .put("total_tokens", promptTokens + completionTokens);
        return root.toString();
    }

    /** A tool-call answer; {@code argumentsJson} is sent as a JSON string, as OpenAI does. */
    public static String toolCallAnswer(String model, String callId, String tool, String argumentsJson) {
        var call = Json.MAPPER.createObjectNode().put("id", callId).put("type", "function");
        call.putObject("function").put("name", tool).put("arguments", argumentsJson);
        var message = Json.MAPPER.createObjectNode().put("role", "assistant").putNull("content");
        message.putArray("tool_calls").add(call);
        var root = Json.MAPPER.createObjectNode().put("model", model);
        root.putArray("choices").addObject().put("index", 0).put("finish_reason", "tool_calls").set("message", message);
        return root.toString();
    }
}
