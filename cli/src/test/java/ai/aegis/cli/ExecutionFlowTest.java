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
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The walking skeleton end to end, in-process on the real broker: deploy an agent, start an execution whose
 * scripted model runs a real command through bootstrap.py and the dispatch gateway, and follow it over SSE.
 */
class ExecutionFlowTest {

    @TempDir
    static Path dataDir;
    static TestSystem system;

    @BeforeAll
    static void start() throws Exception {
        system = new TestSystem(dataDir, Map.of(
                "hello", List.of(
                        ScriptStep.toolCall("cmd.run", TestSystem.args("{\"command\":\"echo hi-from-$((40+2))\"}")),
                        ScriptStep.reply("done: {{last_tool_stdout}}")),
                "broken", List.of(ScriptStep.error("the model is down")),
                "crash", List.of(
                        ScriptStep.toolCall("cmd.run", TestSystem.args("{\"command\":\"kill -9 $PPID\"}")),
                        ScriptStep.reply("unreachable"))));
    }

    @AfterAll
    static void stop() {
        system.close();
    }

    @Test
    void anExecutionRunsARealCommandAndStreamsItsEventsUntilCompleted() throws Exception {
        String agentId = system.deploy(TestSystem.agent("flow-hello", "hello", 3));
        String executionId = system.startExecution(agentId, "the test");

        SseClient.Result stream = SseClient.read(system.http, system.base + "/v1/executions/" + executionId
                + "/stream", system.token, null);

        assertThat(stream.status()).isEqualTo(200);
        assertThat(stream.contentType()).startsWith("text/event-stream");
        assertThat(stream.types()).containsSubsequence("execution_started", "iteration_started", "tool_call",
                "iteration_completed", "execution_completed");
        assertThat(stream.types().getLast()).isEqualTo("execution_completed");
        // framing: id + data, never an event: field, so EventSource.onmessage gets every event
        assertThat(stream.frames()).allSatisfy(f -> {
            assertThat(f.lines()).hasSize(2);
            assertThat(f.lines().get(0)).startsWith("id: ");
            assertThat(f.lines().get(1)).startsWith("data: {");
            assertThat(f.body().get("execution_id").asText()).isEqualTo(executionId);
        });
        List<Long> ids = stream.frames().stream().map(f -> Long.parseLong(f.id())).toList();
        assertThat(ids).isSorted().doesNotHaveDuplicates();

        JsonNode started = frame(stream, "execution_started").body();
        assertThat(started.get("agent_id").asText()).isEqualTo(agentId);
        assertThat(started.get("started_at").asText()).endsWith("Z");
        JsonNode iteration = frame(stream, "iteration_started").body();
        assertThat(iteration.get("iteration_number").asInt()).isEqualTo(1);
        assertThat(iteration.get("action").asText()).contains("Do the test task.").contains("the test");
        JsonNode tool = frame(stream, "tool_call").body();
        assertThat(tool.get("name").asText()).isEqualTo("cmd.run");
        assertThat(tool.get("arguments").get("command").asText()).isEqualTo("echo hi-from-$((40+2))");
        assertThat(tool.get("exit_code").asInt()).isZero();
        assertThat(tool.get("result_summary").asText()).contains("hi-from-42");
        assertThat(stream.types()).contains("llm_interaction");
        JsonNode completed = frame(stream, "execution_completed").body();
        assertThat(completed.get("final_output").asText()).isEqualTo("done: hi-from-42");
        assertThat(completed.get("total_iterations").asInt()).isEqualTo(1);
        assertThat(frame(stream, "iteration_completed").body().get("output").asText())
                .isEqualTo("done: hi-from-42");

        HttpResponse<String> view = system.get("/v1/executions/" + executionId);
        assertThat(view.statusCode()).isEqualTo(200);
        JsonNode v = Json.tree(view.body());
        assertThat(v.get("status").asText()).isEqualTo("completed");
        assertThat(v.get("final_output").asText()).isEqualTo("done: hi-from-42");
        assertThat(v.get("iterations").get(0).get("tool_calls").asInt()).isEqualTo(1);

        JsonNode list = Json.tree(system.get("/v1/executions?agent_id=" + agentId + "&limit=5").body());
        assertThat(list.isArray()).isTrue();
        assertThat(list.get(0).get("id").asText()).isEqualTo(executionId);
    }

