package ai.aegis.worker.smcp.mcp;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * The configured MCP servers and their tools, by qualified name ({@code server.tool}).
 * <p>
 * Each server's {@code tools/list} is fetched once and cached. A server that fails discovery is logged and
 * contributes no tools; it is asked again at most every {@link #DISCOVERY_RETRY}, so that a dead server does not
 * cost every caller a timeout. Servers due for discovery are asked in parallel.
 */
public final class McpServers implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(McpServers.class.getName());
    public static final Duration DISCOVERY_RETRY = Duration.ofSeconds(30);

    /** One server: its client and what discovery last found. */
    private static final class Server {
        final McpServerConfig config;
        final McpClient client;
        final ReentrantLock discovery = new ReentrantLock();
        /** By the tool's own name, in the server's order (the first of a repeated name); null until discovered. */
        volatile Map<String, McpTool> tools;
        volatile Instant failedAt;
        volatile String failure;

        Server(McpServerConfig config, McpClient client) {
            this.config = config;
            this.client = client;
        }
    }

    private final Map<String, Server> servers = new LinkedHashMap<>();
    private final InstantSource clock;

    public McpServers(List<McpServerConfig> configs) {
        this(configs, System::getenv);
    }

    /** @param environment the worker's environment, for {@code env:VAR} references and the child's PATH/HOME/LANG */
    public McpServers(List<McpServerConfig> configs, Function<String, String> environment) {
        this(configs, config -> config.isStdio() ? new StdioMcpClient(config, environment)
                : new StreamableHttpMcpClient(config, environment), InstantSource.system());
    }

    /** @param clients makes the client of a server (clients connect lazily, so this starts nothing) */
    public McpServers(List<McpServerConfig> configs, Function<McpServerConfig, McpClient> clients,
                      InstantSource clock) {
        this.clock = clock;
        for (McpServerConfig config : configs) {
            if (servers.containsKey(config.name())) {
                throw new IllegalArgumentException("MCP server name '" + config.name() + "' is used twice");
            }
            servers.put(config.name(), new Server(config, clients.apply(config)));
        }
    }

    /** The tools of every server that could be discovered, in configuration order. */
    public List<McpTool> tools() {
        List<Server> due = servers.values().stream().filter(this::due).toList();
        if (due.size() == 1) {
            discover(due.getFirst());
        } else if (!due.isEmpty()) {
            try (ExecutorService discovery = Executors.newVirtualThreadPerTaskExecutor()) {
                due.forEach(server -> discovery.execute(() -> discover(server)));
            }
        }
        List<McpTool> all = new ArrayList<>();
        servers.values().forEach(server -> {
            Map<String, McpTool> tools = server.tools;
            if (tools != null) {
                all.addAll(tools.values());
            }
        });
        return List.copyOf(all);
    }

    public Optional<McpTool> tool(String qualifiedName) {
        Server server = serverOf(qualifiedName);
        return server == null ? Optional.empty() : Optional.ofNullable(tool(server, qualifiedName));
    }

    /**
     * Calls a discovered tool. An unknown name is a TOOL_ERROR with code {@link McpException#INVALID_PARAMS}
     * (what MCP servers answer for an unknown tool); a known server whose discovery failed is UNAVAILABLE.
     */
    public JsonNode call(String qualifiedName, JsonNode arguments) throws McpException {
        Server server = serverOf(qualifiedName);
        if (server == null) {
            throw new McpException(McpException.Kind.TOOL_ERROR, McpException.INVALID_PARAMS,
                    "unknown MCP tool '" + qualifiedName + "': no such server", null);
        }
        McpTool tool = tool(server, qualifiedName);
        if (tool == null) {
            if (server.tools == null) {
                throw new McpException(McpException.Kind.UNAVAILABLE, "MCP server '" + server.config.name()
                        + "' is unavailable: " + server.failure);
            }
            throw new McpException(McpException.Kind.TOOL_ERROR, McpException.INVALID_PARAMS,
                    "unknown MCP tool '" + qualifiedName + "'", null);
        }
        return server.client.callTool(tool.name(), arguments);
    }

    /** Per server: {@code ok: N tools}, {@code unavailable: <reason>} or {@code not discovered}. */
    public Map<String, String> health() {
        Map<String, String> health = new LinkedHashMap<>();
        servers.forEach((name, server) -> {
            Map<String, McpTool> tools = server.tools;
            health.put(name, tools != null ? "ok: " + tools.size() + " tools"
                    : server.failure != null ? "unavailable: " + server.failure : "not discovered");
        });
        return health;
    }

    @Override
    public void close() {
        servers.values().forEach(server -> {
            try {
                server.client.close();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "closing MCP server ''{0}'' failed: {1}",
                        server.config.name(), e.toString());
            }
        });
    }

    private Server serverOf(String qualifiedName) {
        int dot = qualifiedName.indexOf('.');
        return dot <= 0 ? null : servers.get(qualifiedName.substring(0, dot));
    }

    /** The tool of {@code server} (discovering it when due) named {@code server.name}, or null. */
    private McpTool tool(Server server, String qualifiedName) {
        if (due(server)) {
            discover(server);
        }
        Map<String, McpTool> tools = server.tools;
        // A server's name has no dot, so the tool's own name is everything after the first one.
        return tools == null ? null : tools.get(qualifiedName.substring(server.config.name().length() + 1));
    }

    private boolean due(Server server) {
        Instant failedAt = server.failedAt;
        return server.tools == null
                && (failedAt == null || !clock.instant().isBefore(failedAt.plus(DISCOVERY_RETRY)));
    }

    private void discover(Server server) {
        server.discovery.lock();
        try {
            if (!due(server)) {
                return; // another thread discovered or failed meanwhile
            }
            Map<String, McpTool> byName = new LinkedHashMap<>();
            server.client.listTools().forEach(tool -> byName.putIfAbsent(tool.name(), tool));
            server.tools = Collections.unmodifiableMap(byName);
            server.failure = null;
            server.failedAt = null;
            LOG.log(System.Logger.Level.INFO, "MCP server ''{0}'': {1} tools", server.config.name(), byName.size());
        } catch (McpException e) {
            server.failedAt = clock.instant();
            server.failure = e.getMessage();
            LOG.log(System.Logger.Level.WARNING, "MCP server ''{0}'' offers no tools, discovery failed ({1}): {2}",
                    server.config.name(), e.kind(), e.getMessage());
        } finally {
            server.discovery.unlock();
        }
    }
}
