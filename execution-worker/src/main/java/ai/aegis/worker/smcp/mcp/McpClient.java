package ai.aegis.worker.smcp.mcp;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/**
 * A connection to one MCP server. Implementations connect and initialise lazily on first use, reconnect after the
 * server went away, and are safe to call from several threads at once.
 */
public interface McpClient extends AutoCloseable {

    /** Every tool of the server ({@code tools/list}, all pages). */
    List<McpTool> listTools() throws McpException;

    /**
     * Calls a tool and returns the {@code tools/call} result as the server sent it
     * ({@code {content: [...], isError, structuredContent?}}); a result with {@code isError: true} is returned, not
     * thrown, since it is the tool's answer for the model to read.
     *
     * @param toolName the server's own tool name, not the qualified one
     */
    JsonNode callTool(String toolName, JsonNode arguments) throws McpException;

    /** Stops the server process or ends the session; never throws. */
    @Override
    void close();
}
