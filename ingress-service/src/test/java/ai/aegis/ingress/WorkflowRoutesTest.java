package ai.aegis.ingress;

import ai.aegis.testing.SharedTestBroker;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.topology.kafka.KafkaSettings;
import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.config.Config;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code /v1/workflows} through real HTTP on the real broker (no engine runs here: runs stay pending). */
class WorkflowRoutesTest {

    @TempDir
    static Path dataDir;
    static IngressServer server;
    static String token;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    static final String WORKFLOW = """
            apiVersion: 100monkeys.ai/v1
            kind: Workflow
            metadata:
              name: review
              version: "1.0.0"
            spec:
              initial_state: draft
              states:
                draft:
                  kind: Agent
                  agent: wf-writer
                  input: "Write about {{workflow.input}}"
                  transitions:
                    - {condition: on_success, target: review}
                review:
                  kind: Human
                  prompt: "Approve {{draft.output}}?"
                  timeout: 60s
                  transitions:
                    - {condition: approved, target: done}
                    - {condition: rejected, target: draft}
                done:
                  kind: Agent
                  agent: wf-writer
                  transitions: []
            """;

    @BeforeAll
    static void start() throws Exception {
        KafkaSettings kafka = KafkaSettings.of(SharedTestBroker.get().bootstrapServers(),
                new TopicCatalog("wf" + UUID.randomUUID().toString().substring(0, 8), 2), "test");
        server = IngressServer.start(IngressConfig.from(Config.empty(), dataDir).withPort(0), kafka);
        token = Files.readString(server.tokenFile()).trim();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static HttpResponse<String> send(String method, String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Authorization", "Bearer " + token)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void workflowsAreRegisteredOnlyWithDeployedAgentsAndRunsAreAccepted() throws Exception {
        HttpResponse<String> unknownAgent = send("POST", "/v1/workflows", WORKFLOW);
        assertThat(unknownAgent.statusCode()).isEqualTo(400);
        assertThat(Json.tree(unknownAgent.body()).get("error").asText())
                .contains("spec.states.draft.agent: agent 'wf-writer' is not deployed");

        HttpResponse<String> agent = send("POST", "/v1/agents", """
                {"apiVersion":"100monkeys.ai/v1","kind":"Agent","metadata":{"name":"wf-writer","version":"1"},
                 "spec":{"task":{"instruction":"write"}}}""");
        assertThat(agent.statusCode()).isEqualTo(201);

        HttpResponse<String> registered = send("POST", "/v1/workflows", WORKFLOW);
        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
        assertThat(Json.tree(registered.body()).get("name").asText()).isEqualTo("review");
        assertThat(send("POST", "/v1/workflows", WORKFLOW).statusCode()).isEqualTo(409);
        assertThat(send("POST", "/v1/workflows?force=true", WORKFLOW).statusCode()).isEqualTo(200);

        JsonNode list = Json.tree(send("GET", "/v1/workflows", null).body());
        assertThat(list).hasSize(1);
        assertThat(list.get(0).has("manifest")).isFalse();
        JsonNode one = Json.tree(send("GET", "/v1/workflows/review", null).body());
        assertThat(one.get("manifest").get("spec").get("initial_state").asText()).isEqualTo("draft");
        assertThat(send("GET", "/v1/workflows/nope", null).statusCode()).isEqualTo(404);

        HttpResponse<String> run = send("POST", "/v1/workflows/review/run", "{\"input\":\"otters\"}");
        assertThat(run.statusCode()).isEqualTo(200);
        String id = Json.tree(run.body()).get("workflow_execution_id").asText();
        JsonNode view = Json.tree(send("GET", "/v1/workflows/executions/" + id, null).body());
        assertThat(view.get("status").asText()).isEqualTo("pending");
        assertThat(view.get("workflow_name").asText()).isEqualTo("review");
        assertThat(view.get("input").asText()).isEqualTo("otters");
        JsonNode runs = Json.tree(send("GET", "/v1/workflows/executions?workflow=review", null).body());
        assertThat(runs.get(0).get("workflow_execution_id").asText()).isEqualTo(id);

        assertThat(send("POST", "/v1/workflows/nope/run", "{}").statusCode()).isEqualTo(404);
        assertThat(send("POST", "/v1/workflows/review/run", "[1]").statusCode()).isEqualTo(400);
        assertThat(send("GET", "/v1/workflows/executions/bad", null).statusCode()).isEqualTo(400);
        assertThat(Json.tree(send("GET", "/v1/workflows/executions/" + UUID.randomUUID(), null).body())
                .get("error").asText()).isEqualTo("Workflow execution not found");
        assertThat(send("GET", "/v1/workflows/executions/" + UUID.randomUUID() + "/stream", null).statusCode())
                .isEqualTo(404);
        assertThat(send("GET", "/v1/workflows/executions?limit=0", null).statusCode()).isEqualTo(400);

        assertThat(send("DELETE", "/v1/workflows/review", null).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/v1/workflows/review", null).statusCode()).isEqualTo(404);
    }

    @Test
    void anInvalidWorkflowNamesItsProblems() throws Exception {
        HttpResponse<String> res = send("POST", "/v1/workflows", """
                apiVersion: 100monkeys.ai/v1
                kind: Workflow
                metadata: {name: broken}
                spec:
                  initial_state: missing
                  states:
                    a: {kind: Agent, agent: x, transitions: [{condition: on_success, target: nowhere}]}
                """);
        assertThat(res.statusCode()).isEqualTo(400);
        JsonNode body = Json.tree(res.body());
        assertThat(body.get("error").asText()).contains("spec.initial_state").contains("nowhere");
        assertThat(body.get("problems").size()).isGreaterThanOrEqualTo(2);
    }
}
