package ai.aegis.worker.smcp.tools;

import ai.aegis.schemas.agent.ToolCatalog;
import ai.aegis.worker.smcp.mcp.McpServers;
import ai.aegis.worker.smcp.mcp.McpTool;
import ai.aegis.worker.smcp.policy.SecurityContext;
import ai.aegis.worker.validation.JsonSchemaValidator;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every tool this worker can route: the built-in ones, and those its MCP servers list ({@code tools/list}, named
 * {@code <server>.<tool>}); which of them an agent is offered (its {@code spec.tools} and its security context), and
 * the compiled input schema of each, to check a call's arguments before it goes anywhere.
 */
public final class ToolCatalogue {

    private static final System.Logger LOG = System.getLogger(ToolCatalogue.class.getName());
    /** A tool's input schema and its compiled form (empty: it does not compile, the arguments go unchecked). */
    private record Compiled(JsonNode schema, Optional<JsonSchemaValidator> validator) {
    }

    /** Compiled input schemas by tool name, at most {@value #MAX_SCHEMAS} (tools beyond are compiled per call). */
    private static final int MAX_SCHEMAS = 10_000;
    private final Map<String, Compiled> schemas = new ConcurrentHashMap<>();
    private final McpServers mcp;

    /** @param mcp the MCP servers, or null for none */
    public ToolCatalogue(McpServers mcp) {
        this.mcp = mcp;
    }

    public List<ToolDescriptor> all() {
        List<ToolDescriptor> out = new ArrayList<>(BuiltinTools.ALL);
        if (mcp != null) {
            for (McpTool t : mcp.tools()) {
                out.add(new ToolDescriptor(t.qualifiedName(), t.description(), t.inputSchema(), "mcp:" + t.server()));
            }
        }
        return out;
    }

    public Optional<ToolDescriptor> find(String name) {
        if (name == null) {
            return Optional.empty();
        }
        for (ToolDescriptor d : BuiltinTools.ALL) {
            if (d.name().equals(name)) {
                return Optional.of(d);
            }
        }
        if (mcp == null) {
            return Optional.empty();
        }
        return mcp.tool(name).map(t -> new ToolDescriptor(t.qualifiedName(), t.description(), t.inputSchema(),
                "mcp:" + t.server()));
    }

    /** The tools a context lets an agent call (not denied, some capability's pattern matches). */
    public List<ToolDescriptor> allowedBy(SecurityContext context) {
        return all().stream().filter(d -> context.mayCall(d.name())).toList();
    }

    /** What the model of an agent is offered: tools its {@code spec.tools} lists that its context lets it call. */
    public List<ToolDescriptor> offered(List<String> manifestTools, SecurityContext context) {
        return allowedBy(context).stream().filter(d -> listed(manifestTools, d.name())).toList();
    }

    /** Whether {@code spec.tools} names the tool (exactly, or by a family such as {@code fs.*}). */
    public static boolean listed(List<String> manifestTools, String tool) {
        return manifestTools.stream().anyMatch(listed -> ToolCatalog.covers(listed, tool));
    }

    /** What is wrong with {@code arguments} against the tool's input schema (empty: nothing, or no usable schema). */
    public List<String> argumentProblems(ToolDescriptor tool, JsonNode arguments) {
        if (tool.inputSchema() == null || !tool.inputSchema().isObject()) {
            return List.of();
        }
        Compiled cached = schemas.get(tool.name());
        // the same node: the built-ins' are constants, an MCP tool's stays until its server is asked again
        if (cached == null || cached.schema() != tool.inputSchema()) {
            cached = new Compiled(tool.inputSchema(), compile(tool));
            if (schemas.size() < MAX_SCHEMAS) {
                schemas.put(tool.name(), cached);
            }
        }
        return cached.validator().map(v -> v.problems(arguments)).orElse(List.of());
    }

    private static Optional<JsonSchemaValidator> compile(ToolDescriptor tool) {
        try {
            return Optional.of(JsonSchemaValidator.of(tool.inputSchema(), 1.0));
        } catch (IllegalArgumentException e) {
            // a server's schema we cannot compile does not stop its tool; the server checks its own arguments
            LOG.log(System.Logger.Level.WARNING, "the input schema of tool " + tool.name() + " does not compile, its "
                    + "arguments go unchecked: " + e.getMessage());
            return Optional.empty();
        }
    }
}
