package ai.aegis.cli;

import ai.aegis.schemas.json.Json;
import ai.aegis.worker.llm.scripted.ScriptStep;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Classification by the RouterAgent end to end on the real broker: a stimulus without a direct route starts an
 * ordinary execution of the router agent on a worker (scripted models answering as a router would), its answer is
 * read from the execution events, weighed against the threshold, and the workflow it names is run; a refusal names
 * its code; a router that does not answer in time is refused and its execution cancelled.
 */
class StimulusClassificationFlowTest {

    private static final String WORKFLOW = """
            apiVersion: 100monkeys.ai/v1
            kind: Workflow
            metadata: {name: refunds, version: "1.0.0"}
            spec:
              initial_state: refund
              states:
                refund:
                  kind: Agent
                  agent: refunder
                  input: "Refund {{workflow.input}}"
                  transitions: []
            """;

    @TempDir
    static Path dataDir;
    static TestSystem system;
    static Map<String, String> agents = new java.util.HashMap<>();

    @BeforeAll
    static void start() throws Exception {
        system = new TestSystem(dataDir, Map.of(
                "echo", List.of(ScriptStep.reply("refunded")),
                "router-sure", List.of(ScriptStep.reply("```json\n{\"workflow\": \"refunds\", \"confidence\": 0.92}\n```")),
                "router-unsure", List.of(ScriptStep.reply("{\"workflow\":\"refunds\",\"confidence\":0.31}")),
                "router-rambling", List.of(ScriptStep.reply("I would send this to refunds, probably.")),
                "router-broken", List.of(ScriptStep.error("the model is down")),
                "router-slow", List.of(ScriptStep.toolCall("cmd.run",
                        TestSystem.args("{\"command\":\"sleep 60\",\"timeout_secs\":120}")),
                        ScriptStep.reply("{\"workflow\":\"refunds\",\"confidence\":1}"))),
                null, EnumSet.allOf(AegisSystem.Service.class), Map.of());
        system.deploy(TestSystem.agent("refunder", "echo", 1));
        for (String model : List.of("router-sure", "router-unsure", "router-rambling", "router-broken",
                "router-slow")) {
            agents.put(model, system.deploy(TestSystem.agent(model, model, 2)));
        }
        HttpResponse<String> workflow = system.post("/v1/workflows", WORKFLOW);
        assertThat(workflow.statusCode()).as(workflow.body()).isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        if (system != null) {
            system.close();
        }
    }

    @Test
    void aConfidentRouterStartsTheWorkflowItNamesAndTheDecisionIsRecorded() throws Exception {
        setRouter("router-sure", 0.7, 60);
        HttpResponse<String> res = classified("{\"source\":\"support-mail\",\"content\":\"invoice 42 was charged "
                + "twice\",\"idempotency_key\":\"mail-1\"}", "200");
        assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
        String runId = Json.tree(res.body()).path("workflow_execution_id").asText();
        String stimulusId = Json.tree(res.body()).path("stimulus_id").asText();
        await().atMost(Duration.ofSeconds(60)).until(() -> status(runId).equals("completed"));
        JsonNode run = Json.tree(system.get("/v1/workflows/executions/" + runId).body());
        assertThat(run.toString()).contains("invoice 42 was charged twice").contains(stimulusId);

        // the router ran as an ordinary execution of its agent, with the stimulus and the workflows offered
        JsonNode executions = Json.tree(system.get("/v1/executions?agent_id=" + agents.get("router-sure")).body());
        assertThat(executions.toString()).contains("completed");

        // a redelivery is a duplicate: the key is used up by the classified stimulus
        HttpResponse<String> again = stimulus("{\"source\":\"support-mail\",\"content\":\"invoice 42 was charged "
                + "twice\",\"idempotency_key\":\"mail-1\"}");
        assertThat(again.statusCode()).as(again.body()).isEqualTo(409);
    }

