package ai.aegis.worker.smcp.mcp;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Streamable HTTP MCP server on the JDK's HttpServer, for tests. It issues an {@code Mcp-Session-Id} on
 * initialize and requires it afterwards (400 without, 404 for an unknown one), answers notifications with 202,
 * paginates tools/list by 2, and answers tools/call as an SSE stream for {@code add_note}, {@code big} and
 * {@code slow} (with a notification and a comment before the response) and as plain JSON otherwise.
 */
final class McpHttpTestServer implements AutoCloseable {

    private static final List<String> TOOLS = List.of("add_note", "list_notes", "fail", "big", "slow");

    private final HttpServer server;
    private final Map<String, List<String>> sessions = new ConcurrentHashMap<>();
    final Set<String> deleted = ConcurrentHashMap.newKeySet();
    final AtomicInteger initializations = new AtomicInteger();
    final List<Map<String, String>> seenHeaders = new CopyOnWriteArrayList<>();

    McpHttpTestServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/mcp", this::handle);
        server.start();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/mcp");
    }

    /** Forgets every session, as a restarted server would. */
    void expireSessions() {
        sessions.clear();
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            seenHeaders.add(Map.of(
                    "authorization", String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")),
                    "version", String.valueOf(exchange.getRequestHeaders().getFirst("MCP-Protocol-Version")),
                    "accept", String.valueOf(exchange.getRequestHeaders().getFirst("Accept"))));
            String sessionId = exchange.getRequestHeaders().getFirst("Mcp-Session-Id");
            if ("DELETE".equals(exchange.getRequestMethod())) {
                if (sessionId != null && sessions.remove(sessionId) != null) {
                    deleted.add(sessionId);
                }
                exchange.sendResponseHeaders(204, -1);
                return;
            }
            JsonNode message = Json.MAPPER.readTree(exchange.getRequestBody().readAllBytes());
            String method = message.path("method").asText();
            if ("initialize".equals(method)) {
                initializations.incrementAndGet();
                String id = UUID.randomUUID().toString();
                sessions.put(id, new CopyOnWriteArrayList<>());
                exchange.getResponseHeaders().add("Mcp-Session-Id", id);
                ObjectNode result = Json.object().put("protocolVersion", message.path("params")
                        .path("protocolVersion").asText());
                result.set("capabilities", Json.object().set("tools", Json.object()));
                result.set("serverInfo", Json.object().put("name", "http-notes").put("version", "1"));
                json(exchange, 200, response(message, result));
                return;
            }
            if (sessionId == null) {
                text(exchange, 400, "missing Mcp-Session-Id");
                return;
            }
            List<String> notes = sessions.get(sessionId);
            if (notes == null) {
                text(exchange, 404, "unknown session");
                return;
            }
            if (!message.has("id")) {
                exchange.sendResponseHeaders(202, -1);
                return;
            }
            JsonNode params = message.path("params");
            switch (method) {
                case "tools/list" -> {
                    int start = params.path("cursor").asInt(0);
                    ArrayNode tools = Json.MAPPER.createArrayNode();
                    TOOLS.stream().skip(start).limit(2).forEach(name -> tools.add(Json.object().put("name", name)
                            .put("description", "http " + name)
                            .set("inputSchema", Json.object().put("type", "object"))));
                    ObjectNode result = Json.object();
                    result.set("tools", tools);
                    if (start + 2 < TOOLS.size()) {
                        result.put("nextCursor", String.valueOf(start + 2));
                    }
                    json(exchange, 200, response(message, result));
                }
                case "tools/call" -> call(exchange, message, params, notes);
                default -> json(exchange, 200, error(message, -32601, "method not found"));
            }
        }
    }

    private void call(HttpExchange exchange, JsonNode message, JsonNode params, List<String> notes)
            throws IOException {
        JsonNode arguments = params.path("arguments");
        switch (params.path("name").asText()) {
            case "add_note" -> {
                notes.add(arguments.path("text").asText());
                sse(exchange, message, textResult("noted: " + arguments.path("text").asText()), 0);
            }
            case "list_notes" -> json(exchange, 200, response(message, textResult(String.join("\n", notes))));
            case "fail" -> json(exchange, 200, error(message, -32000, "deliberate http failure"));
            case "big" -> sse(exchange, message, textResult("x".repeat(arguments.path("bytes").asInt())), 0);
            case "slow" -> sse(exchange, message, textResult("slept"), arguments.path("seconds").asLong());
            default -> json(exchange, 200, error(message, -32602, "Unknown tool"));
        }
    }

    /** An SSE answer: a progress notification, a comment, then the response split over two data lines. */
    private static void sse(HttpExchange exchange, JsonNode request, JsonNode result, long delaySeconds)
            throws IOException {
        exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        out.write(("event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
                + "\"params\":{\"progress\":1}}\n\n: keep-alive\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        if (delaySeconds > 0) {
            try {
                Thread.sleep(delaySeconds * 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        String json = Json.write(response(request, result));
        int comma = json.indexOf(',');
        String event = "id: 1\ndata: " + json.substring(0, comma + 1) + "\ndata: " + json.substring(comma + 1)
                + "\n\n";
        out.write(event.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static ObjectNode textResult(String text) {
        ObjectNode result = Json.object().put("isError", false);
        result.set("content", Json.MAPPER.createArrayNode().add(Json.object().put("type", "text").put("text", text)));
        return result;
    }

    private static ObjectNode response(JsonNode request, JsonNode result) {
        ObjectNode response = Json.object().put("jsonrpc", "2.0");
        response.set("id", request.get("id"));
        response.set("result", result);
        return response;
    }

    private static ObjectNode error(JsonNode request, int code, String message) {
        ObjectNode response = Json.object().put("jsonrpc", "2.0");
        response.set("id", request.get("id"));
        response.set("error", Json.object().put("code", code).put("message", message));
        return response;
    }

    private static void json(HttpExchange exchange, int status, JsonNode body) throws IOException {
        byte[] bytes = Json.writeBytes(body);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private static void text(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }
}
