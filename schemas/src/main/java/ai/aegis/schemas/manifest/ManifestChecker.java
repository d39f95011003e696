package ai.aegis.schemas.manifest;

import ai.aegis.schemas.agent.ManifestException;
import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads typed fields out of a manifest tree (agents, workflows) and records, instead of throwing, every problem with
 * its path, so that one refusal lists them all. The rules for names, durations and quantities are the same for every
 * kind of manifest because they live here once.
 */
public final class ManifestChecker {

    private static final Pattern DURATION = Pattern.compile("^(\\d+)\\s*(ms|s|m|h)?$");
    private static final Pattern QUANTITY = Pattern.compile("^(\\d+)\\s*(Ki|Mi|Gi|Ti|k|K|M|G|T)?$");

    private final List<ManifestException.Problem> problems = new ArrayList<>();

    /** The rule for agent and workflow names: 1-63 lowercase letters, digits or '-', not at either end. */
    public static final Pattern NAME = Pattern.compile("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$");

    /**
     * Reads a manifest body: JSON when it looks like JSON, otherwise YAML with the given reader. Anything that is not
     * one mapping is refused with the line where reading failed.
     */
    public static JsonNode readTree(String text, com.fasterxml.jackson.databind.ObjectMapper yaml) {
        if (text == null || text.isBlank()) {
            throw single("$", "the manifest is empty");
        }
        JsonNode tree;
        try {
            tree = text.stripLeading().startsWith("{") ? ai.aegis.schemas.json.Json.MAPPER.readTree(text)
                    : yaml.readTree(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw single("$", "not valid YAML or JSON" + where + ": " + e.getOriginalMessage());
        }
        return requireMapping(tree);
    }

    public static JsonNode requireMapping(JsonNode tree) {
        if (tree == null || !tree.isObject()) {
            throw single("$", "the manifest must be a mapping (a YAML or JSON object)");
        }
        return tree;
    }

    /** {@code metadata.name}, required and following {@link #NAME}. */
    public String name(JsonNode meta) {
        String name = string(meta, "name", "metadata.name", true);
        if (name != null && !NAME.matcher(name).matches()) {
            problem("metadata.name", "must be 1-63 lowercase letters, digits or '-', not starting or ending"
                    + " with '-' (got '" + name + "')");
        }
        return name;
    }

    public static ManifestException single(String path, String message) {
        return new ManifestException(List.of(new ManifestException.Problem(path, message)));
    }

    public void problem(String path, String message) {
        problems.add(new ManifestException.Problem(path, message));
    }

    public void throwIfAny() {
        if (!problems.isEmpty()) {
            throw new ManifestException(problems);
        }
    }

    public void constant(JsonNode parent, String key, String expected) {
        JsonNode v = parent.get(key);
        if (v == null || v.isNull()) {
            problem(key, "is required and must be '" + expected + "'");
        } else if (!v.isTextual() || !expected.equals(v.asText())) {
            problem(key, "must be '" + expected + "' (got " + v + ")");
        }
    }

    /** @return the object, or null when absent (a problem if required) or not an object (always a problem) */
    public JsonNode object(JsonNode parent, String key, String path, boolean required) {
        JsonNode v = parent == null ? null : parent.get(key);
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

    public String string(JsonNode parent, String key, String path, boolean required) {
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
        if (required && v.asText().isBlank()) {
            problem(path, "must not be blank");
            return null;
        }
        return v.asText();
    }

    /** A string, or a number or boolean taken as its text (YAML reads {@code version: 1.0} as a number). */
    public String scalar(JsonNode parent, String key, String path) {
        JsonNode v = parent == null ? null : parent.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isNumber() || v.isBoolean()) {
            return v.asText();
        }
        return string(parent, key, path, false);
    }

    /** A string, or a number or boolean taken as its text; {@code required} makes absence a problem. */
    public String scalar(JsonNode parent, String key, String path, boolean required) {
        JsonNode v = parent == null ? null : parent.get(key);
        if ((v == null || v.isNull()) && required) {
            problem(path, "is required");
            return null;
        }
        return scalar(parent, key, path);
    }

    /** One of {@code allowed}, or {@code fallback} when absent (a problem when it is something else). */
    public String oneOf(JsonNode parent, String key, String path, java.util.Set<String> allowed, String fallback) {
        String v = string(parent, key, path, false);
        if (v == null) {
            return fallback;
        }
        if (!allowed.contains(v)) {
            problem(path, "must be one of " + new java.util.TreeSet<>(allowed) + " (got '" + v + "')");
            return fallback;
        }
        return v;
    }

    /** A whole number of seconds, 1 to a day. */
    public Duration durationSeconds(JsonNode parent, String key, String path, Duration fallback) {
        return Duration.ofSeconds(integer(parent, key, path, fallback.toSeconds(), 1, 86_400));
    }

    public boolean bool(JsonNode parent, String key, String path, boolean fallback) {
        JsonNode v = parent == null ? null : parent.get(key);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isBoolean()) {
            problem(path, "must be true or false (got " + v + ")");
            return fallback;
        }
        return v.asBoolean();
    }

    public long integer(JsonNode parent, String key, String path, long fallback, long min, long max) {
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

    /** {@code 30s}, {@code 5m}, {@code 1h} or a whole number of seconds; positive. */
    public Duration duration(JsonNode parent, String key, String path, Duration fallback) {
        JsonNode v = parent == null ? null : parent.get(key);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (v.isIntegralNumber() && v.asLong() > 0) {
            return Duration.ofSeconds(v.asLong());
        }
        Matcher m = v.isTextual() ? DURATION.matcher(v.asText().trim()) : null;
        if (m == null || !m.matches() || Long.parseLong(m.group(1)) == 0) {
            problem(path, "must be a positive duration such as 30s, 5m, 1h or a number of seconds (got " + v + ")");
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

    public long quantity(JsonNode parent, String key, String path, long fallback) {
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
        long factor = switch (m.group(2) == null ? "" : m.group(2)) {
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
        return Long.parseLong(m.group(1)) * factor;
    }

    public List<String> stringList(JsonNode parent, String key, String path) {
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

    /** Scalars are taken as text (YAML reads {@code PORT: 8080} as a number). */
    public Map<String, String> stringMap(JsonNode parent, String key, String path) {
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
        return Collections.unmodifiableMap(out);
    }

    public static String kind(JsonNode v) {
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
        if (v.isObject()) {
            return "a mapping";
        }
        return "null";
    }
}
