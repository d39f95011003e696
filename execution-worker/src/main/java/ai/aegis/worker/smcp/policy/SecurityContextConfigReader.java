package ai.aegis.worker.smcp.policy;

import ai.aegis.topology.config.ConfigLists;
import io.helidon.config.Config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The one place that knows Helidon config for the policy: reads {@code aegis.smcp.security-contexts}.
 * <pre>
 * aegis.smcp.security-contexts:
 *   - name: research
 *     description: ...
 *     capabilities:
 *       - tool-pattern: web.*          # *, exact name, or prefix.*
 *         path-allowlist: [...]        # each list: missing = no constraint, [] = nothing allowed
 *         command-allowlist: [...]
 *         subcommand-allowlist: [...]
 *         domain-allowlist: [...]
 *         rate-limit: {calls: 10, per-seconds: 60}
 *         max-response-size: 1048576
 *     deny-list: [...]
 * </pre>
 * Every key may also be spelled in snake_case ({@code tool_pattern}), as the reference's YAML does. An unknown key is
 * an error rather than ignored: a misspelt allowlist would otherwise mean "no constraint".
 */
public final class SecurityContextConfigReader {

    private static final Set<String> CONTEXT_KEYS = keys("name", "description", "capabilities", "deny-list",
            "metadata");
    private static final Set<String> CAPABILITY_KEYS = keys("tool-pattern", "path-allowlist", "command-allowlist",
            "subcommand-allowlist", "domain-allowlist", "rate-limit", "max-response-size");
    private static final Set<String> RATE_LIMIT_KEYS = keys("calls", "per-seconds");

    private SecurityContextConfigReader() {
    }

    /**
     * @param smcp the {@code aegis.smcp} node (may be missing: the defaults alone)
     * @throws IllegalArgumentException naming the key of a malformed entry
     */
    public static SecurityContexts read(Config smcp) {
        String base = smcp.key().toString();
        String where = (base.isEmpty() ? "" : base + ".") + "security-contexts";
        Config list = field(smcp, "security-contexts");
        if (!list.exists()) {
            return SecurityContexts.defaults();
        }
        List<SecurityContext> contexts = new ArrayList<>();
        Set<String> names = new LinkedHashSet<>();
        List<Config> entries = nodes(list, where);
        for (int i = 0; i < entries.size(); i++) {
            SecurityContext context = context(entries.get(i), where + "[" + i + "]");
            if (!names.add(context.name())) {
                throw new IllegalArgumentException(where + "[" + i + "].name '" + context.name() + "' is used twice");
            }
            contexts.add(context);
        }
        return SecurityContexts.of(contexts);
    }

    private static SecurityContext context(Config node, String where) {
        object(node, where, CONTEXT_KEYS);
        String name = string(node, "name", where).orElseThrow(() -> new IllegalArgumentException(
                where + ".name is required"));
        String description = string(node, "description", where).orElse("");
        List<Capability> capabilities = new ArrayList<>();
        Config caps = field(node, "capabilities");
        if (caps.exists()) {
            List<Config> entries = nodes(caps, where + ".capabilities");
            for (int j = 0; j < entries.size(); j++) {
                capabilities.add(capability(entries.get(j), where + ".capabilities[" + j + "]"));
            }
        }
        List<String> deny = strings(node, "deny-list", where);
        return new SecurityContext(name, description, capabilities, deny == null ? Set.of() : Set.copyOf(deny));
    }

    private static Capability capability(Config node, String where) {
        object(node, where, CAPABILITY_KEYS);
        String pattern = string(node, "tool-pattern", where).orElseThrow(() -> new IllegalArgumentException(
                where + ".tool-pattern is required"));
        String patternError = Capability.patternError(pattern);
        if (patternError != null) {
            throw new IllegalArgumentException(where + ".tool-pattern: " + patternError);
        }
        List<String> paths = strings(node, "path-allowlist", where);
        if (paths != null) {
            for (int k = 0; k < paths.size(); k++) {
                try {
                    WorkspacePaths.normalise(paths.get(k));
                } catch (PathTraversal e) {
                    throw new IllegalArgumentException(where + ".path-allowlist[" + k + "]: " + e.getMessage());
                }
            }
        }
        RateLimit rateLimit = null;
        Config limit = field(node, "rate-limit");
        if (limit.exists()) {
            String at = where + ".rate-limit";
            object(limit, at, RATE_LIMIT_KEYS);
            int calls = positive(limit, "calls", at);
            int seconds = positive(limit, "per-seconds", at);
            rateLimit = new RateLimit(calls, Duration.ofSeconds(seconds));
        }
        Long maxResponseSize = null;
        Optional<String> size = string(node, "max-response-size", where);
        if (size.isPresent()) {
            try {
                maxResponseSize = Long.parseLong(size.get());
            } catch (NumberFormatException e) {
                maxResponseSize = -1L;
            }
            if (maxResponseSize < 1) {
                throw new IllegalArgumentException(where + ".max-response-size must be a positive number of bytes");
            }
        }
        return new Capability(pattern, paths, strings(node, "command-allowlist", where),
                strings(node, "subcommand-allowlist", where), strings(node, "domain-allowlist", where), rateLimit,
                maxResponseSize);
    }

    /** The dashed key, or its snake_case spelling. */
    private static Config field(Config node, String dashed) {
        Config value = node.get(dashed);
        return value.exists() ? value : node.get(dashed.replace('-', '_'));
    }

    private static Set<String> keys(String... dashed) {
        Set<String> keys = new LinkedHashSet<>();
        for (String key : dashed) {
            keys.add(key);
            keys.add(key.replace('-', '_'));
        }
        return Set.copyOf(keys);
    }

    private static void object(Config node, String where, Set<String> known) {
        if (node.type() != Config.Type.OBJECT) {
            throw new IllegalArgumentException(where + " must be an object");
        }
        for (Config child : node.asNodeList().orElse(List.of())) {
            if (!known.contains(child.name())) {
                throw new IllegalArgumentException(where + "." + child.name() + " is not a known key");
            }
        }
    }

    private static List<Config> nodes(Config node, String where) {
        return ConfigLists.elements(node).orElseThrow(() -> new IllegalArgumentException(where + " must be a list"));
    }

    private static Optional<String> string(Config node, String key, String where) {
        Config value = field(node, key);
        if (!value.exists()) {
            return Optional.empty();
        }
        if (!value.isLeaf()) {
            throw new IllegalArgumentException(where + "." + key + " must be a single value");
        }
        return value.asString().asOptional().map(String::strip).filter(s -> !s.isEmpty());
    }

    /** {@code null} when missing (no constraint); a list of non-blank strings otherwise. */
    private static List<String> strings(Config node, String key, String where) {
        Config value = field(node, key);
        if (!value.exists()) {
            return null;
        }
        List<Config> items = nodes(value, where + "." + key);
        List<String> result = new ArrayList<>();
        for (int k = 0; k < items.size(); k++) {
            Config item = items.get(k);
            String text = item.isLeaf() ? item.asString().orElse("").strip() : "";
            if (text.isEmpty()) {
                throw new IllegalArgumentException(where + "." + key + "[" + k + "] must be a non-empty string");
            }
            result.add(text);
        }
        return List.copyOf(result);
    }

    private static int positive(Config node, String key, String where) {
        Optional<String> text = string(node, key, where);
        int value;
        try {
            value = Integer.parseInt(text.orElse(""));
        } catch (NumberFormatException e) {
            value = 0;
        }
        if (value < 1) {
            throw new IllegalArgumentException(where + "." + key + " must be a positive integer");
        }
        return value;
    }
}
