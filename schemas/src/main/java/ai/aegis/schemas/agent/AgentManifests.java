package ai.aegis.schemas.agent;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
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
    private static final Pattern NAME = Pattern.compile("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$");
    private static final Pattern ENV_NAME = Pattern.compile("^[A-Za-z_][A-Za-z0-9_]*$");
    private static final Pattern DURATION = Pattern.compile("^(\\d+)\\s*(ms|s|m|h)?$");
    private static final Pattern QUANTITY = Pattern.compile("^(\\d+)\\s*(Ki|Mi|Gi|Ti|k|K|M|G|T)?$");
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
        if (text == null || text.isBlank()) {
            throw single("$", "the manifest is empty");
        }
        String trimmed = text.stripLeading();
        try {
            JsonNode tree = trimmed.startsWith("{") ? Json.MAPPER.readTree(text) : Json.YAML.readTree(text);
            if (tree == null || !tree.isObject()) {
                throw single("$", "the manifest must be a mapping (a YAML or JSON object)");
            }
            return tree;
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw single("$", "not valid YAML or JSON" + where + ": " + e.getOriginalMessage());
        }
    }

    public static AgentManifest fromTree(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw single("$", "the manifest must be a mapping (a YAML or JSON object)");
        }
        Checker c = new Checker();
        c.constant(root, "apiVersion", AgentManifest.API_VERSION);
        c.constant(root, "kind", AgentManifest.KIND);

        JsonNode meta = c.object(root, "metadata", "metadata", true);
        String name = c.string(meta, "name", "metadata.name", true);
        if (name != null && !NAME.matcher(name).matches()) {
            c.problem("metadata.name", "must be 1-63 lowercase letters, digits or '-', not starting or ending"
                    + " with '-' (got '" + name + "')");
        }
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
                c.validators(ex, "validation", "spec.execution.validation"));

        JsonNode sec = c.object(spec, "security", "spec.security", false);
        JsonNode net = c.object(sec, "network", "spec.security.network", false);
        JsonNode res = c.object(sec, "resources", "spec.security.resources", false);
        AgentManifest.Security security = new AgentManifest.Security(
                c.oneOf(net, "mode", "spec.security.network.mode", NETWORK_MODES, "none"),
                c.stringList(net, "allowlist", "spec.security.network.allowlist"),
                c.integer(res, "cpu", "spec.security.resources.cpu", DEFAULT_CPU_MILLICORES, 1, 256_000),
                c.quantity(res, "memory", "spec.security.resources.memory", DEFAULT_MEMORY_BYTES),
                c.quantity(res, "disk", "spec.security.resources.disk", DEFAULT_DISK_BYTES),
                c.duration(res, "timeout", "spec.security.resources.timeout", DEFAULT_EXECUTION_TIMEOUT));

        List<String> tools = c.tools(spec);
        Map<String, String> env = c.env(spec);

        c.throwIfAny();
        return new AgentManifest(metadata, runtime, task, execution, security, tools, env);
    }

    private static <T> T orDefault(T value, T fallback) {
        return value == null ? fallback : value;
    }

    private static ManifestException single(String path, String message) {
        return new ManifestException(List.of(new ManifestException.Problem(path, message)));
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

    /** Walks the tree and records problems instead of stopping at the first one. */
    private static final class Checker {
        private final List<ManifestException.Problem> problems = new ArrayList<>();

        void problem(String path, String message) {
            problems.add(new ManifestException.Problem(path, message));
        }

        void throwIfAny() {
            if (!problems.isEmpty()) {
                throw new ManifestException(problems);
            }
        }

        void constant(JsonNode parent, String key, String expected) {
            JsonNode v = parent.get(key);
            if (v == null || v.isNull()) {
                problem(key, "is required and must be '" + expected + "'");
            } else if (!v.isTextual() || !expected.equals(v.asText())) {
                problem(key, "must be '" + expected + "' (got " + v + ")");
            }
        }

        JsonNode object(JsonNode parent, String key, String path, boolean required) {
            if (parent == null) {
                return null;
            }
            JsonNode v = parent.get(key);
            if (v == null || v.isNull()) {
                if (required) {
                    problem(path, "is required");
                }
                return null;
            }
            if (!v.isObject()) {
                problem(path, "must be a mapping (got " + kind(v) + ")");
                return null;
            }
            return v;
        }

        String string(JsonNode parent, String key, String path, boolean required) {
            JsonNode v = parent == null ? null : parent.get(key);
            if (v == null || v.isNull()) {
                if (required) {
                    problem(path, "is required");
                }
                return null;
            }
            if (!v.isTextual()) {
                problem(path, "must be a string (got " + kind(v) + ")");
                return null;
            }
            return v.asText();
        }

        /** A string, or a number that YAML read as one (version: 1.0). */
        String scalar(JsonNode parent, String key, String path, boolean required) {
            JsonNode v = parent == null ? null : parent.get(key);
            if (v != null && v.isNumber()) {
                return v.asText();
            }
            return string(parent, key, path, required);
        }

        String oneOf(JsonNode parent, String key, String path, Set<String> allowed, String fallback) {
            String v = string(parent, key, path, false);
            if (v == null) {
                return fallback;
            }
            if (!allowed.contains(v)) {
                problem(path, "must be one of " + new TreeSet<>(allowed) + " (got '" + v + "')");
                return fallback;
            }
            return v;
        }

        long integer(JsonNode parent, String key, String path, long fallback, long min, long max) {
            JsonNode v = parent == null ? null : parent.get(key);
            if (v == null || v.isNull()) {
                return fallback;
            }
            if (!v.isIntegralNumber()) {
                problem(path, "must be a whole number (got " + kind(v) + ")");
                return fallback;
            }
            long n = v.asLong();
            if (n < min || n > max) {
                problem(path, "must be between " + min + " and " + max + " (got " + n + ")");
                return fallback;
            }
            return n;
        }

        Duration duration(JsonNode parent, String key, String path, Duration fallback) {
            JsonNode v = parent == null ? null : parent.get(key);
            if (v == null || v.isNull()) {
                return fallback;
            }
            if (v.isIntegralNumber() && v.asLong() > 0) {
                return Duration.ofSeconds(v.asLong());
            }
            Matcher m = v.isTextual() ? DURATION.matcher(v.asText().trim()) : null;
            if (m == null || !m.matches() || Long.parseLong(m.group(1)) == 0) {
                problem(path, "must be a positive duration such as 90s, 5m or 1h (got " + v + ")");
                return fallback;
            }
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "s" : m.group(2);
            return switch (unit) {
                case "ms" -> Duration.ofMillis(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofSeconds(n);
            };
        }

        Duration durationSeconds(JsonNode parent, String key, String path, Duration fallback) {
            long s = integer(parent, key, path, fallback.toSeconds(), 1, 86_400);
            return Duration.ofSeconds(s);
        }

        long quantity(JsonNode parent, String key, String path, long fallback) {
            JsonNode v = parent == null ? null : parent.get(key);
            if (v == null || v.isNull()) {
                return fallback;
            }
            if (v.isIntegralNumber() && v.asLong() > 0) {
                return v.asLong();
            }
            Matcher m = v.isTextual() ? QUANTITY.matcher(v.asText().trim()) : null;
            if (m == null || !m.matches() || Long.parseLong(m.group(1)) == 0) {
                problem(path, "must be a positive quantity such as 512Mi or 1Gi (got " + v + ")");
                return fallback;
            }
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "" : m.group(2);
            long factor = switch (unit) {
                case "Ki" -> 1L << 10;
                case "Mi" -> 1L << 20;
                case "Gi" -> 1L << 30;
                case "Ti" -> 1L << 40;
                case "k", "K" -> 1_000L;
                case "M" -> 1_000_000L;
                case "G" -> 1_000_000_000L;
                case "T" -> 1_000_000_000_000L;
                default -> 1L;
            };
            return n * factor;
        }

        List<String> stringList(JsonNode parent, String key, String path) {
            JsonNode v = parent == null ? null : parent.get(key);
            if (v == null || v.isNull()) {
                return List.of();
            }
            if (!v.isArray()) {
                problem(path, "must be a list of strings (got " + kind(v) + ")");
                return List.of();
            }
            List<String> out = new ArrayList<>();
            for (int i = 0; i < v.size(); i++) {
                if (!v.get(i).isTextual()) {
                    problem(path + "[" + i + "]", "must be a string (got " + kind(v.get(i)) + ")");
                } else {
                    out.add(v.get(i).asText());
                }
            }
            return List.copyOf(out);
        }

        Map<String, String> stringMap(JsonNode parent, String key, String path) {
            JsonNode v = parent == null ? null : parent.get(key);
            if (v == null || v.isNull()) {
                return Map.of();
            }
            if (!v.isObject()) {
                problem(path, "must be a mapping of strings (got " + kind(v) + ")");
                return Map.of();
            }
            Map<String, String> out = new LinkedHashMap<>();
            Iterator<Map.Entry<String, JsonNode>> it = v.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getValue().isValueNode() && !e.getValue().isNull()) {
                    out.put(e.getKey(), e.getValue().asText());
                } else {
                    problem(path + "." + e.getKey(), "must be a string (got " + kind(e.getValue()) + ")");
                }
            }
            return out;
        }

        List<String> tools(JsonNode spec) {
            JsonNode v = spec == null ? null : spec.get("tools");
            if (v == null || v.isNull()) {
                return List.of();
            }
            if (!v.isArray()) {
                problem("spec.tools", "must be a list of tool names (got " + kind(v) + ")");
                return List.of();
            }
            List<String> out = new ArrayList<>();
            for (int i = 0; i < v.size(); i++) {
                JsonNode t = v.get(i);
                String toolName = t.isTextual() ? t.asText()
                        : t.isObject() && t.path("name").isTextual() ? t.path("name").asText() : null;
                if (toolName == null) {
                    problem("spec.tools[" + i + "]", "must be a tool name or a mapping with a name");
                } else if (!ToolCatalog.AVAILABLE.contains(toolName)) {
                    problem("spec.tools[" + i + "]", "unknown tool '" + toolName + "' (available: "
                            + new TreeSet<>(ToolCatalog.AVAILABLE) + ")");
                } else if (!out.contains(toolName)) {
                    out.add(toolName);
                }
            }
            return List.copyOf(out);
        }

        Map<String, String> env(JsonNode spec) {
            Map<String, String> env = stringMap(spec, "env", "spec.env");
            for (String k : env.keySet()) {
                if (!ENV_NAME.matcher(k).matches()) {
                    problem("spec.env." + k, "is not a valid environment variable name");
                } else if (k.toUpperCase(Locale.ROOT).startsWith("AEGIS_")) {
                    problem("spec.env." + k, "AEGIS_* variables are set by the orchestrator");
                }
            }
            return Map.copyOf(env);
        }

        List<Map<String, Object>> validators(JsonNode parent, String key, String path) {
            JsonNode v = parent == null ? null : parent.get(key);
            if (v == null || v.isNull()) {
                return List.of();
            }
            if (!v.isArray()) {
                problem(path, "must be a list of validators (got " + kind(v) + ")");
                return List.of();
            }
            List<Map<String, Object>> out = new ArrayList<>();
            for (int i = 0; i < v.size(); i++) {
                JsonNode item = v.get(i);
                String type = item.path("type").isTextual() ? item.path("type").asText() : null;
                if (!item.isObject() || type == null) {
                    problem(path + "[" + i + "].type", "is required");
                } else if (!VALIDATORS.contains(type)) {
                    problem(path + "[" + i + "].type", "must be one of " + new TreeSet<>(VALIDATORS)
                            + " (got '" + type + "')");
                } else {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> map = Json.MAPPER.convertValue(item, Map.class);
                    out.add(map);
                }
            }
            return List.copyOf(out);
        }

        private static String kind(JsonNode v) {
            if (v.isTextual()) {
                return "a string";
            }
            if (v.isNumber()) {
                return "a number";
            }
            if (v.isBoolean()) {
                return "a boolean";
            }
            if (v.isArray()) {
                return "a list";
            }
            if (v instanceof ObjectNode) {
                return "a mapping";
            }
            return "null";
        }
    }
}
