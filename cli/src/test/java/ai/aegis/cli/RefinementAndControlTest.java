package ai.aegis.cli;

import ai.aegis.schemas.json.Json;
import ai.aegis.worker.llm.scripted.ScriptStep;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The refinement loop, timeouts and cancellation through the real path (broker, HTTP, bootstrap.py, sandbox).
 */
class RefinementAndControlTest {

    /** Prints invalid output on the first iteration and, on later ones, JSON that says whether it saw feedback. */
    private static final String REFINE = "python3 -c \"import os, json; h = os.environ.get('AEGIS_ITERATION_HISTORY', '');"
            + " print('not json' if os.environ['AEGIS_ITERATION'] == '1' else json.dumps({'answer': 42,"
            + " 'iteration': int(os.environ['AEGIS_ITERATION']), 'saw_feedback': 'validation_failed' in h}))\"";

    @TempDir
    static Path dataDir;
    static TestSystem system;

    @BeforeAll
    static void start() throws Exception {
        system = new TestSystem(dataDir, Map.of(
                "refine", List.of(
                        ScriptStep.toolCall("cmd.run", Json.MAPPER.createObjectNode().put("command", REFINE)),
                        ScriptStep.reply("{{last_tool_stdout}}")),
                "judge", List.of(ScriptStep.reply("```json\n{\"score\": 0.9, \"confidence\": 0.8, "
                        + "\"reasoning\": \"the answer greets the user\"}\n```")),
                "greeter", List.of(ScriptStep.reply("Hello, user!")),
                "slow", List.of(
                        ScriptStep.toolCall("cmd.run", TestSystem.args("{\"command\":\"sleep 30\",\"timeout_secs\":120}")),
                        ScriptStep.reply("woke up")),
                // the cancel test looks for its own sandbox's command among the host's processes: a command no
                // other test runs, so that a sandbox another test left behind cannot be taken for it
                "slow-to-cancel", List.of(
                        ScriptStep.toolCall("cmd.run", TestSystem.args("{\"command\":\"sleep 37\",\"timeout_secs\":120}")),
                        ScriptStep.reply("woke up"))));
    }

    @AfterAll
    static void stop() {
        system.close();
    }

    @Test
    void aFailedValidationIsRefinedWithFeedbackUntilTheOutputPasses() throws Exception {
        String execution = """
                {"max_iterations":3,"iteration_timeout":"60s","validation":[{"type":"json_schema","schema":
                  {"type":"object","required":["answer","saw_feedback"],
                   "properties":{"answer":{"const":42},"saw_feedback":{"const":true}}}}]}""";
        String agentId = system.deploy(TestSystem.agent("refine-json", "refine", execution, "{}"));
        String executionId = system.startExecution(agentId, "give me json");

        SseClient.Result stream = SseClient.read(system.http, system.base + "/v1/executions/" + executionId
                + "/stream", system.token, null);

        List<SseClient.Frame> validations = stream.frames().stream()
                .filter(f -> f.type().equals("validation_performed")).toList();
        assertThat(validations).hasSize(2);
        assertThat(validations.get(0).body().get("passed").asBoolean()).isFalse();
        assertThat(validations.get(0).body().get("iteration_number").asInt()).isEqualTo(1);
        assertThat(validations.get(1).body().get("passed").asBoolean()).isTrue();
        JsonNode completed = stream.frames().getLast().body();
        assertThat(stream.frames().getLast().type()).isEqualTo("execution_completed");
        assertThat(completed.get("total_iterations").asInt()).isEqualTo(2);
        JsonNode output = Json.tree(completed.get("final_output").asText());
        assertThat(output.get("iteration").asInt()).isEqualTo(2);
        assertThat(output.get("saw_feedback").asBoolean()).as("the second sandbox saw the first attempt's feedback")
                .isTrue();
        JsonNode view = Json.tree(system.get("/v1/executions/" + executionId).body());
        assertThat(view.get("iterations")).hasSize(2);
    }

