package ai.aegis.worker.smcp.mcp;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The transport-independent part of MCP: message shapes, the initialise handshake, tools/list and tools/call. */
final class McpProtocol {

    static final String LATEST_VERSION = "2025-06-18";
    static final Set<String> SUPPORTED_VERSIONS = Set.of("2024-11-05", "2025-03-26", "2025-06-18");
    static final String CLIENT_NAME = "aegis";
    static final String CLIENT_VERSION = "0.1.0";
    /** A server that keeps answering cursors is broken; stop instead of looping forever. */
    static final int MAX_PAGES = 100;

    /** One request/response exchange over some transport, returning the {@code result} member. */
    @FunctionalInterface
    interface Rpc {
        JsonNode request(String method, JsonNode params) throws McpException;
    }

    private McpProtocol() {
    }

    static ObjectNode request(long id, String method, JsonNode params) {
        ObjectNode message = Json.object().put("jsonrpc", "2.0").put("id", id).put("method", method);
        if (params != null) {
            message.set("params", params);
        }
        return message;
    }

    static ObjectNode notification(String method) {
        return Json.object().put("jsonrpc", "2.0").put("method", method);
    }

    static ObjectNode initializeParams() {
        ObjectNode params = Json.object().put("protocolVersion", LATEST_VERSION);
        params.set("capabilities", Json.object());
        params.set("clientInfo", Json.object().put("name", CLIENT_NAME).put("version", CLIENT_VERSION));
        return params;
    }

    /** Checks an initialise result and returns the protocol version the server chose. */
    static String negotiatedVersion(String server, JsonNode result) throws McpException {
        String version = result.path("protocolVersion").asText("");
        if (!SUPPORTED_VERSIONS.contains(version)) {
            throw new McpException(McpException.Kind.PROTOCOL, "MCP server '" + server
                    + "' answered initialize with unsupported protocol version '" + version + "'");
        }
        return version;
    }

    /** A message is a response when it has an id and no method (a request from the server has both). */
    static boolean isResponse(JsonNode message) {
        return message.isObject() && message.hasNonNull("id") && !message.has("method");
    }

    /** The {@code result} of a response, or its {@code error} as a TOOL_ERROR. */
    static JsonNode result(String server, String method, JsonNode response) throws McpException {
        JsonNode error = response.get("error");
        if (error != null && !error.isNull()) {
            throw McpException.toolError(error.path("code").asInt(0), "MCP server '" + server + "' " + method
                    + " failed: " + error.path("message").asText("(no message)"));
        }
        JsonNode result = response.get("result");
        if (result == null || !result.isObject()) {
            throw new McpException(McpException.Kind.PROTOCOL, "MCP server '" + server + "' answered " + method
                    + " with neither a result object nor an error");
        }
        return result;
    }

    static List<McpTool> listTools(String server, Rpc rpc) throws McpException {
        List<McpTool> tools = new ArrayList<>();
        Set<String> cursors = new HashSet<>();
        String cursor = null;
        for (int page = 0; page < MAX_PAGES; page++) {
            ObjectNode params = Json.object();
            if (cursor != null) {
                params.put("cursor", cursor);
            }
            JsonNode result = rpc.request("tools/list", params);
            JsonNode list = result.path("tools");
            if (!list.isArray()) {
                throw new McpException(McpException.Kind.PROTOCOL,
                        "MCP server '" + server + "' answered tools/list without a tools array");
            }
            for (JsonNode tool : list) {
                String name = tool.path("name").asText("");
                if (name.isEmpty()) {
                    throw new McpException(McpException.Kind.PROTOCOL,
                            "MCP server '" + server + "' listed a tool without a name");
                }
                JsonNode schema = tool.path("inputSchema");
                tools.add(new McpTool(server, name, tool.path("description").asText(""),
                        schema.isObject() ? schema : Json.object().put("type", "object")));
            }
            JsonNode next = result.get("nextCursor");
            if (next == null || next.isNull() || next.asText().isEmpty()) {
                return List.copyOf(tools);
            }
            cursor = next.asText();
            if (!cursors.add(cursor)) {
                throw new McpException(McpException.Kind.PROTOCOL,
                        "MCP server '" + server + "' repeated tools/list cursor '" + cursor + "'");
            }
        }
        throw new McpException(McpException.Kind.PROTOCOL,
                "MCP server '" + server + "' paginated tools/list beyond " + MAX_PAGES + " pages");
    }

    static JsonNode callTool(Rpc rpc, String toolName, JsonNode arguments) throws McpException {
        ObjectNode params = Json.object().put("name", toolName);
        params.set("arguments", arguments == null || arguments.isNull() ? Json.object() : arguments);
        return rpc.request("tools/call", params);
    }
}
