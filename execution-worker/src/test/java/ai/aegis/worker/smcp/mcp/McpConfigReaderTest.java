package ai.aegis.worker.smcp.mcp;

import io.helidon.common.media.type.MediaTypes;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class McpConfigReaderTest {

    private static final Function<String, String> ENV = Map.of("NOTES_TOKEN", "s3cret", "MCP_AUTH", "Bearer x")::get;

    private static Config smcp(String yaml) {
        return Config.just(ConfigSources.create(yaml, MediaTypes.APPLICATION_X_YAML)).get("aegis.smcp");
    }

    @Test
    void readsStdioAndHttpServers() {
        List<McpServerConfig> configs = McpConfigReader.read(smcp("""
                aegis:
                  smcp:
                    mcp-servers:
                      - name: notes
                        command: [/usr/bin/python3, notes.py, --verbose]
                        env: {API_TOKEN: "env:NOTES_TOKEN", MODE: test}
                        working-dir: /tmp
                        timeout-seconds: 5
                      - name: remote-docs
                        url: https://mcp.example.com/mcp
                        headers: {Authorization: "env:MCP_AUTH"}
                        max-message-bytes: 65536
                """), ENV);

        assertThat(configs).hasSize(2);
        McpServerConfig notes = configs.get(0);
        assertThat(notes.name()).isEqualTo("notes");
        assertThat(notes.command()).containsExactly("/usr/bin/python3", "notes.py", "--verbose");
        assertThat(notes.env()).containsExactly(Map.entry("API_TOKEN", "env:NOTES_TOKEN"), Map.entry("MODE", "test"));
        assertThat(notes.workingDir()).isEqualTo(Path.of("/tmp"));
        assertThat(notes.timeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(notes.maxMessageBytes()).isEqualTo(McpServerConfig.DEFAULT_MAX_MESSAGE_BYTES);
        assertThat(notes.isStdio()).isTrue();
        assertThat(notes.toString()).doesNotContain("NOTES_TOKEN").contains("API_TOKEN");

        McpServerConfig remote = configs.get(1);
        assertThat(remote.url()).isEqualTo(URI.create("https://mcp.example.com/mcp"));
        assertThat(remote.headers()).containsEntry("Authorization", "env:MCP_AUTH");
        assertThat(remote.timeout()).isEqualTo(McpServerConfig.DEFAULT_TIMEOUT);
        assertThat(remote.maxMessageBytes()).isEqualTo(65536);
    }

    @Test
    void noServersIsAnEmptyList() {
        assertThat(McpConfigReader.read(smcp("aegis: {other: 1}"), ENV)).isEmpty();
    }

    @Test
    void malformedEntriesNameThePath() {
        Map<String, String> bad = Map.ofEntries(
                Map.entry("- {name: a, command: python3}", "aegis.smcp.mcp-servers[0].command must be a non-empty list"),
                Map.entry("- {name: a, command: []}", "aegis.smcp.mcp-servers[0].command must be a non-empty list"),
                Map.entry("- {command: [x]}", "aegis.smcp.mcp-servers[0].name is required"),
                Map.entry("- {name: Bad.Name, command: [x]}", "aegis.smcp.mcp-servers[0]: MCP server name 'Bad.Name'"),
                Map.entry("- {name: a}", "aegis.smcp.mcp-servers[0]: exactly one of command"),
                Map.entry("- {name: a, command: [x], url: 'http://h/mcp'}", "exactly one of command"),
                Map.entry("- {name: a, url: 'ftp://h/mcp'}", "url must be http or https"),
                Map.entry("- {name: a, command: [x]}\n      - {name: a, command: [y]}",
                        "aegis.smcp.mcp-servers[1].name 'a' is used twice"),
                Map.entry("- {name: a, command: [x], timeout-seconds: soon}",
                        "aegis.smcp.mcp-servers[0].timeout-seconds must be an integer"),
                Map.entry("- {name: a, command: [x], timeout-seconds: 0}", "timeout-seconds must be positive"),
                Map.entry("- {name: a, command: [x], env: {T: 'env:UNSET_VAR_9'}}",
                        "aegis.smcp.mcp-servers[0].env.T refers to environment variable 'UNSET_VAR_9'"),
                Map.entry("- {name: a, command: [x], env: [T]}", "aegis.smcp.mcp-servers[0].env must be a map"),
                Map.entry("- {name: a, command: [x], headers: {A: b}}", "headers apply only to a url"),
                Map.entry("- {name: a, command: [x], timeout: 3}", "aegis.smcp.mcp-servers[0].timeout is not a known key"),
                Map.entry("- {name: a, url: 'http://h/mcp', max-message-bytes: 10}", "at least 1024"),
                Map.entry("- name-only-string", "aegis.smcp.mcp-servers[0] must be an object"));
        bad.forEach((entries, message) -> assertThatIllegalArgumentException().as(entries)
                .isThrownBy(() -> McpConfigReader.read(smcp("aegis:\n  smcp:\n    mcp-servers:\n      " + entries
                        + "\n"), ENV)).withMessageContaining(message));
        assertThatThrownBy(() -> McpConfigReader.read(smcp("aegis: {smcp: {mcp-servers: notes}}"), ENV))
                .hasMessageContaining("aegis.smcp.mcp-servers must be a list");
    }

    @Test
    void environmentVariableTwinsOverrideDashedKeys() {
        Config smcp = Config.just(ConfigSources.create(Map.of(
                "aegis.smcp.mcp-servers.0.name", "notes",
                "aegis.smcp.mcp-servers.0.command.0", "/usr/bin/python3",
                "aegis.smcp.mcp-servers.0.timeout-seconds", "30",
                "aegis.smcp.mcp-servers.0.timeout.seconds", "7"))).get("aegis.smcp");

        McpServerConfig config = McpConfigReader.read(smcp, ENV).getFirst();

        assertThat(config.command()).containsExactly("/usr/bin/python3");
        assertThat(config.timeout()).isEqualTo(Duration.ofSeconds(7));
    }
}
