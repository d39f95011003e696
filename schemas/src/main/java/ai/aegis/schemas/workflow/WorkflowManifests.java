package ai.aegis.schemas.workflow;

import ai.aegis.schemas.manifest.ManifestChecker;

import ai.aegis.schemas.Ids;
import ai.aegis.schemas.agent.ManifestException;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.workflow.WorkflowManifest.AgentState;
import ai.aegis.schemas.workflow.WorkflowManifest.ContainerRunState;
import ai.aegis.schemas.workflow.WorkflowManifest.HumanState;
import ai.aegis.schemas.workflow.WorkflowManifest.State;
import ai.aegis.schemas.workflow.WorkflowManifest.Transition;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Parses and validates workflow manifests (YAML or JSON). Like agent manifests, validation collects every problem
 * with its field path so that an author fixes them all at once, and the defaults live here and nowhere else.
 * Agents are not looked up here: the ingress checks them against its registry.
 */
public final class WorkflowManifests {

    public static final String DEFAULT_VERSION = "1.0.0";
    public static final String DEFAULT_AGENT_INPUT = "{{workflow.input}}";
    public static final int MAX_STEPS = 1000;
    public static final int MAX_ITERATIONS = 20;
    public static final Duration DEFAULT_HUMAN_TIMEOUT = Duration.ofSeconds(3600);
    /** Longest a Human state may wait: a month; longer is almost certainly a unit mistake. */
    public static final Duration MAX_HUMAN_TIMEOUT = Duration.ofDays(30);
    public static final Duration DEFAULT_CONTAINER_TIMEOUT = Duration.ofSeconds(300);
    public static final long DEFAULT_CPU_MILLICORES = 1000;
    public static final long DEFAULT_MEMORY_BYTES = 512L * 1024 * 1024;

    /** Same rule as agent names (they share the URL space of the API). */
    private static final Pattern STATE_NAME = Pattern.compile("^[A-Za-z][A-Za-z0-9_-]*$");
    private static final Pattern ENV_NAME = Pattern.compile("^[A-Za-z_][A-Za-z0-9_]*$");
    /** Top-level blackboard keys that are not states; a state of that name would shadow them in templates. */
    private static final Set<String> RESERVED_STATE_NAMES = Set.of(WorkflowTemplates.WORKFLOW,
            WorkflowTemplates.CONTEXT);
    private static final List<String> KINDS = List.of(WorkflowManifest.AGENT, WorkflowManifest.HUMAN,
            WorkflowManifest.CONTAINER_RUN);

    /**
     * YAML 1.1 reads a bare {@code yes}/{@code no}/{@code on}/{@code off} as booleans, which would turn
     * {@code default_response: yes} or {@code value: no} into "true"/"false" and break {@code input_equals}. Workflows
     * read them as the words they are (YAML 1.2 behaviour); only true and false are booleans.
     */
    private static final ObjectMapper YAML = YAMLMapper.builder()
            .enable(YAMLParser.Feature.PARSE_BOOLEAN_LIKE_WORDS_AS_STRINGS)
            .build();

    private WorkflowManifests() {
    }

    /** The validated manifest and the tree it came from (kept so that GET returns what was registered). */
    public record ParsedWorkflow(WorkflowManifest manifest, JsonNode tree) {
    }

    /**
     * Reads a manifest body: JSON when it looks like JSON, otherwise YAML.
     *
     * @throws ManifestException when the text is not a single YAML/JSON mapping or the manifest is invalid
     */
    public static ParsedWorkflow parse(String text) {
        JsonNode tree = readTree(text);
        return new ParsedWorkflow(fromTree(tree), tree);
    }

    private static JsonNode readTree(String text) {
        return ManifestChecker.readTree(text, YAML);
    }

    /** Validates a manifest tree (as kept in {@link WorkflowRecord#manifest()}). */
    public static WorkflowManifest fromTree(JsonNode root) {
        ManifestChecker.requireMapping(root);
        ManifestChecker c = new ManifestChecker();
        c.constant(root, "apiVersion", WorkflowManifest.API_VERSION);
        c.constant(root, "kind", WorkflowManifest.KIND);

        JsonNode meta = c.object(root, "metadata", "metadata", true);
        String name = c.name(meta);
        String version = c.scalar(meta, "version", "metadata.version");
        WorkflowManifest.Metadata metadata = new WorkflowManifest.Metadata(name,
                version == null ? DEFAULT_VERSION : version,
                c.string(meta, "description", "metadata.description", false),
                c.stringMap(meta, "labels", "metadata.labels"));

        JsonNode spec = c.object(root, "spec", "spec", true);
        String initial = c.string(spec, "initial_state", "spec.initial_state", true);
        JsonNode context = c.object(spec, "context", "spec.context", false);
        int maxSteps = (int) c.integer(spec, "max_steps", "spec.max_steps", MAX_STEPS, 1, MAX_STEPS);

        Map<String, State> states = new LinkedHashMap<>();
        JsonNode statesNode = c.object(spec, "states", "spec.states", spec != null);
        if (statesNode != null) {
            if (statesNode.isEmpty()) {
                c.problem("spec.states", "must hold at least one state");
            }
            Iterator<Map.Entry<String, JsonNode>> it = statesNode.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                State state = state(c, e.getKey(), e.getValue());
                if (state != null) {
                    states.put(e.getKey(), state);
                }
            }
        }

