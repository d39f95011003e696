package ai.aegis.worker.smcp.mcp;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static ai.aegis.worker.smcp.mcp.McpStdioClientTest.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class McpServersTest {

    private McpHttpTestServer http;
    private final List<McpClient> created = new ArrayList<>();
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
    private final InstantSource clock = () -> now.get();

    @BeforeEach
    void start() throws IOException {
        http = new McpHttpTestServer();
    }

    @AfterEach
    void stop() {
        created.forEach(McpClient::close);
        http.close();
    }

    private McpServers servers(List<McpServerConfig> configs, McpClient fake) {
        return new McpServers(configs, config -> {
            McpClient client = fake != null && config.name().equals("flaky") ? fake
                    : config.isStdio() ? new StdioMcpClient(config) : new StreamableHttpMcpClient(config);
            created.add(client);
            return client;
        }, clock);
    }

    private List<McpServerConfig> notesAndRemote() {
        return List.of(McpServerConfig.stdio("notes", McpTestServers.notesCommand()).build(),
                McpServerConfig.http("remote", http.url()).build());
    }

    @Test
    void offersTheToolsOfEveryServerAndRoutesCallsByPrefix() throws Exception {
        try (McpServers servers = servers(notesAndRemote(), null)) {
            assertThat(servers.tools()).extracting(McpTool::qualifiedName)
                    .contains("notes.add_note", "notes.crash", "remote.add_note", "remote.slow")
                    .hasSize(8 + 5);
            assertThat(servers.tool("remote.list_notes")).get().extracting(McpTool::description)
                    .isEqualTo("http list_notes");

            JsonNode text = Json.object().put("text", "hi");
            assertThat(text(servers.call("notes.add_note", text))).isEqualTo("noted: hi");
            assertThat(text(servers.call("remote.add_note", text))).isEqualTo("noted: hi");
            assertThat(text(servers.call("notes.list_notes", null))).isEqualTo("hi");
            assertThat(servers.health()).containsEntry("notes", "ok: 8 tools").containsEntry("remote", "ok: 5 tools");
        }
    }

    @Test
    void unknownNamesAreToolErrors() throws Exception {
        try (McpServers servers = servers(notesAndRemote(), null)) {
            for (String name : List.of("nope.add_note", "notes.nope", "add_note", ".x")) {
                assertThatThrownBy(() -> servers.call(name, Json.object())).as(name)
                        .isInstanceOfSatisfying(McpException.class, e -> {
                            assertThat(e.kind()).isEqualTo(McpException.Kind.TOOL_ERROR);
                            assertThat(e.code()).isEqualTo(McpException.INVALID_PARAMS);
                        });
            }
            assertThat(servers.tool("notes.nope")).isEmpty();
        }
    }

    @Test
    void failedDiscoveryContributesNothingAndIsRetriedAtMostEvery30Seconds() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        AtomicBoolean healthy = new AtomicBoolean();
        McpClient flaky = new McpClient() {
            @Override
            public List<McpTool> listTools() throws McpException {
                attempts.incrementAndGet();
                if (!healthy.get()) {
                    throw new McpException(McpException.Kind.UNAVAILABLE, "connection refused");
                }
                return List.of(new McpTool("flaky", "ping", "", Json.object()));
            }

            @Override
            public JsonNode callTool(String toolName, JsonNode arguments) {
                return Json.object().put("called", toolName);
            }

            @Override
            public void close() {
            }
        };
        List<McpServerConfig> configs = List.of(McpServerConfig.stdio("notes", McpTestServers.notesCommand()).build(),
                McpServerConfig.http("flaky", URI.create("http://127.0.0.1:1/mcp")).build());
        try (McpServers servers = servers(configs, flaky)) {
            assertThat(servers.tools()).extracting(McpTool::server).containsOnly("notes");
            assertThat(servers.tools()).hasSize(8);
            assertThat(servers.tool("flaky.ping")).isEmpty();
            assertThat(attempts).hasValue(1);
            assertThat(servers.health().get("flaky")).isEqualTo("unavailable: connection refused");
            assertThatThrownBy(() -> servers.call("flaky.ping", null)).isInstanceOfSatisfying(McpException.class,
                    e -> assertThat(e.kind()).isEqualTo(McpException.Kind.UNAVAILABLE));

            now.set(now.get().plus(Duration.ofSeconds(29)));
            servers.tools();
            assertThat(attempts).hasValue(1);

            healthy.set(true);
            now.set(now.get().plus(Duration.ofSeconds(1)));
            assertThat(servers.tools()).extracting(McpTool::qualifiedName).contains("flaky.ping");
            assertThat(attempts).hasValue(2);
            assertThat(servers.call("flaky.ping", null).path("called").asText()).isEqualTo("ping");
            servers.tools();
            assertThat(attempts).hasValue(2);
        }
    }

    @Test
    void refusesDuplicateNames() {
        McpServerConfig one = McpServerConfig.stdio("notes", McpTestServers.notesCommand()).build();
        assertThatThrownBy(() -> new McpServers(List.of(one, one), Map.<String, String>of()::get))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'notes' is used twice");
    }

    @Test
    void closeStopsEveryProcess() throws Exception {
        McpServers servers = new McpServers(notesAndRemote());
        servers.tools();
        List<ProcessHandle> children = ProcessHandle.current().children()
                .filter(p -> p.info().commandLine().orElse("").contains("notes_mcp_server.py")).toList();
        assertThat(children).isNotEmpty();

        servers.close();

        assertThat(children).noneMatch(ProcessHandle::isAlive);
    }
}
