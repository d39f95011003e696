package ai.aegis.cli;

import ai.aegis.schemas.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code aegis up} as the walk-through in {@code docs/tutorial-executions.md} uses it: its own embedded broker, the example agent from
 * {@code examples/}, the default (scripted example) model, and the printed token file.
 */
class UpTest {

    @Test
    void upRunsTheReadmeWalkThroughAndKeepsItsDataAcrossARestart(@TempDir Path dataDir) throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        Options options = Options.parse(new String[]{"--data-dir", dataDir.toString(), "--port", "0",
                "--internal-port", "0", "--runtime", "bubblewrap"});
        String agentId;
        try (AegisSystem up = Up.start(options, new PrintStream(printed, true, StandardCharsets.UTF_8))) {
            String text = printed.toString(StandardCharsets.UTF_8);
            Path tokenFile = dataDir.resolve("api-token");
            assertThat(text).contains("Aegis is up: http://localhost:" + up.ingress().port())
                    .contains(tokenFile.toString()).contains("embedded broker").contains("scripted example")
                    .contains("runtime 'bubblewrap'");
            assertThat(Files.getPosixFilePermissions(tokenFile))
                    .isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
            String token = Files.readString(tokenFile).trim();
            String base = "http://127.0.0.1:" + up.ingress().port();
            HttpClient http = HttpClient.newHttpClient();

            Path example = Path.of("..", "examples", "hello-agent.yaml");
            HttpResponse<String> deployed = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/agents"))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/yaml")
                    .POST(HttpRequest.BodyPublishers.ofFile(example)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(201);
            agentId = Json.tree(deployed.body()).get("agent_id").asText();

            HttpResponse<String> started = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/executions"))
                    .header("Authorization", "Bearer " + token)
                    .POST(HttpRequest.BodyPublishers.ofString(Json.write(Map.of("agent_id", agentId, "input", "hi"))))
                    .build(), HttpResponse.BodyHandlers.ofString());
            String executionId = Json.tree(started.body()).get("execution_id").asText();

            SseClient.Result stream = SseClient.read(http, base + "/v1/executions/" + executionId + "/stream",
                    token, null);
            assertThat(stream.types()).containsSubsequence("execution_started", "iteration_started", "tool_call",
                    "iteration_completed", "execution_completed");
            assertThat(stream.frames().getLast().body().get("final_output").asText())
                    .startsWith("The sandbox says: Hello from the Aegis sandbox: ");
            // the tool call went through SMCP: the sandbox attested and signed it, and the key was made 0600
            String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("aegis_smcp_attestations_total{result=\"ok\"} 1")
                    .contains("aegis_smcp_invocations_total{result=\"ok\"} 1");
            assertThat(Files.getPosixFilePermissions(dataDir.resolve("smcp-signing-key.jwk")))
                    .isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
        }

        // a second start on the same data directory: same broker data, same token, the agent is still deployed
        try (AegisSystem again = Up.start(options, new PrintStream(new ByteArrayOutputStream()))) {
            String token = Files.readString(dataDir.resolve("api-token")).trim();
            HttpResponse<String> agent = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + again.ingress().port() + "/v1/agents/" + agentId))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(agent.statusCode()).isEqualTo(200);
            assertThat(Json.tree(agent.body()).get("name").asText()).isEqualTo("hello-agent");
        }
    }

    @Test
    void badOptionsAreRefusedWithAClearMessage() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = AegisMain.run(new String[]{"up", "--port", "eighty"}, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--port must be a port number");
        assertThat(AegisMain.run(new String[]{"fly"}, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(new ByteArrayOutputStream()))).isEqualTo(2);
    }
}