        if (initial != null && statesNode != null && !statesNode.has(initial)) {
            c.problem("spec.initial_state", "names no state: '" + initial + "' (states: "
                    + iterableNames(statesNode) + ")");
        }
        for (State s : states.values()) {
            for (int i = 0; i < s.transitions().size(); i++) {
                String target = s.transitions().get(i).target();
                if (target != null && !statesNode.has(target)) {
                    c.problem("spec.states." + s.name() + ".transitions[" + i + "].target",
                            "names no state: '" + target + "'");
                }
            }
        }
        // Only meaningful on a graph whose every state parsed: a broken state has no known transitions.
        if (initial != null && states.containsKey(initial) && states.size() == statesNode.size()) {
            List<String> stuck = statesThatCannotTerminate(initial, states);
            if (!stuck.isEmpty()) {
                c.problem("spec.states", "states " + stuck + " can never reach a terminal state (a state with"
                        + " transitions: []); give the loop a way out");
            }
        }

        c.throwIfAny();
        return new WorkflowManifest(metadata, new WorkflowManifest.Spec(initial,
                context == null ? Json.object() : context.deepCopy(), maxSteps,
                Collections.unmodifiableMap(states)));
    }

    private static List<String> iterableNames(JsonNode object) {
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /**
     * The states reachable from the initial state from which no terminal state is reachable, in manifest order.
     * A loop that can exit is fine (max_steps bounds it); one that cannot would only ever end at the step limit.
     */
    static List<String> statesThatCannotTerminate(String initial, Map<String, State> states) {
        Set<String> reachable = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>(List.of(initial));
        while (!todo.isEmpty()) {
            String s = todo.pop();
            if (states.containsKey(s) && reachable.add(s)) {
                states.get(s).transitions().forEach(t -> todo.push(t.target()));
            }
        }
        // Walk the edges backwards from the terminal states.
        Map<String, List<String>> predecessors = new LinkedHashMap<>();
        states.values().forEach(s -> s.transitions().forEach(t ->
                predecessors.computeIfAbsent(t.target(), k -> new ArrayList<>()).add(s.name())));
        Set<String> canTerminate = new HashSet<>();
        states.values().stream().filter(State::terminal).forEach(s -> todo.push(s.name()));
        while (!todo.isEmpty()) {
            String s = todo.pop();
            if (canTerminate.add(s)) {
                predecessors.getOrDefault(s, List.of()).forEach(todo::push);
            }
        }
        return states.keySet().stream().filter(reachable::contains).filter(s -> !canTerminate.contains(s)).toList();
    }

    private static State state(ManifestChecker c, String name, JsonNode node) {
        String path = "spec.states." + name;
        boolean ok = true;
        if (!STATE_NAME.matcher(name).matches()) {
            c.problem(path, "state names start with a letter and hold only letters, digits, '_' or '-'");
            ok = false;
        } else if (RESERVED_STATE_NAMES.contains(name)) {
            c.problem(path, "'" + name + "' is reserved (templates read {{" + name + ".…}} from the workflow)");
            ok = false;
        }
        if (node == null || !node.isObject()) {
            c.problem(path, "must be a mapping with a kind");
            return null;
        }
        String kind = c.string(node, "kind", path + ".kind", true);
        if (kind == null) {
            return null;
        }
        if (!KINDS.contains(kind)) {
            c.problem(path + ".kind", "must be one of " + KINDS + " (got '" + kind + "')");
            return null;
        }
        List<Transition> transitions = transitions(c, kind, node, path);
        State state = switch (kind) {
            case WorkflowManifest.AGENT -> agent(c, name, node, path, transitions);
            case WorkflowManifest.HUMAN -> human(c, name, node, path, transitions);
            default -> container(c, name, node, path, transitions);
        };
        return ok ? state : null;
    }

    private static AgentState agent(ManifestChecker c, String name, JsonNode node, String path,
                                    List<Transition> transitions) {
        String agent = c.string(node, "agent", path + ".agent", true);
        if (agent != null && !ManifestChecker.NAME.matcher(agent).matches() && !Ids.isUuid(agent)) {
            c.problem(path + ".agent", "must be an agent name or id (got '" + agent + "')");
        }
        String input = c.string(node, "input", path + ".input", false);
        Integer maxIterations = node.hasNonNull("max_iterations")
                ? (int) c.integer(node, "max_iterations", path + ".max_iterations", 1, 1, MAX_ITERATIONS) : null;
        return new AgentState(name, agent, input == null ? DEFAULT_AGENT_INPUT : input, maxIterations,
                transitions);
    }

    private static HumanState human(ManifestChecker c, String name, JsonNode node, String path,
                                    List<Transition> transitions) {
        String prompt = c.string(node, "prompt", path + ".prompt", true);
        Duration timeout = c.duration(node, "timeout", path + ".timeout", DEFAULT_HUMAN_TIMEOUT);
        if (timeout.compareTo(MAX_HUMAN_TIMEOUT) > 0) {
            c.problem(path + ".timeout", "must be at most 30 days (got " + timeout.toSeconds() + " s)");
        }
        return new HumanState(name, prompt, timeout, c.scalar(node, "default_response", path + ".default_response"),
                transitions);
    }

    private static ContainerRunState container(ManifestChecker c, String name, JsonNode node, String path,
                                               List<Transition> transitions) {
        String image = c.string(node, "image", path + ".image", true);
        List<String> command = c.stringList(node, "command", path + ".command");
        if (!node.hasNonNull("command")) {
            c.problem(path + ".command", "is required");
        } else if (node.get("command").isArray() && command.isEmpty()) {
            c.problem(path + ".command", "must hold at least the program to run");
        }
        Map<String, String> env = c.stringMap(node, "env", path + ".env");
        env.keySet().stream().filter(k -> !ENV_NAME.matcher(k).matches()).forEach(k ->
                c.problem(path + ".env." + k, "is not a valid environment variable name"));
        env.keySet().stream().filter(k -> k.toUpperCase(Locale.ROOT).startsWith("AEGIS_")).forEach(k ->
                c.problem(path + ".env." + k, "AEGIS_* variables are set by the orchestrator"));
        JsonNode res = c.object(node, "resources", path + ".resources", false);
        WorkflowManifest.Resources resources = new WorkflowManifest.Resources(
                c.integer(res, "cpu", path + ".resources.cpu", DEFAULT_CPU_MILLICORES, 1, 256_000),
                c.quantity(res, "memory", path + ".resources.memory", DEFAULT_MEMORY_BYTES),
                c.duration(res, "timeout", path + ".resources.timeout", DEFAULT_CONTAINER_TIMEOUT));
        boolean network = c.bool(node, "network", path + ".network", false);
        return new ContainerRunState(name, image, command, Map.copyOf(env), resources, network, transitions);
    }

    private static List<Transition> transitions(ManifestChecker c, String kind, JsonNode state, String path) {
        JsonNode list = state.get("transitions");
        if (list == null || list.isNull()) {
            return List.of();
        }
        if (!list.isArray()) {
            c.problem(path + ".transitions", "must be a list (empty for a terminal state)");
            return List.of();
        }
        List<Transition> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String at = path + ".transitions[" + i + "]";
            JsonNode t = list.get(i);
            if (!t.isObject()) {
                c.problem(at, "must be a mapping with a condition and a target");
                continue;
            }
            String target = c.string(t, "target", at + ".target", true);
            String conditionName = c.string(t, "condition", at + ".condition", true);
            String feedback = c.string(t, "feedback", at + ".feedback", false);
            TransitionCondition condition = conditionName == null ? null
                    : TransitionCondition.fromWire(conditionName).orElse(null);
            if (conditionName != null && condition == null) {
                c.problem(at + ".condition", "must be one of " + TransitionCondition.wireNames() + " (got '"
                        + conditionName + "')");
            }
            Double threshold = null;
            String value = null;
            if (condition != null) {
                if (!condition.allowedAfter(kind)) {
                    c.problem(at + ".condition", "'" + conditionName + "' does not apply to a " + kind
                            + " state (it needs a " + (condition == TransitionCondition.EXIT_CODE_ZERO
                            || condition == TransitionCondition.EXIT_CODE_NON_ZERO ? "ContainerRun" : "Human")
                            + " state)");
                }
                threshold = threshold(c, condition, t, at + ".threshold");
                value = value(c, condition, t, at + ".value");
            }
            out.add(new Transition(condition, target, threshold, value, feedback));
        }
        return List.copyOf(out);
    }

    private static Double threshold(ManifestChecker c, TransitionCondition condition, JsonNode t, String path) {
        JsonNode v = t.get("threshold");
        if (!condition.needsThreshold()) {
            if (v != null && !v.isNull()) {
                c.problem(path, "applies only to score_above and score_below");
            }
            return null;
        }
        if (v == null || v.isNull()) {
            c.problem(path, "is required for " + condition.wireName() + " (a score between 0 and 1)");
            return null;
        }
        if (!v.isNumber() || v.asDouble() < 0 || v.asDouble() > 1) {
            c.problem(path, "must be a number between 0 and 1 (got " + v + ")");
            return null;
        }
        return v.asDouble();
    }

    private static String value(ManifestChecker c, TransitionCondition condition, JsonNode t, String path) {
        if (!condition.needsValue()) {
            if (t.hasNonNull("value")) {
                c.problem(path, "applies only to input_equals");
            }
            return null;
        }
        String v = c.scalar(t, "value", path);
        if (v == null) {
            c.problem(path, "is required for input_equals (the response to compare with)");
        }
        return v;
    }
}
