package ai.aegis.worker.smcp.mcp;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class McpStdioClientTest {

    private final List<McpClient> clients = new ArrayList<>();

    @AfterEach
    void closeClients() {
        clients.forEach(McpClient::close);
    }

    private StdioMcpClient client(McpServerConfig.Builder config, Function<String, String> env) {
        StdioMcpClient client = new StdioMcpClient(config.build(), env);
        clients.add(client);
        return client;
    }

    private StdioMcpClient client() {
        return client(McpServerConfig.stdio("notes", McpTestServers.notesCommand()), System::getenv);
    }

    static String text(JsonNode result) {
        return result.path("content").path(0).path("text").asText();
    }

    private static JsonNode args(String key, Object value) {
        return Json.MAPPER.valueToTree(Map.of(key, value));
    }

    @Test
    void discoversEveryPageOfTools() throws Exception {
        List<McpTool> tools = client().listTools();

        assertThat(tools).extracting(McpTool::qualifiedName).containsExactly("notes.add_note", "notes.list_notes",
                "notes.fail", "notes.big", "notes.crash", "notes.echo_env", "notes.slow", "notes.oops");
        McpTool add = tools.getFirst();
        assertThat(add.server()).isEqualTo("notes");
        assertThat(add.description()).isEqualTo("Store a note in memory.");
        assertThat(add.inputSchema().path("required").path(0).asText()).isEqualTo("text");
    }

    @Test
    void callsToolsAndKeepsServerState() throws Exception {
        StdioMcpClient client = client();

        assertThat(text(client.callTool("add_note", args("text", "one")))).isEqualTo("noted: one");
        client.callTool("add_note", args("text", "two"));
        JsonNode listed = client.callTool("list_notes", null);

        assertThat(text(listed)).isEqualTo("one\ntwo");
        assertThat(listed.path("structuredContent").path("notes")).hasSize(2);
        assertThat(listed.path("isError").asBoolean()).isFalse();
    }

    @Test
    void toolLevelErrorIsAResultNotAnException() throws Exception {
        JsonNode result = client().callTool("oops", Json.object());

        assertThat(result.path("isError").asBoolean()).isTrue();
        assertThat(text(result)).isEqualTo("tool-level failure");
    }

    @Test
    void concurrentCallsGetTheirOwnResponses() throws Exception {
        StdioMcpClient client = client();
        List<Future<String>> answers = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            for (int i = 0; i < 64; i++) {
                String note = "note-" + i;
                // A slow call now and then makes the threaded server answer out of order.
                answers.add(pool.submit(() -> note.endsWith("7")
                        ? text(client.callTool("slow", args("seconds", 0.2))) + " " + note
                        : text(client.callTool("add_note", args("text", note)))));
            }
            for (int i = 0; i < answers.size(); i++) {
                String note = "note-" + i;
                assertThat(answers.get(i).get()).isEqualTo(note.endsWith("7") ? "slept 0.2 " + note
                        : "noted: " + note);
            }
        }
        assertThat(text(client.callTool("list_notes", null)).split("\n")).hasSize(64 - 6);
        assertThat(client.pid()).isPresent();
    }

    @Test
    void jsonRpcErrorIsAToolErrorWithCodeAndMessage() {
        assertThatThrownBy(() -> client().callTool("fail", Json.object()))
                .isInstanceOfSatisfying(McpException.class, e -> {
                    assertThat(e.kind()).isEqualTo(McpException.Kind.TOOL_ERROR);
                    assertThat(e.code()).isEqualTo(-32000);
                    assertThat(e.getMessage()).contains("deliberate failure");
                });
        assertThatThrownBy(() -> client().callTool("no_such_tool", Json.object()))
                .isInstanceOfSatisfying(McpException.class, e -> assertThat(e.code()).isEqualTo(-32602));
    }

    @Test
    void oversizedReplyIsAProtocolErrorAndTheNextCallReconnects() throws Exception {
        StdioMcpClient client = client(McpServerConfig.stdio("notes", McpTestServers.notesCommand())
                .maxMessageBytes(64 * 1024), System::getenv);
        assertThat(text(client.callTool("big", args("bytes", 1000)))).hasSize(1000);
        long firstPid = client.pid().orElseThrow();

        assertThatThrownBy(() -> client.callTool("big", args("bytes", 100_000)))
                .isInstanceOfSatisfying(McpException.class, e -> {
                    assertThat(e.kind()).isEqualTo(McpException.Kind.PROTOCOL);
                    assertThat(e.getMessage()).contains("65536 bytes");
                });

        assertThat(text(client.callTool("add_note", args("text", "after")))).isEqualTo("noted: after");
        assertThat(client.pid().orElseThrow()).isNotEqualTo(firstPid);
    }

    @Test
    void crashFailsTheCallInFlightAndTheNextCallRestartsTheServer() throws Exception {
        StdioMcpClient client = client();
        client.callTool("add_note", args("text", "lost"));
        long firstPid = client.pid().orElseThrow();

        assertThatThrownBy(() -> client.callTool("crash", Json.object()))
                .isInstanceOfSatisfying(McpException.class, e -> {
                    assertThat(e.kind()).isEqualTo(McpException.Kind.UNAVAILABLE);
                    assertThat(e.getMessage()).contains("exited with code 3").contains("crashing on request");
                });
        await().atMost(Duration.ofSeconds(5)).until(() -> ProcessHandle.of(firstPid).isEmpty()
                || !ProcessHandle.of(firstPid).get().isAlive());

        assertThat(text(client.callTool("list_notes", null))).isEmpty();
        assertThat(client.pid().orElseThrow()).isNotEqualTo(firstPid);
    }

    @Test
    void slowToolTimesOutWithinTheConfiguredTimeoutAndTheConnectionStaysUsable() throws Exception {
        StdioMcpClient client = client(McpServerConfig.stdio("notes", McpTestServers.notesCommand())
                .timeout(Duration.ofSeconds(1)), System::getenv);
        client.listTools(); // started outside the measured call

        long start = System.nanoTime();
        assertThatThrownBy(() -> client.callTool("slow", args("seconds", 20)))
                .isInstanceOfSatisfying(McpException.class, e -> {
                    assertThat(e.kind()).isEqualTo(McpException.Kind.UNAVAILABLE);
                    assertThat(e.getMessage()).contains("within 1000 ms");
                });
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(900),
                Duration.ofSeconds(3));

        assertThat(text(client.callTool("add_note", args("text", "still here")))).isEqualTo("noted: still here");
    }

    @Test
    void childSeesOnlyPathHomeLangAndItsConfiguredEnvironment() throws Exception {
        Map<String, String> worker = Map.of("WORKER_TOKEN", "s3cret", "OTHER_VAR", "do-not-leak");
        Function<String, String> env = name -> worker.getOrDefault(name, System.getenv(name));
        StdioMcpClient client = client(McpServerConfig.stdio("notes", McpTestServers.notesCommand())
                .env("API_TOKEN", "env:WORKER_TOKEN").env("MODE", "test"), env);

        assertThat(text(client.callTool("echo_env", args("name", "API_TOKEN")))).isEqualTo("s3cret");
        assertThat(text(client.callTool("echo_env", args("name", "MODE")))).isEqualTo("test");
        assertThat(text(client.callTool("echo_env", args("name", "OTHER_VAR")))).isEqualTo("<unset>");
        assertThat(text(client.callTool("echo_env", args("name", "WORKER_TOKEN")))).isEqualTo("<unset>");
        assertThat(text(client.callTool("echo_env", args("name", "PATH")))).isEqualTo(System.getenv("PATH"));
    }

    @Test
    void missingEnvironmentVariableFailsTheStartNamingIt() {
        StdioMcpClient client = client(McpServerConfig.stdio("notes", McpTestServers.notesCommand())
                .env("API_TOKEN", "env:NOT_SET_ANYWHERE_42"), Map.of("PATH", "/usr/bin")::get);

        assertThatThrownBy(client::listTools).isInstanceOfSatisfying(McpException.class, e -> {
            assertThat(e.kind()).isEqualTo(McpException.Kind.UNAVAILABLE);
            assertThat(e.getMessage()).contains("NOT_SET_ANYWHERE_42").contains("API_TOKEN");
        });
    }

    @Test
    void unstartableCommandIsUnavailable() {
        StdioMcpClient client = client(McpServerConfig.stdio("ghost", List.of("/nonexistent/mcp-server")),
                System::getenv);

        assertThatThrownBy(client::listTools).isInstanceOfSatisfying(McpException.class, e -> {
            assertThat(e.kind()).isEqualTo(McpException.Kind.UNAVAILABLE);
            assertThat(e.getMessage()).contains("cannot start MCP server 'ghost'");
        });
    }

    @Test
    void serverThatExitsAtOnceReportsItsStderr() {
        StdioMcpClient client = client(McpServerConfig.stdio("broken", List.of(McpTestServers.PYTHON, "-c",
                "import sys; sys.stderr.write('bad config: no database\\n'); sys.exit(2)")), System::getenv);

        assertThatThrownBy(client::listTools).isInstanceOfSatisfying(McpException.class, e -> {
            assertThat(e.kind()).isEqualTo(McpException.Kind.UNAVAILABLE);
            assertThat(e.getMessage()).contains("failed to initialise").contains("exited with code 2")
                    .contains("bad config: no database");
        });
    }

    @Test
    void serverThatStopsReadingStdinIsStoppedOnceTheQueueIsFull() throws Exception {
        StdioMcpClient client = client(McpServerConfig.stdio("deaf", List.of(McpTestServers.PYTHON, "-c", """
                import json, sys, time
                request = json.loads(sys.stdin.readline())
                print(json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": {"protocolVersion": "2025-06-18",
                        "capabilities": {}, "serverInfo": {"name": "deaf", "version": "1"}}}), flush=True)
                time.sleep(60)
                """)).timeout(Duration.ofSeconds(5)), System::getenv);
        JsonNode big = args("text", "x".repeat(8 * 1024)); // a few of them fill the pipe, the rest wait in the queue
        List<Future<?>> calls = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < StdioMcpClient.MAX_QUEUED_MESSAGES + 100; i++) {
                calls.add(pool.submit(() -> client.callTool("add_note", big)));
            }
        }
        List<String> failures = new ArrayList<>();
        for (Future<?> call : calls) {
            assertThatThrownBy(call::get).cause().isInstanceOfSatisfying(McpException.class, e -> {
                assertThat(e.kind()).isEqualTo(McpException.Kind.UNAVAILABLE);
                failures.add(e.getMessage());
            });
        }
        assertThat(failures).anyMatch(message -> message.contains("does not read its stdin"));

        long start = System.nanoTime(); // a later process may be just as deaf: close() must not wait for it to read
        client.close();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void closeStopsTheProcessAndRefusesFurtherCalls() throws Exception {
        StdioMcpClient client = client();
        client.listTools();
        ProcessHandle process = ProcessHandle.of(client.pid().orElseThrow()).orElseThrow();

        client.close();

        assertThat(process.isAlive()).isFalse();
        assertThatThrownBy(client::listTools).isInstanceOfSatisfying(McpException.class,
                e -> assertThat(e.getMessage()).contains("closed"));
    }
}
