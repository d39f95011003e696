package ai.aegis.worker.smcp.mcp;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Objects;

/**
 * A tool offered by one configured MCP server.
 *
 * @param server      the configured server name (also the prefix of {@link #qualifiedName()})
 * @param name        the tool's own name on that server (what {@code tools/call} is sent)
 * @param description the server's description, empty when it gave none
 * @param inputSchema the JSON schema of the arguments as the server declared it
 */
public record McpTool(String server, String name, String description, JsonNode inputSchema) {

    public McpTool {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(name, "name");
        description = description == null ? "" : description;
        Objects.requireNonNull(inputSchema, "inputSchema");
    }

    /** The name the orchestrator offers to the model and policies match on: {@code server.name}. */
    public String qualifiedName() {
        return server + "." + name;
    }
}
