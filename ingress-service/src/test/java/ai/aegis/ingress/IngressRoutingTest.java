package ai.aegis.ingress;

import ai.aegis.ingress.auth.LocalApiToken;
import ai.aegis.ingress.deadletters.DeadLetterView;
import ai.aegis.ingress.health.Readiness;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.topology.health.ComponentHealth;
import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webclient.http1.Http1ClientRequest;
import io.helidon.webclient.http1.Http1ClientResponse;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.testing.junit5.DirectClient;
import io.helidon.webserver.testing.junit5.RoutingTest;
import io.helidon.webserver.testing.junit5.SetUpRoute;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The public API's routes in memory: {@link IngressRouting} on in-memory views and an in-memory Kafka, served
 * without a socket. The many kinds of refused input, each with its exact status and JSON body, and what the API
 * answers when Kafka does not take a write. The same routes on a real broker: {@link IngressBadInputTest},
 * {@link WorkflowRoutesTest}, {@link KafkaOutageTest}.
 */
@RoutingTest
class IngressRoutingTest {

    private static final String JSON_TYPE = "application/json";
    private static final TopicCatalog TOPICS = new TopicCatalog("mem", 1);
    private static final IngressViews VIEWS = new IngressViews(TOPICS, IngressConfig.builder()
            .dataDir(Path.of("unused")).maxExecutionsInMemory(100).build().viewLimits());
    private static final InMemoryKafka KAFKA = new InMemoryKafka(VIEWS);
    private static final AtomicBoolean KAFKA_UP = new AtomicBoolean(true);
    private static final DeadLetterView DEAD_LETTERS = new DeadLetterView(100);
    private static Path dataDir;
    private static String token;

    private final DirectClient client;

    IngressRoutingTest(DirectClient client) {
        this.client = client;
    }

    @SetUpRoute
    static void routing(HttpRouting.Builder routing) throws IOException {
        dataDir = Files.createTempDirectory("aegis-ingress-routing");
        LocalApiToken apiToken = LocalApiToken.loadOrCreate(dataDir);
        token = Files.readString(apiToken.file()).strip();
        IngressConfig config = IngressConfig.builder().dataDir(dataDir).build();
        Readiness readiness = new Readiness(Map.of("kafka", () -> ComponentHealth.of(KAFKA_UP.get())));
        new IngressRouting(config, TOPICS, VIEWS, DEAD_LETTERS, KAFKA, KAFKA, KAFKA, apiToken)
                .routing(routing, readiness);
    }