    @Test
    void anUnsureUnreadableOrFailingRouterIsRefusedWithItsCode() throws Exception {
        Map<String, String> codes = Map.of("router-unsure", "classification_failed",
                "router-rambling", "classification_parse_error",
                "router-broken", "router_agent_failed");
        for (Map.Entry<String, String> c : codes.entrySet()) {
            setRouter(c.getKey(), 0.7, 60);
            HttpResponse<String> res = classified("{\"source\":\"support-mail\",\"content\":\"help\","
                    + "\"idempotency_key\":\"refused-" + c.getKey() + "\"}", c.getValue());
            assertThat(res.statusCode()).as(c.getKey() + ": " + res.body()).isEqualTo(422);
            assertThat(Json.tree(res.body()).path("error").asText()).as(c.getKey()).isEqualTo(c.getValue());
        }
        // the unsure router under a lower threshold is followed: a refused key is free for a retry
        setRouter("router-unsure", 0.3, 60);
        HttpResponse<String> retried = classified("{\"source\":\"support-mail\",\"content\":\"help\","
                + "\"idempotency_key\":\"refused-router-unsure\"}", "200");
        assertThat(retried.statusCode()).as(retried.body()).isEqualTo(200);
    }

    @Test
    void aRouterThatDoesNotAnswerInTimeIsRefusedAndItsExecutionCancelled() throws Exception {
        setRouter("router-slow", 0.7, 2);
        HttpResponse<String> res = classified("{\"source\":\"support-mail\",\"content\":\"slow\"}",
                "router_agent_failed");
        assertThat(res.statusCode()).as(res.body()).isEqualTo(422);
        assertThat(Json.tree(res.body()).path("error").asText()).isEqualTo("router_agent_failed");
        assertThat(Json.tree(res.body()).path("message").asText()).contains("within 2 s");
        // the router's execution, named in the message, is cancelled
        String message = Json.tree(res.body()).path("message").asText();
        String executionId = message.substring(message.indexOf("(execution ") + 11, message.indexOf(", cancelled)"));
        await().atMost(Duration.ofSeconds(60)).until(() -> Json.tree(system.get("/v1/executions/" + executionId)
                .body()).path("status").asText().equals("cancelled"));
    }

    // ---- helpers ----

    private static void setRouter(String model, double threshold, int timeoutSeconds) throws Exception {
        HttpResponse<String> res = send("PUT", "/v1/stimuli/router", "{\"agent_id\":\"" + agents.get(model)
                + "\",\"confidence_threshold\":" + threshold + ",\"timeout_seconds\":" + timeoutSeconds + "}");
        assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
        // the routing stage reads the router from its compacted topic: wait until the ingress's view has it too
        await().atMost(Duration.ofSeconds(30)).until(() -> Json.tree(system.get("/v1/stimuli/router").body())
                .path("agent_id").asText().equals(agents.get(model))
                && Json.tree(system.get("/v1/stimuli/router").body()).path("timeout_seconds").asInt()
                == timeoutSeconds);
    }

    /**
     * Sends the stimulus until it is answered {@code expected} (a status code, or an error code), five times at most:
     * the routing stage reads the router from its compacted topic on its own, so the first stimulus after a change
     * may still meet the previous router (a documented weakness). A refused stimulus frees its key, so the retry is
     * the same stimulus.
     */
    private static HttpResponse<String> classified(String body, String expected) throws Exception {
        HttpResponse<String> res = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            res = stimulus(body);
            String answer = res.statusCode() == 200 ? "200" : Json.tree(res.body()).path("error").asText();
            if (answer.equals(expected)) {
                break;
            }
        }
        return res;
    }

    private static HttpResponse<String> stimulus(String body) throws Exception {
        return send("POST", "/v1/stimuli", body);
    }

    private static String status(String runId) throws Exception {
        HttpResponse<String> res = system.get("/v1/workflows/executions/" + runId);
        return res.statusCode() == 200 ? Json.tree(res.body()).path("status").asText() : "http " + res.statusCode();
    }

    private static HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(system.base + path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + system.token).header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build();
        return system.http.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