    @Test
    void aSemanticValidatorRunsTheJudgeAgentAsAChildExecution() throws Exception {
        system.deploy(TestSystem.agent("greeting-judge", "judge", 1));
        String execution = """
                {"max_iterations":2,"validation":[{"type":"semantic","judge_agent":"greeting-judge",
                  "criteria":"The output greets the user.","min_score":0.7,"timeout_seconds":60}]}""";
        String agentId = system.deploy(TestSystem.agent("judged-greeter", "greeter", execution, "{}"));
        String executionId = system.startExecution(agentId, "greet me");

        SseClient.Result stream = SseClient.read(system.http, system.base + "/v1/executions/" + executionId
                + "/stream", system.token, null);

        JsonNode validation = stream.frames().stream().filter(f -> f.type().equals("validation_performed"))
                .findFirst().orElseThrow().body();
        assertThat(validation.get("validator").asText()).isEqualTo("semantic");
        assertThat(validation.get("score").asDouble()).isEqualTo(0.9);
        assertThat(validation.get("confidence").asDouble()).isEqualTo(0.8);
        assertThat(validation.get("passed").asBoolean()).isTrue();
        assertThat(stream.types().getLast()).isEqualTo("execution_completed");
        // the judge ran as an execution of its own, visible like any other
        JsonNode judge = system.awaitJudgeExecution("greeting-judge");
        assertThat(judge.get("status").asText()).isEqualTo("completed");
    }

    @Test
    void anIterationTimeoutFailsTheIterationAndTheOverallTimeoutEndsTheExecution() throws Exception {
        String iterationBound = system.deploy(TestSystem.agent("iteration-timeout", "slow",
                "{\"max_iterations\":1,\"iteration_timeout\":\"2s\"}", "{}"));
        String overallBound = system.deploy(TestSystem.agent("overall-timeout", "slow",
                "{\"max_iterations\":5,\"iteration_timeout\":\"60s\"}", "{\"resources\":{\"timeout\":\"3s\"}}"));
        String first = system.startExecution(iterationBound, "x");
        String second = system.startExecution(overallBound, "x");

        JsonNode failed = system.awaitEnd(first, Duration.ofSeconds(60));
        assertThat(failed.get("status").asText()).isEqualTo("failed");
        assertThat(failed.get("iterations").get(0).get("error").asText()).contains("timed out after 2 s");

        JsonNode timedOut = system.awaitEnd(second, Duration.ofSeconds(60));
        assertThat(timedOut.get("status").asText()).isEqualTo("timed_out");
        assertThat(timedOut.get("error").asText()).contains("3 seconds");
        SseClient.Result stream = SseClient.read(system.http, system.base + "/v1/executions/" + second + "/stream",
                system.token, null);
        assertThat(stream.types().getLast()).isEqualTo("execution_timed_out");
        assertThat(stream.frames().getLast().body().get("timeout_seconds").asLong()).isEqualTo(3);
    }

    @Test
    void cancelKillsTheSandboxEndsTheExecutionAndAFinishedOneCannotBeCancelled() throws Exception {
        String agentId = system.deploy(TestSystem.agent("cancel-me", "slow-to-cancel", 1));
        String executionId = system.startExecution(agentId, "x");
        // wait until the command really runs in the sandbox
        await().atMost(Duration.ofSeconds(30)).until(() -> Json.tree(system.get("/v1/executions/" + executionId)
                .body()).path("iterations").size() == 1);
        await().atMost(Duration.ofSeconds(30)).until(() -> ProcessHandle.allProcesses().anyMatch(
                p -> p.info().commandLine().orElse("").contains("sleep 37")));

        long started = System.nanoTime();
        HttpResponse<String> cancel = system.post("/v1/executions/" + executionId + "/cancel", "");
        assertThat(cancel.statusCode()).as(cancel.body()).isEqualTo(200);
        assertThat(Json.tree(cancel.body()).get("status").asText()).isEqualTo("cancelled");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(15));
        await().atMost(Duration.ofSeconds(30)).until(() -> ProcessHandle.allProcesses().noneMatch(
                p -> p.info().commandLine().orElse("").contains("sleep 37")));

        SseClient.Result stream = SseClient.read(system.http, system.base + "/v1/executions/" + executionId
                + "/stream", system.token, null);
        assertThat(stream.types().getLast()).isEqualTo("execution_cancelled");
        assertThat(stream.types().stream().filter(t -> t.startsWith("execution_") && !t.equals("execution_started")))
                .hasSize(1);

        HttpResponse<String> again = system.post("/v1/executions/" + executionId + "/cancel", "");
        assertThat(again.statusCode()).isEqualTo(409);
        assertThat(Json.tree(again.body()).get("error").asText())
                .isEqualTo("Execution already cancelled; only pending or running executions can be cancelled");
        assertThat(system.post("/v1/executions/" + java.util.UUID.randomUUID() + "/cancel", "").statusCode())
                .isEqualTo(404);
        assertThat(system.post("/v1/executions/nope/cancel", "").statusCode()).isEqualTo(400);
    }
}
