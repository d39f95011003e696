package ai.aegis.ingress;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code /v1/stimuli/routes}, the direct route table, through real HTTP on the real broker. */
class StimulusRoutesTest {

    private static final String WORKFLOW = """
            apiVersion: 100monkeys.ai/v1
            kind: Workflow
            metadata: {name: deploy-flow, version: "1.0.0"}
            spec:
              initial_state: only
              states:
                only: {kind: Agent, agent: deployer, transitions: []}
            """;

    @TempDir
    static Path dataDir;
    static ai.aegis.topology.kafka.KafkaSettings kafka;
    static IngressServer server;
    static String token;
    static String deployerId;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        kafka = TestIngress.kafka("routes", 1);
        server = TestIngress.start(kafka, IngressConfig.builder(), dataDir);
        token = TestIngress.token(server);
        // a workflow's agents must be deployed before it is registered
        HttpResponse<String> agent = send("POST", "/v1/agents", TestIngress.manifest("deployer"));
        assertThat(agent.statusCode()).isEqualTo(201);
        deployerId = Json.tree(agent.body()).path("agent_id").asText();
        HttpResponse<String> workflow = send("POST", "/v1/workflows", WORKFLOW);
        assertThat(workflow.statusCode()).as(workflow.body()).isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void aRouteIsSetShownListedAndRemovedWithItsSourceMatchedCaseInsensitively() throws Exception {
        HttpResponse<String> put = send("PUT", "/v1/stimuli/routes/GitHub", "{\"workflow\":\"deploy-flow\"}");
        assertThat(put.statusCode()).isEqualTo(200);
        assertThat(Json.tree(put.body()).path("source").asText()).isEqualTo("github");
        assertThat(Json.tree(put.body()).path("workflow").asText()).isEqualTo("deploy-flow");
        assertThat(Json.tree(put.body()).path("updated_at").asText()).isNotEmpty();

        // read your write: the node's view has it as soon as the PUT is answered
        JsonNode one = Json.tree(send("GET", "/v1/stimuli/routes/GITHUB", null).body());
        assertThat(one.path("workflow").asText()).isEqualTo("deploy-flow");
        JsonNode all = Json.tree(send("GET", "/v1/stimuli/routes", null).body());
        assertThat(all.isArray()).isTrue();
        assertThat(all.findValuesAsText("source")).contains("github");

        assertThat(send("DELETE", "/v1/stimuli/routes/github", null).statusCode()).isEqualTo(200);
        assertError(send("GET", "/v1/stimuli/routes/github", null), 404, "route_not_found");
        assertError(send("DELETE", "/v1/stimuli/routes/github", null), 404, "route_not_found");
    }

    @Test
    void refusesARouteToAnUnknownWorkflowAMalformedBodyAndABadSourceName() throws Exception {
        assertError(send("PUT", "/v1/stimuli/routes/billing", "{\"workflow\":\"nope\"}"), 422, "unknown_workflow");
        assertError(send("PUT", "/v1/stimuli/routes/billing", "{\"flow\":\"deploy-flow\"}"), 400, "invalid_route");
        assertError(send("PUT", "/v1/stimuli/routes/a%20b", "{\"workflow\":\"deploy-flow\"}"), 400,
                "invalid_source");
        assertThat(send("PUT", "/v1/stimuli/routes/billing", "not json").statusCode()).isEqualTo(400);
        assertError(send("GET", "/v1/stimuli/routes/billing", null), 404, "route_not_found");
    }

    @Test
    void aStartWritesTheConfiguredRoutesTheTableLacksAndEveryNodeSeesThem() throws Exception {
        try (IngressServer configured = TestIngress.start(kafka, IngressConfig.builder()
                .stimulusRoutes(java.util.Map.of("Payments", "deploy-flow")), dataDir.resolve("second"))) {
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() ->
                    send("GET", "/v1/stimuli/routes/payments", null).statusCode() == 200);
            assertThat(Json.tree(send("GET", "/v1/stimuli/routes/payments", null).body()).path("workflow").asText())
                    .isEqualTo("deploy-flow");
        }
        assertThat(send("DELETE", "/v1/stimuli/routes/payments", null).statusCode()).isEqualTo(200);
    }

    @Test
    void theRouterAgentIsSetWithItsDefaultsShownAndRemoved() throws Exception {
        assertError(send("GET", "/v1/stimuli/router", null), 404, "no_router_configured");
        HttpResponse<String> put = send("PUT", "/v1/stimuli/router", "{\"agent_id\":\"" + deployerId + "\"}");
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        JsonNode router = Json.tree(send("GET", "/v1/stimuli/router", null).body());
        assertThat(router.path("agent_id").asText()).isEqualTo(deployerId);
        assertThat(router.path("confidence_threshold").asDouble()).isEqualTo(0.7);
        assertThat(router.path("timeout_seconds").asInt()).isEqualTo(30);

        assertThat(send("PUT", "/v1/stimuli/router", "{\"agent_id\":\"" + deployerId
                + "\",\"confidence_threshold\":0.9,\"timeout_seconds\":5}").statusCode()).isEqualTo(200);
        router = Json.tree(send("GET", "/v1/stimuli/router", null).body());
        assertThat(router.path("confidence_threshold").asDouble()).isEqualTo(0.9);
        assertThat(router.path("timeout_seconds").asInt()).isEqualTo(5);

        assertError(send("PUT", "/v1/stimuli/router", "{\"agent_id\":\"" + java.util.UUID.randomUUID() + "\"}"),
                422, "unknown_agent");
        assertError(send("PUT", "/v1/stimuli/router", "{\"agent_id\":\"deployer\"}"), 400, "invalid_router");
        assertError(send("PUT", "/v1/stimuli/router", "{\"agent_id\":\"" + deployerId
                + "\",\"confidence_threshold\":1.2}"), 400, "invalid_router");
        assertError(send("PUT", "/v1/stimuli/router", "{\"agent_id\":\"" + deployerId
                + "\",\"timeout_seconds\":0}"), 400, "invalid_router");
        assertError(send("PUT", "/v1/stimuli/router", "{\"agent_id\":\"" + deployerId
                + "\",\"timeout_seconds\":\"soon\"}"), 400, "invalid_router");

        assertThat(send("DELETE", "/v1/stimuli/router", null).statusCode()).isEqualTo(200);
        assertError(send("GET", "/v1/stimuli/router", null), 404, "no_router_configured");
    }

    @Test
    void theRoutesNeedTheToken() throws Exception {
        HttpResponse<String> anonymous = HTTP.send(HttpRequest.newBuilder(uri("/v1/stimuli/routes")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).isEqualTo(401);
    }

    private static void assertError(HttpResponse<String> res, int status, String code) {
        assertThat(res.statusCode()).as(res.body()).isEqualTo(status);
        JsonNode body = Json.tree(res.body());
        assertThat(body.path("error").asText()).isEqualTo(code);
        assertThat(body.path("message").asText()).isNotBlank();
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    private static HttpResponse<String> send(String method, String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri(path))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", path.startsWith("/v1/stimuli") ? "application/json" : "application/yaml")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
