package ai.aegis.worker.llm.scripted;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;

/** One turn of a script: what the scripted model answers at that point of the conversation. */
public sealed interface ScriptStep {

    /** A final answer; {@code text} may contain templates. */
    record Reply(String text) implements ScriptStep {
        public Reply {
            Objects.requireNonNull(text, "text");
        }
    }

    /** One or several tool calls; string values in the arguments may contain templates. */
    record ToolCalls(List<Call> calls) implements ScriptStep {
        public ToolCalls {
            if (calls == null || calls.isEmpty()) {
                throw new IllegalArgumentException("a tool_calls step needs at least one call");
            }
            calls = List.copyOf(calls);
        }
    }

    /** The model fails: the provider throws a non-retryable LlmException with this message. */
    record Error(String message) implements ScriptStep {
        public Error {
            Objects.requireNonNull(message, "message");
        }
    }

    /** A scripted tool call. */
    record Call(String name, JsonNode arguments) {
        public Call {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("a scripted tool call needs a name");
            }
            arguments = arguments == null ? Json.MAPPER.createObjectNode() : arguments.deepCopy();
        }
    }

    static ScriptStep reply(String text) {
        return new Reply(text);
    }

    static ScriptStep toolCall(String name, JsonNode arguments) {
        return new ToolCalls(List.of(new Call(name, arguments)));
    }

    static ScriptStep error(String message) {
        return new Error(message);
    }

    /**
     * Parses one step from its configuration tree: exactly one of {@code reply: text},
     * {@code tool_call: {name, arguments}}, {@code tool_calls: [{name, arguments}, ...]}, {@code error: text}.
     * {@code arguments} may also be a string holding a JSON object (to keep exact number/boolean types, which YAML
     * configuration layers tend to turn into strings).
     *
     * @throws IllegalArgumentException with the offending key when the step is malformed
     */
    static ScriptStep parse(JsonNode node) {
        if (node == null || !node.isObject() || node.size() != 1) {
            throw new IllegalArgumentException("a script step must be an object with exactly one of reply, tool_call,"
                    + " tool_calls, error; got " + node);
        }
        Iterator<String> names = node.fieldNames();
        String kind = names.next();
        JsonNode value = node.get(kind);
        return switch (kind) {
            case "reply" -> new Reply(value.asText());
            case "error" -> new Error(value.asText());
            case "tool_call" -> new ToolCalls(List.of(parseCall(value)));
            case "tool_calls" -> {
                if (!value.isArray()) {
                    throw new IllegalArgumentException("tool_calls must be a list of {name, arguments}");
                }
                List<Call> calls = new ArrayList<>();
                value.forEach(call -> calls.add(parseCall(call)));
                yield new ToolCalls(calls);
            }
            default -> throw new IllegalArgumentException("unknown script step '" + kind
                    + "' (expected reply, tool_call, tool_calls or error)");
        };
    }

    private static Call parseCall(JsonNode node) {
        if (!node.isObject() || !node.path("name").isTextual()) {
            throw new IllegalArgumentException("a scripted tool call must be {name, arguments}; got " + node);
        }
        JsonNode arguments = node.path("arguments");
        if (arguments.isTextual()) {
            try {
                arguments = Json.MAPPER.readTree(arguments.asText());
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("arguments of scripted tool call '" + node.path("name").asText()
                        + "' is a string but not JSON: " + e.getOriginalMessage(), e);
            }
        }
        if (arguments.isMissingNode() || arguments.isNull()) {
            arguments = Json.MAPPER.createObjectNode();
        }
        if (!(arguments instanceof ObjectNode)) {
            throw new IllegalArgumentException("arguments of scripted tool call '" + node.path("name").asText()
                    + "' must be an object");
        }
        return new Call(node.path("name").asText(), arguments);
    }
}
