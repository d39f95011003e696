package ai.aegis.schemas.agent;

import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.manifest.ManifestChecker;
import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses and validates agent manifests (YAML or JSON). Validation collects every problem with its field path so
 * that a deployer fixes them all at once; defaults live here and nowhere else.
 */
public final class AgentManifests {

    public static final String DEFAULT_PROMPT_TEMPLATE = "{{instruction}}\n\nUser: {{input}}\nAgent:";
    public static final int DEFAULT_MAX_ITERATIONS = 5;
    public static final int MAX_MAX_ITERATIONS = 20;
    public static final Duration DEFAULT_ITERATION_TIMEOUT = Duration.ofSeconds(300);
    public static final Duration DEFAULT_LLM_TIMEOUT = Duration.ofSeconds(300);
    public static final Duration DEFAULT_EXECUTION_TIMEOUT = Duration.ofSeconds(1800);
    public static final long DEFAULT_CPU_MILLICORES = 1000;
    public static final long DEFAULT_MEMORY_BYTES = 512L * 1024 * 1024;
    public static final long DEFAULT_DISK_BYTES = 1024L * 1024 * 1024;

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*([a-zA-Z0-9_.]+)\\s*}}");
    private static final Pattern ENV_NAME = Pattern.compile("^[A-Za-z_][A-Za-z0-9_]*$");
    private static final Pattern SECURITY_CONTEXT_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
    private static final Set<String> PULL_POLICIES = Set.of("Always", "IfNotPresent", "Never");
    private static final Set<String> ISOLATIONS = Set.of("inherit", "docker", "bubblewrap", "process");
    private static final Set<String> MODES = Set.of("one-shot", "iterative");
    private static final Set<String> NETWORK_MODES = Set.of("allow", "deny", "none");
    private static final Set<String> VALIDATORS = Set.of("exit_code", "json_schema", "regex", "semantic",
            "multi_judge");

    private AgentManifests() {
    }

    /**
     * Reads a manifest body. JSON is tried first when the body looks like JSON; otherwise YAML (a superset).
     *
     * @throws ManifestException when the text is not a single YAML/JSON object or the manifest is invalid
     */
    public static ParsedManifest parse(String text) {
        JsonNode tree = readTree(text);
        AgentManifest manifest = fromTree(tree);
        return new ParsedManifest(manifest, tree);
    }

    /** The validated manifest and the tree it came from (kept so that GET returns what was deployed). */
    public record ParsedManifest(AgentManifest manifest, JsonNode tree) {
    }

    private static JsonNode readTree(String text) {
        return ManifestChecker.readTree(text, Json.YAML);
    }

    public static AgentManifest fromTree(JsonNode root) {
        ManifestChecker.requireMapping(root);
        ManifestChecker c = new ManifestChecker();
        c.constant(root, "apiVersion", AgentManifest.API_VERSION);
        c.constant(root, "kind", AgentManifest.KIND);

        JsonNode meta = c.object(root, "metadata", "metadata", true);
        String name = c.name(meta);
        String version = c.scalar(meta, "version", "metadata.version", true);
        AgentManifest.Metadata metadata = new AgentManifest.Metadata(name, version,
                c.string(meta, "description", "metadata.description", false),
                c.stringList(meta, "tags", "metadata.tags"),
                c.stringMap(meta, "labels", "metadata.labels"));

        JsonNode spec = c.object(root, "spec", "spec", true);

        JsonNode rt = c.object(spec, "runtime", "spec.runtime", false);
        String language = c.string(rt, "language", "spec.runtime.language", false);
        String langVersion = c.scalar(rt, "version", "spec.runtime.version", false);
        String image = c.string(rt, "image", "spec.runtime.image", false);
        if (image != null && (language != null || langVersion != null)) {
            c.problem("spec.runtime", "give either image or language and version, not both");
        }
        if ((language == null) != (langVersion == null)) {
            c.problem(language == null ? "spec.runtime.language" : "spec.runtime.version",
                    "language and version go together");
        }
        AgentManifest.Runtime runtime = new AgentManifest.Runtime(language, langVersion, image,
                c.oneOf(rt, "image_pull_policy", "spec.runtime.image_pull_policy", PULL_POLICIES, "IfNotPresent"),
                c.oneOf(rt, "isolation", "spec.runtime.isolation", ISOLATIONS, "inherit"),
                orDefault(c.string(rt, "model", "spec.runtime.model", false), "default"));

        JsonNode taskNode = c.object(spec, "task", "spec.task", false);
        AgentManifest.Task task = new AgentManifest.Task(
                c.string(taskNode, "instruction", "spec.task.instruction", false),
                c.string(taskNode, "prompt_template", "spec.task.prompt_template", false));

        JsonNode ex = c.object(spec, "execution", "spec.execution", false);
        String maxKey = ex != null && ex.has("max_retries") && !ex.has("max_iterations") ? "max_retries"
                : "max_iterations";
        int maxIterations = (int) c.integer(ex, maxKey, "spec.execution." + maxKey, DEFAULT_MAX_ITERATIONS, 1,
                MAX_MAX_ITERATIONS);
        AgentManifest.Execution execution = new AgentManifest.Execution(
                c.oneOf(ex, "mode", "spec.execution.mode", MODES, "iterative"),
                maxIterations,
                c.duration(ex, "iteration_timeout", "spec.execution.iteration_timeout", DEFAULT_ITERATION_TIMEOUT),
                c.durationSeconds(ex, "llm_timeout_seconds", "spec.execution.llm_timeout_seconds",
                        DEFAULT_LLM_TIMEOUT),
                validators(c, ex, "validation", "spec.execution.validation"));

        JsonNode sec = c.object(spec, "security", "spec.security", false);
        JsonNode net = c.object(sec, "network", "spec.security.network", false);
        JsonNode res = c.object(sec, "resources", "spec.security.resources", false);
        AgentManifest.Security security = new AgentManifest.Security(
                c.oneOf(net, "mode", "spec.security.network.mode", NETWORK_MODES, "none"),
                c.stringList(net, "allowlist", "spec.security.network.allowlist"),
                c.integer(res, "cpu", "spec.security.resources.cpu", DEFAULT_CPU_MILLICORES, 1, 256_000),
                c.quantity(res, "memory", "spec.security.resources.memory", DEFAULT_MEMORY_BYTES),
                c.quantity(res, "disk", "spec.security.resources.disk", DEFAULT_DISK_BYTES),
                c.duration(res, "timeout", "spec.security.resources.timeout", DEFAULT_EXECUTION_TIMEOUT),
                securityContext(c, spec));

        List<String> tools = tools(c, spec);
        Map<String, String> env = env(c, spec);

        c.throwIfAny();
        return new AgentManifest(metadata, runtime, task, execution, security, tools, env);
    }

    private static <T> T orDefault(T value, T fallback) {
        return value == null ? fallback : value;
    }


    /** Renders the prompt of an execution: {{instruction}}, {{input}}, {{iteration_number}} and overrides. */
    public static String renderPrompt(AgentManifest manifest, String input, JsonNode overrides) {
        String template = manifest.task().promptTemplate() == null ? DEFAULT_PROMPT_TEMPLATE
                : manifest.task().promptTemplate();
        Map<String, String> vars = new LinkedHashMap<>();
        if (overrides != null && overrides.isObject()) {
            overrides.fields().forEachRemaining(e -> vars.put(e.getKey(),
                    e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString()));
        }
        String instruction = manifest.task().instruction() != null ? manifest.task().instruction()
                : manifest.metadata().description();
        vars.put("instruction", instruction == null ? "" : instruction);
        vars.put("input", input == null ? "" : input);
        vars.put("iteration_number", "1");
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(vars.getOrDefault(m.group(1), "")));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** {@code spec.security_context}: the SMCP security context its tool calls obey; null for the node's default. */
    private static String securityContext(ManifestChecker c, JsonNode spec) {
        String name = c.string(spec, "security_context", "spec.security_context", false);
        if (name != null && !SECURITY_CONTEXT_NAME.matcher(name).matches()) {
            c.problem("spec.security_context", "must be a security context name (letters, digits, '-', '_', '.')");
            return null;
        }
        return name;
    }

    private static List<String> tools(ManifestChecker c, JsonNode spec) {
        JsonNode v = spec == null ? null : spec.get("tools");
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (!v.isArray()) {
            c.problem("spec.tools", "must be a list of tool names (got " + ManifestChecker.kind(v) + ")");
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            JsonNode t = v.get(i);
            String toolName = t.isTextual() ? t.asText()
                    : t.isObject() && t.path("name").isTextual() ? t.path("name").asText() : null;
            if (toolName == null) {
                c.problem("spec.tools[" + i + "]", "must be a tool name or a mapping with a name");
            } else if (ToolCatalog.problem(toolName) != null) {
                c.problem("spec.tools[" + i + "]", ToolCatalog.problem(toolName));
            } else if (!out.contains(toolName)) {
                out.add(toolName);
            }
        }
        return List.copyOf(out);
    }

    private static Map<String, String> env(ManifestChecker c, JsonNode spec) {
        Map<String, String> env = c.stringMap(spec, "env", "spec.env");
        for (String k : env.keySet()) {
            if (!ENV_NAME.matcher(k).matches()) {
                c.problem("spec.env." + k, "is not a valid environment variable name");
            } else if (k.toUpperCase(Locale.ROOT).startsWith("AEGIS_")) {
                c.problem("spec.env." + k, "AEGIS_* variables are set by the orchestrator");
            }
        }
        return Map.copyOf(env);
    }

    private static List<Map<String, Object>> validators(ManifestChecker c, JsonNode parent, String key, String path) {
        JsonNode v = parent == null ? null : parent.get(key);
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (!v.isArray()) {
            c.problem(path, "must be a list of validators (got " + ManifestChecker.kind(v) + ")");
            return List.of();
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            JsonNode item = v.get(i);
            String type = item.path("type").isTextual() ? item.path("type").asText() : null;
            if (!item.isObject() || type == null) {
                c.problem(path + "[" + i + "].type", "is required");
            } else if (!VALIDATORS.contains(type)) {
                c.problem(path + "[" + i + "].type", "must be one of " + new TreeSet<>(VALIDATORS)
                        + " (got '" + type + "')");
            } else {
                @SuppressWarnings("unchecked")
                Map<String, Object> map = Json.MAPPER.convertValue(item, Map.class);
                out.add(map);
            }
        }
        return List.copyOf(out);
    }
}
