package ai.aegis.worker.llm.scripted;

import ai.aegis.schemas.json.Json;
import ai.aegis.worker.llm.ChatMessage;
import ai.aegis.worker.llm.LlmException;
import ai.aegis.worker.llm.LlmProvider;
import ai.aegis.worker.llm.LlmRequest;
import ai.aegis.worker.llm.LlmResponse;
import ai.aegis.worker.llm.ToolCallRequest;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A deterministic model that replays scripts from configuration: the embedded default and the tests' model.
 * <p>
 * The request's {@code model} names the script. The step answered is the number of assistant messages already in
 * the conversation, so the provider keeps no state and serves any number of executions at once.
 * Templates in replies and in string arguments: {@code {{input}}} (last user message), {@code {{last_tool_output}}}
 * (last tool message), {@code {{last_tool_stdout}}} (its {@code stdout} field when it is a sandbox result).
 */
public final class ScriptedProvider implements LlmProvider {

    public static final String TYPE = "scripted";
    public static final String EXHAUSTED = "(script exhausted)";

    private static final Pattern TEMPLATE = Pattern.compile("\\{\\{(input|last_tool_output|last_tool_stdout)}}");

    private final String name;
    private final Map<String, List<ScriptStep>> scripts;

    public ScriptedProvider(String name, Map<String, List<ScriptStep>> scripts) {
        this.name = Objects.requireNonNull(name, "name");
        Map<String, List<ScriptStep>> copy = new LinkedHashMap<>();
        scripts.forEach((script, steps) -> copy.put(script, List.copyOf(steps)));
        this.scripts = Collections.unmodifiableMap(copy);
    }

    /**
     * Builds a provider from a configuration tree {@code {scriptName: [step, ...], ...}} (see {@link ScriptStep#parse}).
     *
     * @throws IllegalArgumentException naming the script and step that is malformed
     */
    public static ScriptedProvider fromJson(String name, JsonNode scripts) {
        Map<String, List<ScriptStep>> parsed = new LinkedHashMap<>();
        if (scripts != null && !scripts.isMissingNode() && !scripts.isNull()) {
            if (!scripts.isObject()) {
                throw new IllegalArgumentException("scripts of provider '" + name + "' must map script names to lists");
            }
            Iterator<Map.Entry<String, JsonNode>> fields = scripts.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> script = fields.next();
                if (!script.getValue().isArray()) {
                    throw new IllegalArgumentException("script '" + script.getKey() + "' of provider '" + name
                            + "' must be a list of steps");
                }
                List<ScriptStep> steps = new ArrayList<>();
                int index = 0;
                for (JsonNode step : script.getValue()) {
                    try {
                        steps.add(ScriptStep.parse(step));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("script '" + script.getKey() + "' step " + index
                                + " of provider '" + name + "': " + e.getMessage(), e);
                    }
                    index++;
                }
                parsed.put(script.getKey(), steps);
            }
        }
        return new ScriptedProvider(name, parsed);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String type() {
        return TYPE;
    }

    public Map<String, List<ScriptStep>> scripts() {
        return scripts;
    }

    @Override
    public LlmResponse chat(LlmRequest request) throws LlmException {
        List<ScriptStep> script = scripts.get(request.model());
        if (script == null) {
            throw new LlmException("scripted provider '" + name + "' has no script '" + request.model()
                    + "' (scripts: " + String.join(", ", scripts.keySet()) + ")");
        }
        int stepIndex = (int) request.messages().stream().filter(m -> "assistant".equals(m.role())).count();
        Context context = Context.of(request.messages());
        ScriptStep step = stepIndex < script.size() ? script.get(stepIndex) : afterTheEnd(script);
        return switch (step) {
            case ScriptStep.Reply reply ->
                    new LlmResponse(context.fill(reply.text()), List.of(), request.model(), null, null, "stop");
            case ScriptStep.ToolCalls calls -> {
                List<ToolCallRequest> requests = new ArrayList<>();
                for (int n = 0; n < calls.calls().size(); n++) {
                    ScriptStep.Call call = calls.calls().get(n);
                    requests.add(new ToolCallRequest("call_" + stepIndex + "_" + n, call.name(),
                            context.fill(call.arguments())));
                }
                yield new LlmResponse(null, List.copyOf(requests), request.model(), null, null, "tool_calls");
            }
            case ScriptStep.Error error -> throw new LlmException(context.fill(error.message()), false, null);
        };
    }

    /** Past the end a script keeps giving its last answer, so a loop that asks again still terminates. */
    private static ScriptStep afterTheEnd(List<ScriptStep> script) {
        for (int i = script.size() - 1; i >= 0; i--) {
            if (script.get(i) instanceof ScriptStep.Reply reply) {
                return reply;
            }
        }
        return new ScriptStep.Reply(EXHAUSTED);
    }

    /** The values templates can refer to, taken from the conversation so far. */
    private record Context(String input, String lastToolOutput, String lastToolStdout) {

        static Context of(List<ChatMessage> messages) {
            String input = "";
            String toolOutput = null;
            for (ChatMessage message : messages) {
                if ("user".equals(message.role())) {
                    input = Objects.requireNonNullElse(message.content(), "");
                } else if ("tool".equals(message.role())) {
                    toolOutput = Objects.requireNonNullElse(message.content(), "");
                }
            }
            return new Context(input, toolOutput == null ? "" : toolOutput, stdoutOf(toolOutput));
        }

        /** The stdout of a sandbox result {@code {"exit_code", "stdout", ...}}; otherwise the whole output. */
        private static String stdoutOf(String toolOutput) {
            if (toolOutput == null) {
                return "";
            }
            try {
                JsonNode parsed = Json.MAPPER.readTree(toolOutput);
                if (parsed != null && parsed.path("stdout").isTextual()) {
                    return parsed.path("stdout").asText().strip();
                }
            } catch (JsonProcessingException e) {
                // not JSON: the tool printed plain text
            }
            return toolOutput.strip();
        }

        /** One pass, so template-like text inside a substituted value is left as it is. */
        String fill(String text) {
            return TEMPLATE.matcher(text).replaceAll(match -> Matcher.quoteReplacement(switch (match.group(1)) {
                case "input" -> input;
                case "last_tool_output" -> lastToolOutput;
                default -> lastToolStdout;
            }));
        }

        JsonNode fill(JsonNode node) {
            if (node.isTextual()) {
                return TextNode.valueOf(fill(node.asText()));
            }
            if (node.isObject()) {
                ObjectNode copy = Json.MAPPER.createObjectNode();
                node.fields().forEachRemaining(field -> copy.set(field.getKey(), fill(field.getValue())));
                return copy;
            }
            if (node.isArray()) {
                ArrayNode copy = Json.MAPPER.createArrayNode();
                node.forEach(element -> copy.add(fill(element)));
                return copy;
            }
            return node;
        }
    }
}