    @AfterAll
    static void removeDataDir() throws IOException {
        try (Stream<Path> files = Files.walk(dataDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    @AfterEach
    void kafkaBack() {
        KAFKA.unavailable(false);
        KAFKA_UP.set(true);
    }

    // ---------------------------------------------------------------- authentication, health

    @Test
    void aMissingTokenIsRefusedWithAChallenge() {
        Reply r = send(Method.GET, "/v1/agents", null, null, null);

        r.assertJson(401, "{\"error\":\"Missing bearer token\"}");
        assertThat(r.wwwAuthenticate).startsWith("Bearer");
    }

    @Test
    void aWrongTokenIsRefusedOnEveryRouteButTheProbes() {
        for (String path : new String[] {"/v1/executions", "/v1/workflows", "/v1/dead-letters", "/metrics"}) {
            Reply r = send(Method.GET, path, null, null, "not-" + token);
            r.assertJson(401, "{\"error\":\"Invalid bearer token\"}");
            assertThat(r.wwwAuthenticate).startsWith("Bearer");
        }
        send(Method.GET, "/health", null, null, null).assertJson(200, "{\"status\":\"ok\"}");
        // Readiness reveals only component states: a Kubernetes probe asks it without a token.
        send(Method.GET, "/health/ready", null, null, null).assertJson(200,
                "{\"status\":\"ready\",\"components\":{\"kafka\":{\"state\":\"up\"}}}");
    }

    @Test
    void onlyStreamsTakeTheTokenFromTheQuery() {
        get("/v1/executions/" + UUID.randomUUID() + "/stream?access_token=" + token, null)
                .assertJson(404, "{\"error\":\"Execution not found\"}");
        get("/v1/executions?access_token=" + token, null).assertJson(401, "{\"error\":\"Missing bearer token\"}");
    }

    @Test
    void readinessSaysWhichPartIsDown() {
        get("/health/ready", null).assertJson(200,
                "{\"status\":\"ready\",\"components\":{\"kafka\":{\"state\":\"up\"}}}");
        KAFKA_UP.set(false);
        get("/health/ready", null).assertJson(503,
                "{\"status\":\"not_ready\",\"components\":{\"kafka\":{\"state\":\"down\"}}}");
    }

    // ---------------------------------------------------------------- POST /v1/executions

    @Test
    void executionRequestsWithoutAValidAgentIdAreRefused() {
        for (String body : new String[] {"{\"agent_id\":\"not-a-uuid\",\"input\":\"x\"}",
                "{\"agent_id\":42,\"input\":\"x\"}", "{\"input\":\"x\"}", "{\"agent_id\":null,\"input\":\"x\"}"}) {
            postJson("/v1/executions", body).assertJson(400, "{\"error\":\"Invalid agent ID\"}");
        }
    }

    @Test
    void malformedJsonIsA400NamingWhere() {
        Reply r = postJson("/v1/executions", "{\"agent_id\": \"" + UUID.randomUUID() + "\", \"input\": ");

        r.assertStatusAndJson(400);
        assertThat(r.json().path("error").asText()).startsWith("Malformed JSON at line 1, column");
        assertThat(r.json().size()).isEqualTo(1);
    }

    @Test
    void executionBodiesThatAreNotJsonObjectsAreRefused() {
        postJson("/v1/executions", "[{\"input\":\"x\"}]")
                .assertJson(400, "{\"error\":\"Request body must be a JSON object\"}");
        postJson("/v1/executions", "\"text\"").assertJson(400, "{\"error\":\"Request body must be a JSON object\"}");
        postJson("/v1/executions", "").assertJson(400, "{\"error\":\"Request body is required (a JSON object)\"}");
        send(Method.POST, "/v1/executions", null, null, token)
                .assertJson(400, "{\"error\":\"Request body is required (a JSON object)\"}");
    }

    @Test
    void missingAndMistypedExecutionFieldsAreNamed() {
        String agent = "\"agent_id\":\"" + UUID.randomUUID() + "\"";
        postJson("/v1/executions", "{" + agent + "}")
                .assertJson(400, "{\"error\":\"Missing required field 'input'\"}");
        postJson("/v1/executions", "{" + agent + ",\"input\":null}")
                .assertJson(400, "{\"error\":\"Missing required field 'input'\"}");
        postJson("/v1/executions", "{" + agent + ",\"input\":\"x\",\"context_overrides\":[1,2]}")
                .assertJson(400, "{\"error\":\"Field 'context_overrides' must be a JSON object\"}");
        postJson("/v1/executions", "{" + agent + ",\"input\":\"x\",\"context_overrides\":\"a\"}")
                .assertJson(400, "{\"error\":\"Field 'context_overrides' must be a JSON object\"}");
    }

    @Test
    void anExecutionOfAnUnknownAgentIsNotFoundAndNothingIsWritten() {
        int before = KAFKA.written().size();

        postJson("/v1/executions", "{\"agent_id\":\"" + UUID.randomUUID() + "\",\"input\":\"x\"}")
                .assertJson(404, "{\"error\":\"Agent not found\"}");

        assertThat(KAFKA.written()).hasSize(before);
    }

    @Test
    void theContentTypeDoesNotDecideHowABodyIsRead() {
        String agentId = deployAgent("typed");

        Reply asText = send(Method.POST, "/v1/executions", "text/plain",
                "{\"agent_id\":\"" + agentId + "\",\"input\":\"x\"}", token);
        asText.assertStatusAndJson(200);
        send(Method.POST, "/v1/executions", "application/xml", "<input>x</input>", token).assertStatusAndJson(400);
        assertThat(send(Method.POST, "/v1/executions", "application/xml", "<input>x</input>", token).json()
                .path("error").asText()).startsWith("Malformed JSON");
    }

    @Test
    void aWriteKafkaDoesNotTakeIs503WithRetryAfter() {
        String agentId = deployAgent("outage");
        KAFKA.unavailable(true);

        Reply r = postJson("/v1/executions", "{\"agent_id\":\"" + agentId + "\",\"input\":\"x\"}");

        r.assertJson(503, "{\"error\":\"unavailable\"}");
        assertThat(r.retryAfter).isEqualTo("5");
        // refused input is still refused as such, not as unavailable
        postJson("/v1/executions", "{\"agent_id\":\"" + agentId + "\"}")
                .assertJson(400, "{\"error\":\"Missing required field 'input'\"}");
    }

    @Test
    void anUnexpectedFailureIsA500WithoutDetail() {
        String agentId = deployAgent("broken");
        KAFKA.failWith(new IllegalStateException("producer closed: secret detail"));
        try {
            Reply r = postJson("/v1/executions", "{\"agent_id\":\"" + agentId + "\",\"input\":\"x\"}");

            r.assertJson(500, "{\"error\":\"Internal error\"}");
        } finally {
            KAFKA.failWith(null);
        }
    }

    // ---------------------------------------------------------------- GET /v1/executions...

    @Test
    void executionIdsAreCheckedOnEveryExecutionRoute() {
        get("/v1/executions/not-a-uuid", token).assertJson(400, "{\"error\":\"Invalid execution ID\"}");
        get("/v1/executions/not-a-uuid/stream", token).assertJson(400, "{\"error\":\"Invalid execution ID\"}");
        send(Method.POST, "/v1/executions/not-a-uuid/cancel", null, null, token)
                .assertJson(400, "{\"error\":\"Invalid execution ID\"}");
    }

    @Test
    void unknownExecutionsAreNotFound() {
        String id = UUID.randomUUID().toString();
        get("/v1/executions/" + id, token).assertJson(404, "{\"error\":\"Execution not found\"}");
        get("/v1/executions/" + id + "/stream", token).assertJson(404, "{\"error\":\"Execution not found\"}");
        send(Method.POST, "/v1/executions/" + id + "/cancel", null, null, token)
                .assertJson(404, "{\"error\":\"Execution not found\"}");
    }

    @Test
    void anExecutionIsReadableAtOnceAndCancelWaitsThenAnswers503WhenKafkaIsAway() {
        String agentId = deployAgent("readable");
        Reply started = postJson("/v1/executions", "{\"agent_id\":\"" + agentId + "\",\"input\":{\"n\":1}}");
        started.assertStatusAndJson(200);
        String id = started.json().path("execution_id").asText();

        Reply view = get("/v1/executions/" + id.toUpperCase(), token);
        view.assertStatusAndJson(200);
        assertThat(view.json().path("status").asText()).isEqualTo("pending");
        assertThat(view.json().path("input").asText()).isEqualTo("{\"n\":1}");

        KAFKA.unavailable(true);
        Reply cancel = send(Method.POST, "/v1/executions/" + id + "/cancel", null, null, token);
        cancel.assertJson(503, "{\"error\":\"unavailable\"}");
        assertThat(cancel.retryAfter).isEqualTo("5");
    }

    @Test
    void badLastEventIdsAreRefused() {
        get("/v1/executions/" + UUID.randomUUID() + "/stream?last_event_id=-3", token)
                .assertJson(400, "{\"error\":\"Invalid Last-Event-ID\"}");
        get("/v1/executions/" + UUID.randomUUID() + "/stream?last_event_id=abc", token)
                .assertJson(400, "{\"error\":\"Invalid Last-Event-ID\"}");
    }

    @Test
    void listFiltersAndLimitsAreChecked() {
        for (String limit : new String[] {"0", "abc", "1001", "-1", "1.5"}) {
            get("/v1/executions?limit=" + limit, token)
                    .assertJson(400, "{\"error\":\"limit must be a whole number from 1 to 1000\"}");
            get("/v1/workflows/executions?limit=" + limit, token)
                    .assertJson(400, "{\"error\":\"limit must be a whole number from 1 to 1000\"}");
        }
        get("/v1/executions?agent_id=bad", token).assertJson(400, "{\"error\":\"Invalid agent ID\"}");
        Reply ok = get("/v1/executions?limit=1000", token);
        ok.assertStatusAndJson(200);
        assertThat(ok.json().isArray()).isTrue();
    }

    // ---------------------------------------------------------------- agents

    @Test
    void anInvalidManifestNamesEveryProblemWithItsPath() {
        Reply r = send(Method.POST, "/v1/agents", "application/yaml", """
                apiVersion: 100monkeys.ai/v1
                kind: Workflow
                metadata:
                  name: Not_A_Valid_Name
                  version: "1.0.0"
                """, token);

        r.assertStatusAndJson(400);
        assertThat(r.json().path("error").asText()).contains("kind").contains("metadata.name");
        assertThat(r.json().path("problems").findValuesAsText("path")).contains("kind", "metadata.name");
    }

    @Test
    void anAgentIsDeployedOnceAVersionAndUpdatedWithForce() {
        String name = "agent-" + UUID.randomUUID().toString().substring(0, 8);
        Reply created = deploy(manifest(name, "1.0.0"), "");
        created.assertStatusAndJson(201);
        String agentId = created.json().path("agent_id").asText();

        Reply again = deploy(manifest(name, "1.0.0"), "");
        again.assertJson(409, "{\"error\":\"Agent '" + name + "' version 1.0.0 is already deployed; use "
                + "?force=true to redeploy it\"}");
        Reply forced = deploy(manifest(name, "1.0.0"), "?force=true");
        forced.assertJson(200, "{\"agent_id\":\"" + agentId + "\",\"name\":\"" + name
                + "\",\"version\":\"1.0.0\",\"status\":\"updated\"}");
        get("/v1/agents/lookup/" + name, token)
                .assertJson(200, "{\"id\":\"" + agentId + "\",\"name\":\"" + name + "\",\"version\":\"1.0.0\"}");
    }

    @Test
    void agentIdsAreCheckedAndUnknownAgentsAreNotFound() {
        get("/v1/agents/bad", token).assertJson(400, "{\"error\":\"Invalid agent ID\"}");
        send(Method.DELETE, "/v1/agents/bad", null, null, token).assertJson(400, "{\"error\":\"Invalid agent ID\"}");
        get("/v1/agents/" + UUID.randomUUID(), token).assertJson(404, "{\"error\":\"Agent not found\"}");
        send(Method.DELETE, "/v1/agents/" + UUID.randomUUID(), null, null, token)
                .assertJson(404, "{\"error\":\"Agent not found\"}");
        get("/v1/agents/lookup/no-such-agent", token).assertJson(404, "{\"error\":\"Agent not found\"}");
    }

    @Test
    void deployAndDeleteAnswer503WhenKafkaDoesNotTakeTheWrite() {
        String agentId = deployAgent("kept");
        KAFKA.unavailable(true);

        Reply deploy = deploy(manifest("never-deployed", "1.0.0"), "");
        deploy.assertJson(503, "{\"error\":\"unavailable\"}");
        assertThat(deploy.retryAfter).isEqualTo("5");
        Reply delete = send(Method.DELETE, "/v1/agents/" + agentId, null, null, token);
        delete.assertJson(503, "{\"error\":\"unavailable\"}");
        assertThat(delete.retryAfter).isEqualTo("5");

        KAFKA.unavailable(false);
        get("/v1/agents/" + agentId, token).assertStatusAndJson(200);
        get("/v1/agents/lookup/never-deployed", token).assertJson(404, "{\"error\":\"Agent not found\"}");
    }

    // ---------------------------------------------------------------- workflows

    @Test
    void aWorkflowNamingAnAgentThatIsNotDeployedIsRefused() {
        Reply r = send(Method.POST, "/v1/workflows", "application/yaml", workflow("orphan", "ghost-agent"), token);

        r.assertStatusAndJson(400);
        assertThat(r.json().path("error").asText()).contains("spec.states.draft.agent: agent 'ghost-agent' is not "
                + "deployed");
        assertThat(r.json().path("problems").findValuesAsText("path"))
                .containsExactlyInAnyOrder("spec.states.draft.agent", "spec.states.done.agent");
    }

    @Test
    void workflowRunsRefuseBadBodiesAndUnknownNames() {
        String agent = "wf-agent-" + UUID.randomUUID().toString().substring(0, 8);
        deploy(manifest(agent, "1.0.0"), "").assertStatusAndJson(201);
        String name = "wf-" + UUID.randomUUID().toString().substring(0, 8);
        send(Method.POST, "/v1/workflows", "application/yaml", workflow(name, agent), token).assertStatusAndJson(201);

        postJson("/v1/workflows/" + name + "/run", "[1]")
                .assertJson(400, "{\"error\":\"Request body must be a JSON object\"}");
        postJson("/v1/workflows/" + name + "/run", "{\"blackboard\":7}")
                .assertJson(400, "{\"error\":\"Field 'blackboard' must be a JSON object\"}");
        assertThat(postJson("/v1/workflows/" + name + "/run", "{\"input\":").json().path("error").asText())
                .startsWith("Malformed JSON");
        postJson("/v1/workflows/nope/run", "{}").assertJson(404, "{\"error\":\"Workflow not found\"}");
        Reply run = send(Method.POST, "/v1/workflows/" + name + "/run", null, null, token);
        run.assertStatusAndJson(200);
        String runId = run.json().path("workflow_execution_id").asText();
        assertThat(get("/v1/workflows/executions/" + runId, token).json().path("status").asText())
                .isEqualTo("pending");

        KAFKA.unavailable(true);
        Reply refused = postJson("/v1/workflows/" + name + "/run", "{\"input\":\"x\"}");
        refused.assertJson(503, "{\"error\":\"unavailable\"}");
        assertThat(refused.retryAfter).isEqualTo("5");
        Reply cancel = send(Method.POST, "/v1/workflows/executions/" + runId + "/cancel", null, null, token);
        cancel.assertJson(503, "{\"error\":\"unavailable\"}");
    }

    @Test
    void workflowAndRunIdsAreCheckedAndUnknownOnesAreNotFound() {
        get("/v1/workflows/nope", token).assertJson(404, "{\"error\":\"Workflow not found\"}");
        send(Method.DELETE, "/v1/workflows/nope", null, null, token)
                .assertJson(404, "{\"error\":\"Workflow not found\"}");
        for (String path : new String[] {"/v1/workflows/executions/bad", "/v1/workflows/executions/bad/stream"}) {
            get(path, token).assertJson(400, "{\"error\":\"Invalid workflow execution ID\"}");
        }
        send(Method.POST, "/v1/workflows/executions/bad/cancel", null, null, token)
                .assertJson(400, "{\"error\":\"Invalid workflow execution ID\"}");
        String id = UUID.randomUUID().toString();
        get("/v1/workflows/executions/" + id, token).assertJson(404, "{\"error\":\"Workflow execution not found\"}");
        get("/v1/workflows/executions/" + id + "/stream", token)
                .assertJson(404, "{\"error\":\"Workflow execution not found\"}");
        send(Method.POST, "/v1/workflows/executions/" + id + "/cancel", null, null, token)
                .assertJson(404, "{\"error\":\"Workflow execution not found\"}");
    }

    // ---------------------------------------------------------------- routes that do not exist

    @Test
    void unknownRoutesAreJson404s() {
        get("/v1/nope", token).assertJson(404, "{\"error\":\"Not found: GET /v1/nope\"}");
        send(Method.POST, "/health", null, null, null).assertJson(404, "{\"error\":\"Not found: POST /health\"}");
        send(Method.POST, "/v1/dispatch-gateway", JSON_TYPE, "{}", token)
                .assertJson(404, "{\"error\":\"Not found: POST /v1/dispatch-gateway\"}");
    }

    // ---------------------------------------------------------------- helpers

    private String deployAgent(String prefix) {
        Reply r = deploy(manifest(prefix + "-" + UUID.randomUUID().toString().substring(0, 8), "1.0.0"), "");
        r.assertStatusAndJson(201);
        return r.json().path("agent_id").asText();
    }

    private Reply deploy(String yaml, String query) {
        return send(Method.POST, "/v1/agents" + query, "application/yaml", yaml, token);
    }

    private static String manifest(String name, String version) {
        return IngressBadInputTest.manifest(name, version);
    }

    /** The end-to-end test's workflow (Agent, Human, Agent), under another name and naming another agent. */
    private static String workflow(String name, String agent) {
        return WorkflowRoutesTest.WORKFLOW.replace("name: review", "name: " + name).replace("wf-writer", agent);
    }

    private Reply get(String pathAndQuery, String bearer) {
        return send(Method.GET, pathAndQuery, null, null, bearer);
    }

    private Reply postJson(String path, String json) {
        return send(Method.POST, path, JSON_TYPE, json, token);
    }

    /** @param body null sends no entity at all */
    private Reply send(Method method, String pathAndQuery, String contentType, String body, String bearer) {
        int q = pathAndQuery.indexOf('?');
        Http1ClientRequest req = client.method(method).uri(q < 0 ? pathAndQuery : pathAndQuery.substring(0, q));
        if (q >= 0) {
            // the direct client takes the query as parameters, not as part of the URI
            for (String param : pathAndQuery.substring(q + 1).split("&")) {
                String[] nameValue = param.split("=", 2);
                req.queryParam(nameValue[0], nameValue.length > 1 ? nameValue[1] : "");
            }
        }
        if (bearer != null) {
            req.header(HeaderNames.AUTHORIZATION, "Bearer " + bearer);
        }
        if (contentType != null) {
            req.header(HeaderNames.CONTENT_TYPE, contentType);
        }
        try (Http1ClientResponse res = body == null ? req.request() : req.submit(body)) {
            return new Reply(method + " " + pathAndQuery, res.status().code(),
                    res.headers().first(HeaderNames.CONTENT_TYPE).orElse(""),
                    res.headers().first(HeaderNames.RETRY_AFTER).orElse(null),
                    res.headers().first(HeaderNames.WWW_AUTHENTICATE).orElse(null),
                    res.entity().hasEntity() ? res.as(String.class) : "");
        }
    }

    /** One answer, with assertions that also check that it is JSON and tells nothing of the server's insides. */
    private record Reply(String request, int status, String contentType, String retryAfter, String wwwAuthenticate,
                         String body) {

        JsonNode json() {
            return Json.tree(body);
        }

        void assertStatusAndJson(int expected) {
            assertThat(status).as("status of %s, body %s", request, body).isEqualTo(expected);
            assertThat(contentType).as("content type of %s", request).startsWith(JSON_TYPE);
            assertThat(body).doesNotContain("Exception").doesNotContain("\tat ");
        }

        void assertJson(int expected, String expectedJson) {
            assertStatusAndJson(expected);
            assertThat(json()).as("body of %s", request).isEqualTo(Json.tree(expectedJson));
        }
    }
}
