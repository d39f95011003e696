package ai.aegis.worker.smcp.mcp;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static ai.aegis.worker.smcp.mcp.McpStdioClientTest.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class McpHttpClientTest {

    private McpHttpTestServer server;
    private final List<McpClient> clients = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        server = new McpHttpTestServer();
    }

    @AfterEach
    void stop() {
        clients.forEach(McpClient::close);
        server.close();
    }

    private StreamableHttpMcpClient client(McpServerConfig.Builder config) {
        StreamableHttpMcpClient client = new StreamableHttpMcpClient(config.build(),
                Map.of("REMOTE_TOKEN", "Bearer t0ken")::get);
        clients.add(client);
        return client;
    }

    private StreamableHttpMcpClient client() {
        return client(McpServerConfig.http("remote", server.url()));
    }

    private static JsonNode args(String key, Object value) {
        return Json.MAPPER.valueToTree(Map.of(key, value));
    }

    @Test
    void discoversEveryPageOverOneSession() throws Exception {
        List<McpTool> tools = client().listTools();

        assertThat(tools).extracting(McpTool::qualifiedName).containsExactly("remote.add_note",
                "remote.list_notes", "remote.fail", "remote.big", "remote.slow");
        assertThat(server.initializations).hasValue(1);
        assertThat(server.seenHeaders).allSatisfy(h ->
                assertThat(h.get("accept")).isEqualTo("application/json, text/event-stream"));
        assertThat(server.seenHeaders.getLast().get("version")).isEqualTo(McpProtocol.LATEST_VERSION);
    }

    @Test
    void readsSseAndJsonResponsesWithinTheSession() throws Exception {
        StreamableHttpMcpClient client = client();

        assertThat(text(client.callTool("add_note", args("text", "one")))).isEqualTo("noted: one"); // SSE
        client.callTool("add_note", args("text", "two"));
        assertThat(text(client.callTool("list_notes", null))).isEqualTo("one\ntwo"); // JSON, same session
    }

    @Test
    void jsonRpcErrorIsAToolError() {
        assertThatThrownBy(() -> client().callTool("fail", Json.object()))
                .isInstanceOfSatisfying(McpException.class, e -> {
                    assertThat(e.kind()).isEqualTo(McpException.Kind.TOOL_ERROR);
                    assertThat(e.code()).isEqualTo(-32000);
                    assertThat(e.getMessage()).contains("deliberate http failure");
                });
    }

    @Test
    void expiredSessionIsReinitialisedAndTheCallRetried() throws Exception {
        StreamableHttpMcpClient client = client();
        client.callTool("add_note", args("text", "old session"));

        server.expireSessions();

        assertThat(text(client.callTool("list_notes", null))).isEmpty();
        assertThat(server.initializations).hasValue(2);
    }

    @Test
    void concurrentCallsShareTheSession() throws Exception {
        StreamableHttpMcpClient client = client();
        List<Future<String>> answers = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(6)) {
            for (int i = 0; i < 30; i++) {
                String note = "n" + i;
                answers.add(pool.submit(() -> text(client.callTool("add_note", args("text", note)))));
            }
            for (int i = 0; i < answers.size(); i++) {
                assertThat(answers.get(i).get()).isEqualTo("noted: n" + i);
            }
        }
        assertThat(text(client.callTool("list_notes", null)).split("\n")).hasSize(30);
        assertThat(server.initializations).hasValue(1);
    }

    @Test
    void oversizedSseEventIsAProtocolErrorAndTheClientStillWorks() throws Exception {
        StreamableHttpMcpClient client = client(McpServerConfig.http("remote", server.url())
                .maxMessageBytes(16 * 1024));

        assertThatThrownBy(() -> client.callTool("big", args("bytes", 50_000)))
                .isInstanceOfSatisfying(McpException.class, e -> {
                    assertThat(e.kind()).isEqualTo(McpException.Kind.PROTOCOL);
                    assertThat(e.getMessage()).contains("16384 bytes");
                });
        assertThat(text(client.callTool("big", args("bytes", 1000)))).hasSize(1000);
    }

    @Test
    void stalledEventStreamTimesOut() throws Exception {
        StreamableHttpMcpClient client = client(McpServerConfig.http("remote", server.url())
                .timeout(Duration.ofSeconds(1)));
        client.listTools();

        long start = System.nanoTime();
        assertThatThrownBy(() -> client.callTool("slow", args("seconds", 20)))
                .isInstanceOfSatisfying(McpException.class, e -> {
                    assertThat(e.kind()).isEqualTo(McpException.Kind.UNAVAILABLE);
                    assertThat(e.getMessage()).contains("within 1000 ms");
                });
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        assertThat(text(client.callTool("list_notes", null))).isEmpty();
    }

    @Test
    void headersResolveEnvironmentReferences() throws Exception {
        client(McpServerConfig.http("remote", server.url()).header("Authorization", "env:REMOTE_TOKEN"))
                .listTools();

        assertThat(server.seenHeaders).allSatisfy(h -> assertThat(h.get("authorization")).isEqualTo("Bearer t0ken"));
    }

    @Test
    void missingHeaderVariableFailsNamingIt() {
        assertThatThrownBy(() -> client(McpServerConfig.http("remote", server.url())
                .header("Authorization", "env:NO_SUCH_TOKEN")).listTools())
                .isInstanceOfSatisfying(McpException.class, e -> {
                    assertThat(e.kind()).isEqualTo(McpException.Kind.UNAVAILABLE);
                    assertThat(e.getMessage()).contains("NO_SUCH_TOKEN");
                });
    }

    @Test
    void unreachableServerIsUnavailable() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        StreamableHttpMcpClient client = client(McpServerConfig.http("gone",
                URI.create("http://127.0.0.1:" + port + "/mcp")));

        assertThatThrownBy(client::listTools).isInstanceOfSatisfying(McpException.class,
                e -> assertThat(e.kind()).isEqualTo(McpException.Kind.UNAVAILABLE));
    }

    @Test
    void requestWithoutSessionIsRejectedByTheServerAndCloseDeletesTheSession() throws Exception {
        StreamableHttpMcpClient client = client();
        client.listTools();
        java.net.http.HttpResponse<String> bare;
        try (java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient()) {
            bare = http.send(java.net.http.HttpRequest.newBuilder(server.url())
                            .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                                    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
        }
        assertThat(bare.statusCode()).isEqualTo(400);

        client.close();

        assertThat(server.deleted).hasSize(1);
        assertThatThrownBy(client::listTools).isInstanceOf(McpException.class);
    }
}
