package ai.aegis.worker.llm.openai;

import ai.aegis.schemas.json.Json;
import ai.aegis.worker.llm.ChatMessage;
import ai.aegis.worker.llm.LlmException;
import ai.aegis.worker.llm.LlmRequest;
import ai.aegis.worker.llm.LlmResponse;
import ai.aegis.worker.llm.ToolCallRequest;
import ai.aegis.worker.llm.ToolSchema;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

/**
 * The chat-completions wire format, built by hand on Jackson trees: the shared mapper is snake_case for records, and
 * the OpenAI field names must not depend on a naming strategy.
 */
final class OpenAiWire {

    private OpenAiWire() {
    }

    static String requestBody(LlmRequest request) {
        FunctionNames names = FunctionNames.of(request.tools());
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("model", request.model());
        ArrayNode messages = body.putArray("messages");
        for (ChatMessage message : request.messages()) {
            messages.add(message(message, names));
        }
        if (request.tools() != null && !request.tools().isEmpty()) {
            ArrayNode tools = body.putArray("tools");
            for (ToolSchema tool : request.tools()) {
                ObjectNode entry = tools.addObject();
                entry.put("type", "function");
                ObjectNode function = entry.putObject("function");
                function.put("name", names.wire(tool.name()));
                if (tool.description() != null) {
                    function.put("description", tool.description());
                }
                function.set("parameters", tool.parameters() != null
                        ? tool.parameters()
                        : Json.MAPPER.createObjectNode().put("type", "object"));
            }
        }
        body.put("max_tokens", request.maxTokens());
        body.put("temperature", request.temperature());
        return body.toString();
    }

    private static ObjectNode message(ChatMessage message, FunctionNames names) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("role", message.role());
        boolean hasCalls = message.toolCalls() != null && !message.toolCalls().isEmpty();
        if (message.content() != null) {
            node.put("content", message.content());
        } else if (hasCalls) {
            // An assistant turn that only calls tools has content null on the OpenAI wire.
            node.putNull("content");
        } else {
            node.put("content", "");
        }
        if (hasCalls) {
            ArrayNode calls = node.putArray("tool_calls");
            for (ToolCallRequest call : message.toolCalls()) {
                ObjectNode entry = calls.addObject();
                entry.put("id", call.id());
                entry.put("type", "function");
                ObjectNode function = entry.putObject("function");
                function.put("name", names.wire(call.name()));
                // The wire carries arguments as a JSON *string*, not as an object.
                function.put("arguments", call.arguments() == null ? "{}" : call.arguments().toString());
            }
        }
        if (message.toolCallId() != null) {
            node.put("tool_call_id", message.toolCallId());
        }
        return node;
    }

    /** @param request what was asked: the model answers with the tools' wire names */
    static LlmResponse parseResponse(String providerName, String body, LlmRequest request) throws LlmException {
        FunctionNames names = FunctionNames.of(request.tools());
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw new LlmException("openai provider '" + providerName + "': response is not JSON: "
                    + e.getOriginalMessage(), false, null);
        }
        JsonNode choice = root.path("choices").path(0);
        if (!choice.isObject()) {
            throw new LlmException("openai provider '" + providerName + "': response has no choices[0]", false, null);
        }
        JsonNode message = choice.path("message");
        String content = message.path("content").isTextual() ? message.path("content").asText() : null;
        List<ToolCallRequest> calls = new ArrayList<>();
        JsonNode toolCalls = message.path("tool_calls");
        for (int i = 0; i < toolCalls.size(); i++) {
            calls.add(toolCall(providerName, toolCalls.get(i), i, names));
        }
        JsonNode usage = root.path("usage");
        return new LlmResponse(content, List.copyOf(calls), textOrNull(root.path("model")),
                intOrNull(usage.path("prompt_tokens")), intOrNull(usage.path("completion_tokens")),
                textOrNull(choice.path("finish_reason")));
    }

    private static ToolCallRequest toolCall(String providerName, JsonNode call, int index, FunctionNames names)
            throws LlmException {
        JsonNode function = call.path("function");
        String name = textOrNull(function.path("name"));
        if (name == null || name.isBlank()) {
            throw new LlmException("openai provider '" + providerName + "': tool call #" + index + " has no function"
                    + " name", false, null);
        }
        String id = textOrNull(call.path("id"));
        name = names.tool(name);
        return new ToolCallRequest(id != null ? id : "call_" + index, name,
                arguments(providerName, name, function.path("arguments")));
    }

    private static JsonNode arguments(String providerName, String toolName, JsonNode raw) throws LlmException {
        if (raw.isMissingNode() || raw.isNull()) {
            return Json.MAPPER.createObjectNode();
        }
        if (raw.isObject()) {
            // Some OpenAI-compatible servers (older Ollama builds) send an object instead of a string.
            return raw;
        }
        String text = raw.asText();
        if (text.isBlank()) {
            return Json.MAPPER.createObjectNode();
        }
        try {
            JsonNode parsed = Json.MAPPER.readTree(text);
            if (parsed != null && parsed.isObject()) {
                return parsed;
            }
        } catch (JsonProcessingException e) {
            // reported below with the same message as a non-object
        }
        throw new LlmException("openai provider '" + providerName + "': the model called tool '" + toolName
                + "' with arguments that are not a JSON object: " + abbreviate(text, 200), false, null);
    }

    /** The provider's own error text ({@code error.message}), else the start of the body. */
    static String errorMessage(String body) {
        if (body == null || body.isBlank()) {
            return "(empty body)";
        }
        try {
            JsonNode root = Json.MAPPER.readTree(body);
            JsonNode error = root.path("error");
            if (error.path("message").isTextual()) {
                return error.path("message").asText();
            }
            if (error.isTextual()) {
                return error.asText();
            }
        } catch (JsonProcessingException e) {
            // not JSON: fall through to the raw text
        }
        return abbreviate(body.strip(), 300);
    }

    private static String abbreviate(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max) + "...";
    }

    private static String textOrNull(JsonNode node) {
        return node.isTextual() ? node.asText() : null;
    }

    private static Integer intOrNull(JsonNode node) {
        return node.isNumber() ? node.asInt() : null;
    }
}
