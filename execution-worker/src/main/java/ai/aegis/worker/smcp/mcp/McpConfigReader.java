package ai.aegis.worker.smcp.mcp;

import ai.aegis.topology.config.ConfigKeys;
import ai.aegis.topology.config.ConfigLists;
import io.helidon.config.Config;
import io.helidon.config.ConfigException;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The one place that knows Helidon config for MCP servers:
 * <pre>
 * aegis.smcp:
 *   mcp-servers:
 *     - name: notes                      # [a-z0-9][a-z0-9_-]*, the tool-name prefix
 *       command: [python3, server.py]    # stdio server ... or
 *       url: https://mcp.example.com/mcp # Streamable HTTP server (exactly one of the two)
 *       env: {API_TOKEN: env:NOTES_TOKEN}        # stdio only; the child inherits only PATH, HOME, LANG
 *       working-dir: /srv/notes                  # stdio only
 *       headers: {Authorization: env:MCP_AUTH}   # http only
 *       timeout-seconds: 30
 *       max-message-bytes: 4194304
 * </pre>
 * {@code env:VAR} values are checked here (a missing variable fails the worker's start, naming it) but kept as
 * references: the clients read them when they start a server, so no secret sits in the configuration objects.
 * As in {@code LlmConfigReader}, a dashed key's dotted twin (what Helidon makes of an environment variable) wins.
 */
public final class McpConfigReader {

    static final String SERVERS = "mcp-servers";
    private static final Set<String> KEYS = Set.of("name", "command", "env", "working-dir", "url", "headers",
            "timeout-seconds", "max-message-bytes");
    /** First segments of the dotted twins of dashed keys: objects, never values. */
    private static final Set<String> TWINS = Set.of("working", "timeout", "max", "mcp");

    private McpConfigReader() {
    }

    /**
     * @param smcp the {@code aegis.smcp} node (may be missing: no servers)
     * @param env  the worker's environment, to check {@code env:VAR} references
     * @throws IllegalArgumentException naming the offending key
     */
    public static List<McpServerConfig> read(Config smcp, Function<String, String> env) {
        Config list = ConfigKeys.key(smcp, SERVERS);
        String base = path(smcp) + "." + SERVERS;
        if (!list.exists()) {
            return List.of();
        }
        List<Config> nodes = ConfigLists.elements(list).orElseThrow(() -> new IllegalArgumentException(
                base + " must be a list of servers"));
        List<McpServerConfig> configs = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < nodes.size(); i++) {
            McpServerConfig config = server(nodes.get(i), base + "[" + i + "]", env);
            if (!names.add(config.name())) {
                throw new IllegalArgumentException(base + "[" + i + "].name '" + config.name() + "' is used twice");
            }
            configs.add(config);
        }
        return List.copyOf(configs);
    }

    private static McpServerConfig server(Config node, String where, Function<String, String> env) {
        if (node.type() != Config.Type.OBJECT) {
            throw new IllegalArgumentException(where + " must be an object");
        }
        for (Config child : node.asNodeList().orElse(List.of())) {
            if (!KEYS.contains(child.name()) && !(TWINS.contains(child.name()) && !child.isLeaf())) {
                throw new IllegalArgumentException(where + "." + child.name() + " is not a known key (known: name, "
                        + "command, env, working-dir, url, headers, timeout-seconds, max-message-bytes)");
            }
        }
        String name = ConfigKeys.string(node, "name").orElseThrow(() -> new IllegalArgumentException(
                where + ".name is required"));
        List<String> command = command(node, where);
        Optional<URI> url = ConfigKeys.string(node, "url").map(value -> uri(value, where + ".url"));
        if (command.isEmpty() == url.isEmpty()) {
            throw new IllegalArgumentException(where + ": exactly one of command (stdio) or url (http) is required");
        }
        Map<String, String> environment = map(node, "env", where, env);
        Map<String, String> headers = map(node, "headers", where, env);
        Optional<String> workingDir = ConfigKeys.string(node, "working-dir");
        if (url.isPresent() && (!environment.isEmpty() || workingDir.isPresent())) {
            throw new IllegalArgumentException(where + ": env and working-dir apply only to a command");
        }
        if (!command.isEmpty() && !headers.isEmpty()) {
            throw new IllegalArgumentException(where + ": headers apply only to a url");
        }
        int timeoutSeconds = integer(node, "timeout-seconds", where)
                .orElse((int) McpServerConfig.DEFAULT_TIMEOUT.toSeconds());
        if (timeoutSeconds <= 0) {
            throw new IllegalArgumentException(where + ".timeout-seconds must be positive");
        }
        int maxBytes = integer(node, "max-message-bytes", where).orElse(McpServerConfig.DEFAULT_MAX_MESSAGE_BYTES);
        try {
            return new McpServerConfig(name, command, environment, workingDir.map(Path::of).orElse(null),
                    url.orElse(null), headers, Duration.ofSeconds(timeoutSeconds), maxBytes);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }

    private static List<String> command(Config node, String where) {
        Config command = ConfigKeys.key(node, "command");
        if (!command.exists()) {
            return List.of();
        }
        List<Config> elements = ConfigLists.elements(command).orElse(List.of());
        List<String> parts = elements.stream().filter(Config::isLeaf).map(part -> part.asString().get()).toList();
        if (parts.isEmpty() || parts.size() < elements.size() || parts.stream().anyMatch(String::isBlank)) {
            throw new IllegalArgumentException(where + ".command must be a non-empty list");
        }
        return parts;
    }

    private static Map<String, String> map(Config node, String key, String where, Function<String, String> env) {
        Config map = node.get(key);
        if (!map.exists()) {
            return Map.of();
        }
        if (map.type() != Config.Type.OBJECT) {
            throw new IllegalArgumentException(where + "." + key + " must be a map of names to values");
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (Config entry : map.asNodeList().orElse(List.of())) {
            String at = where + "." + key + "." + entry.name();
            if (!entry.isLeaf()) {
                throw new IllegalArgumentException(at + " must be a string");
            }
            String value = entry.asString().get();
            String variable = EnvReferences.variable(value);
            if (variable != null && (variable.isEmpty() || env.apply(variable) == null)) {
                throw new IllegalArgumentException(at + " refers to environment variable '" + variable
                        + "', which is not set");
            }
            values.put(entry.name(), value);
        }
        return values;
    }

    private static URI uri(String value, String where) {
        try {
            return new URI(value);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(where + " is not a URI: " + e.getMessage());
        }
    }

    private static String path(Config node) {
        String key = node.key().toString();
        return key.isEmpty() ? "aegis.smcp" : key;
    }

    private static Optional<Integer> integer(Config node, String key, String where) {
        try {
            return ConfigKeys.string(node, key).map(Integer::parseInt);
        } catch (NumberFormatException | ConfigException e) {
            throw new IllegalArgumentException(where + "." + key + " must be an integer");
        }
    }
}