    @Test
    void aLateSubscriberGetsTheWholeHistoryAndLastEventIdResumesExactlyAfterIt() throws Exception {
        String agentId = system.deploy(TestSystem.agent("flow-late", "hello", 1));
        String executionId = system.startExecution(agentId, "late");
        String url = system.base + "/v1/executions/" + executionId + "/stream";
        await().atMost(Duration.ofSeconds(60)).until(() ->
                Json.tree(system.get("/v1/executions/" + executionId).body()).get("status").asText()
                        .equals("completed"));

        SseClient.Result full = SseClient.read(system.http, url, system.token, null);
        SseClient.Result again = SseClient.read(system.http, url, system.token, null);
        assertThat(full.types()).startsWith("execution_started").endsWith("execution_completed");
        assertThat(again.frames()).isEqualTo(full.frames());

        SseClient.Frame third = full.frames().get(2);
        SseClient.Result resumed = SseClient.read(system.http, url, system.token, third.id());
        assertThat(resumed.frames()).isEqualTo(full.frames().subList(3, full.frames().size()));

        SseClient.Frame terminal = full.frames().getLast();
        SseClient.Result afterEnd = SseClient.read(system.http, url, system.token, terminal.id());
        assertThat(afterEnd.status()).isEqualTo(204);
        assertThat(afterEnd.frames()).isEmpty();

        // the query-parameter form of Last-Event-ID resumes the same way
        SseClient.Result byQuery = SseClient.read(system.http, url + "?last_event_id=" + third.id(), system.token,
                null);
        assertThat(byQuery.frames()).isEqualTo(resumed.frames());
    }

    @Test
    void aFailingModelEndsTheExecutionFailedWithTheReason() throws Exception {
        String agentId = system.deploy(TestSystem.agent("flow-broken", "broken", 2));
        String executionId = system.startExecution(agentId, "x");

        SseClient.Result stream = SseClient.read(system.http, system.base + "/v1/executions/" + executionId
                + "/stream", system.token, null);

        assertThat(stream.types().stream().filter("iteration_failed"::equals)).hasSize(2);
        JsonNode failed = frame(stream, "iteration_failed").body();
        assertThat(failed.get("error").get("error_type").asText()).isEqualTo("llm_error");
        assertThat(failed.get("error").get("message").asText()).contains("the model is down");
        JsonNode end = frame(stream, "execution_failed").body();
        assertThat(end.get("reason").asText()).contains("the model is down");
        assertThat(end.get("total_iterations").asInt()).isEqualTo(2);
        assertThat(Json.tree(system.get("/v1/executions/" + executionId).body()).get("status").asText())
                .isEqualTo("failed");
    }

    @Test
    void aCrashedBootstrapEndsTheIterationFailedNeverHung() throws Exception {
        String agentId = system.deploy(TestSystem.agent("flow-crash", "crash", 1));
        String executionId = system.startExecution(agentId, "x");

        SseClient.Result stream = SseClient.read(system.http, system.base + "/v1/executions/" + executionId
                + "/stream", system.token, null);

        JsonNode failed = frame(stream, "iteration_failed").body();
        assertThat(failed.get("error").get("error_type").asText()).isEqualTo("runtime_error");
        assertThat(failed.get("error").get("message").asText()).isEqualTo("the agent process was killed (exit 137)");
        assertThat(stream.types().getLast()).isEqualTo("execution_failed");
    }

    @Test
    void theDispatchGatewayIsNotOnThePublicPortAndRefusesCallsWithoutTheExecutionToken() throws Exception {
        String generate = "{\"type\":\"generate\",\"execution_id\":\"" + java.util.UUID.randomUUID()
                + "\",\"agent_id\":\"" + java.util.UUID.randomUUID() + "\",\"iteration_number\":1,"
                + "\"model_alias\":\"hello\",\"prompt\":\"hi\",\"messages\":[]}";
        HttpResponse<String> publicPort = system.post("/v1/dispatch-gateway", generate);
        assertThat(publicPort.statusCode()).isEqualTo(404);

        String internal = "http://127.0.0.1:" + system.worker.internalPort() + "/v1/dispatch-gateway";
        HttpResponse<String> noToken = system.http.send(HttpRequest.newBuilder(URI.create(internal))
                .POST(HttpRequest.BodyPublishers.ofString(generate)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(noToken.statusCode()).isEqualTo(401);
        assertThat(Json.tree(noToken.body()).get("error").asText()).isEqualTo("missing or invalid execution token");
        HttpResponse<String> apiToken = system.http.send(HttpRequest.newBuilder(URI.create(internal))
                .header("Authorization", "Bearer " + system.token)
                .POST(HttpRequest.BodyPublishers.ofString(generate)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(apiToken.statusCode()).isEqualTo(401);
    }

    private static SseClient.Frame frame(SseClient.Result r, String type) {
        return r.frames().stream().filter(f -> f.type().equals(type)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + type + " in " + r.types()));
    }
}
