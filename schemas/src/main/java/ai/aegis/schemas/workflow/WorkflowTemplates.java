package ai.aegis.schemas.workflow;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Iterator;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The blackboard of a workflow run and the {@code {{path}}} templates rendered from it.
 *
 * <p>Layout (the {@code blackboard} of {@code workflow_completed} and of {@code GET /v1/workflows/executions/{id}}):
 * <pre>
 * {"workflow": {"name": "...", "version": "...", "input": "..."},
 *  "context":  {...spec.context, overridden by the run's blackboard...},
 *  "STATE":    {"status": "success"|"failure", "output": ..., "feedback"?: "...", "exit_code"?: 0, "score"?: 0.9}}
 * </pre>
 * A state's entry is written when it exits and replaced each time it runs again. Its {@code feedback} is the rendered
 * {@code feedback} of the transition taken out of it when that transition has one, else the approver's feedback or
 * rejection reason (Human states), else absent; so the next state reads {@code {{review.feedback}}}.
 *
 * <p>A placeholder is a dotted path from the root ({@code {{workflow.input}}}, {@code {{draft.output}}},
 * {@code {{context.audience}}}, {@code {{draft.output.title}}}, list indexes as {@code {{x.output.0}}}). A missing
 * path renders as the empty string, a string as itself, anything else as compact JSON. Other {@code {{...}}} text is
 * left alone.
 */
public final class WorkflowTemplates {

    public static final String WORKFLOW = "workflow";
    public static final String CONTEXT = "context";
    public static final String STATUS_SUCCESS = "success";
    public static final String STATUS_FAILURE = "failure";

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*([A-Za-z0-9_-]+(?:\\.[A-Za-z0-9_-]+)*)\\s*}}");

    private WorkflowTemplates() {
    }

    /** Renders {@code template} against {@code blackboard}; a null template renders as the empty string. */
    public static String render(String template, JsonNode blackboard) {
        if (template == null) {
            return "";
        }
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(text(lookup(blackboard, m.group(1)))));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** The node at a dotted path, or null when any step is missing. */
    public static JsonNode lookup(JsonNode root, String dottedPath) {
        JsonNode node = root;
        for (String step : dottedPath.split("\\.")) {
            if (node == null) {
                return null;
            }
            if (node.isObject()) {
                node = node.get(step);
            } else if (node.isArray() && step.chars().allMatch(Character::isDigit) && step.length() < 10) {
                node = node.get(Integer.parseInt(step));
            } else {
                return null;
            }
        }
        return node;
    }

    private static String text(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return "";
        }
        return node.isTextual() ? node.asText() : node.toString();
    }

    /**
     * The blackboard a run starts with.
     *
     * @param context   {@code spec.context} (may be null)
     * @param overrides the run's {@code blackboard} (may be null): its keys extend and override the context, so
     *                  they too are read as {@code {{context.KEY}}} and can never shadow a state or the workflow
     */
    public static ObjectNode initialBlackboard(String workflowName, String workflowVersion, String input,
                                               JsonNode context, JsonNode overrides) {
        ObjectNode board = Json.object();
        board.putObject(WORKFLOW).put("name", workflowName).put("version", workflowVersion)
                .put("input", input == null ? "" : input);
        ObjectNode ctx = board.putObject(CONTEXT);
        for (JsonNode source : new JsonNode[]{context, overrides}) {
            if (source != null && source.isObject()) {
                Iterator<Map.Entry<String, JsonNode>> it = source.fields();
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> e = it.next();
                    ctx.set(e.getKey(), e.getValue().deepCopy());
                }
            }
        }
        return board;
    }

    /**
     * A state's blackboard entry (see the layout above).
     *
     * @param status   {@link #STATUS_SUCCESS} or {@link #STATUS_FAILURE}
     * @param output   the state's output: the agent's final output, the human response, the container's stdout
     * @param feedback null when none
     * @param exitCode ContainerRun only, else null
     * @param score    when the step reported one, else null
     */
    public static ObjectNode stateEntry(String status, JsonNode output, String feedback, Integer exitCode,
                                        Double score) {
        ObjectNode entry = Json.object();
        entry.put("status", status);
        entry.set("output", output == null ? Json.MAPPER.nullNode() : output);
        if (feedback != null) {
            entry.put("feedback", feedback);
        }
        if (exitCode != null) {
            entry.put("exit_code", exitCode);
        }
        if (score != null) {
            entry.put("score", score);
        }
        return entry;
    }
}
