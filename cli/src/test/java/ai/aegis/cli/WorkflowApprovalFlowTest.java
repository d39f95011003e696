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
 * Agent -> Human -> Agent workflows end to end on the real broker: the engine (Kafka Streams), real workers running
 * the agents, the approval service, and people approving or rejecting over HTTP.
 */
class WorkflowApprovalFlowTest {

    @TempDir
    static Path dataDir;
    static TestSystem system;

    @BeforeAll
    static void start() throws Exception {
        system = new TestSystem(dataDir, Map.of(
                "echo", List.of(ScriptStep.reply("done: {{input}}"))), null, true);
        for (String agent : List.of("drafter", "publisher", "reviser")) {
            system.deploy("""
                    {"apiVersion":"100monkeys.ai/v1","kind":"Agent","metadata":{"name":"%s","version":"1"},
                     "spec":{"runtime":{"model":"echo"},"task":{"prompt_template":"{{input}}"},
                             "execution":{"max_iterations":1}}}""".formatted(agent));
        }
        for (Map.Entry<String, String> w : Map.of(
                "review-flow", "timeout: 120s",
                "review-default", "timeout: 2s\n      default_response: approved",
                "review-strict", "timeout: 2s").entrySet()) {
            HttpResponse<String> res = system.post("/v1/workflows", TestSystem.reviewWorkflow(w.getKey(), w.getValue()));
            assertThat(res.statusCode()).as(res.body()).isEqualTo(201);
        }
    }

    @AfterAll
    static void stop() {
        system.close();
    }

    private static String run(String workflow, String input) throws Exception {
        HttpResponse<String> res = system.post("/v1/workflows/" + workflow + "/run",
                Json.write(Map.of("input", input)));
        assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
        return Json.tree(res.body()).get("workflow_execution_id").asText();
    }

    private static JsonNode view(String id) throws Exception {
        return Json.tree(system.get("/v1/workflows/executions/" + id).body());
    }

    private static JsonNode awaitEnd(String id) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
            last[0] = view(id);
            return List.of("completed", "failed", "cancelled").contains(last[0].path("status").asText());
        });
        return last[0];
    }

    /** Waits for the run's pending approval to be listed and returns it. */
    private static JsonNode awaitApproval(String workflowExecutionId) {
        JsonNode[] found = new JsonNode[1];
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            for (JsonNode r : Json.tree(system.get("/v1/human-approvals").body()).get("pending_requests")) {
                if (r.path("workflow_execution_id").asText().equals(workflowExecutionId)) {
                    found[0] = r;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    @Test
    void readinessReportsTheComposedEngineAndApprovalService() throws Exception {
        JsonNode ready = Json.tree(system.get("/health/ready").body());
        assertThat(ready.get("status").asText()).as(ready.toString()).isEqualTo("ready");
        assertThat(ready.path("components").path("workflow_engine").path("state").asText()).isEqualTo("up");
        assertThat(ready.path("components").path("approval_service").path("state").asText()).isEqualTo("up");
    }

    @Test
    void refusedApprovalInputIsAnsweredByTheIngressAsTheApprovalRoutesSay() throws Exception {
        // the approval routes throw the shared BadRequest; the ingress that mounts them answers it
        HttpResponse<String> badId = system.post("/v1/human-approvals/not-a-uuid/approve", "{}");
        assertThat(badId.statusCode()).isEqualTo(400);
        assertThat(Json.tree(badId.body())).isEqualTo(Json.tree("{\"error\":\"Invalid request ID\"}"));
        HttpResponse<String> badReason = system.post("/v1/human-approvals/" + java.util.UUID.randomUUID()
                + "/reject", "{\"reason\":7}");
        assertThat(badReason.statusCode()).isEqualTo(400);
        assertThat(Json.tree(badReason.body()))
                .isEqualTo(Json.tree("{\"error\":\"Field 'reason' must be a string\"}"));
    }

    @Test
    void anApprovedReviewResumesTheWorkflowOnTheApprovedPath() throws Exception {
        String id = run("review-flow", "otters");
        JsonNode approval = awaitApproval(id);
        assertThat(approval.get("state_name").asText()).isEqualTo("review");
        assertThat(approval.get("prompt").asText()).isEqualTo("Please review: done: Draft about otters");
        assertThat(approval.get("timeout_seconds").asLong()).isEqualTo(120);
        String approvalId = approval.get("id").asText();
        JsonNode one = Json.tree(system.get("/v1/human-approvals/" + approvalId).body());
        assertThat(one.get("request").get("id").asText()).isEqualTo(approvalId);

        HttpResponse<String> approved = system.post("/v1/human-approvals/" + approvalId + "/approve",
                "{\"feedback\":\"Looks good\",\"approved_by\":\"alice@example.com\"}");
        assertThat(approved.statusCode()).isEqualTo(200);
        assertThat(Json.tree(approved.body())).isEqualTo(Json.tree("{\"status\":\"approved\"}"));

        JsonNode end = awaitEnd(id);
        assertThat(end.get("status").asText()).as(end.toString()).isEqualTo("completed");
        assertThat(end.get("current_state").asText()).isEqualTo("publish");
        assertThat(end.get("state_outputs").has("revise")).isFalse();
        assertThat(end.get("state_outputs").get("publish").asText()).isEqualTo("done: Publish done: Draft about otters");

        // approving twice: the reference API's body, with 404; reading it: 200 with the same body
        HttpResponse<String> again = system.post("/v1/human-approvals/" + approvalId + "/approve", "{}");
        assertThat(again.statusCode()).isEqualTo(404);
        assertThat(Json.tree(again.body()).get("error").asText()).isEqualTo("Request not found or already completed");
        HttpResponse<String> read = system.get("/v1/human-approvals/" + approvalId);
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(Json.tree(read.body()).get("error").asText()).isEqualTo("Request not found or already completed");

        SseClient.Result stream = SseClient.read(system.http, system.base + "/v1/workflows/executions/" + id
                + "/stream", system.token, null);
        assertThat(stream.types()).containsSubsequence("workflow_started", "state_entered", "state_exited",
                "approval_requested", "state_exited", "state_entered", "workflow_completed");
    }

    @Test
    void aRejectedReviewTakesTheRejectionPathWhichSeesTheReason() throws Exception {
        String id = run("review-flow", "badgers");
        String approvalId = awaitApproval(id).get("id").asText();

        HttpResponse<String> noReason = system.post("/v1/human-approvals/" + approvalId + "/reject", "{}");
        assertThat(noReason.statusCode()).isEqualTo(400);
        HttpResponse<String> rejected = system.post("/v1/human-approvals/" + approvalId + "/reject",
                "{\"reason\":\"Needs more citations.\"}");
        assertThat(rejected.statusCode()).isEqualTo(200);
        assertThat(Json.tree(rejected.body())).isEqualTo(Json.tree("{\"status\":\"rejected\"}"));

        JsonNode end = awaitEnd(id);
        assertThat(end.get("status").asText()).as(end.toString()).isEqualTo("completed");
        assertThat(end.get("current_state").asText()).isEqualTo("revise");
        assertThat(end.get("state_outputs").get("revise").asText())
                .isEqualTo("done: Revise because: Needs more citations.");
        // approve after reject: exactly one decision won
        assertThat(system.post("/v1/human-approvals/" + approvalId + "/approve", "{}").statusCode()).isEqualTo(404);
    }

    @Test
    void aTimedOutReviewTakesItsDefaultResponseOrFailsTheWorkflow() throws Exception {
        String withDefault = run("review-default", "cats");
        String strict = run("review-strict", "dogs");

        JsonNode approvedByDefault = awaitEnd(withDefault);
        assertThat(approvedByDefault.get("status").asText()).as(approvedByDefault.toString()).isEqualTo("completed");
        assertThat(approvedByDefault.get("current_state").asText()).isEqualTo("publish");

        JsonNode failed = awaitEnd(strict);
        assertThat(failed.get("status").asText()).isEqualTo("failed");
        assertThat(failed.get("error").asText()).contains("human_input_timeout");
    }

    @Test
    void cancellingARunThatWaitsOnAReviewWithdrawsTheApproval() throws Exception {
        String id = run("review-flow", "moles");
        String approvalId = awaitApproval(id).get("id").asText();

        HttpResponse<String> cancelled = system.post("/v1/workflows/executions/" + id + "/cancel", "");
        assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(200);
        assertThat(Json.tree(cancelled.body()).get("status").asText()).isEqualTo("cancelled");

        await().atMost(Duration.ofSeconds(30)).until(() -> Json.tree(system.get("/v1/human-approvals/" + approvalId)
                .body()).has("error"));
        assertThat(system.post("/v1/human-approvals/" + approvalId + "/approve", "{}").statusCode()).isEqualTo(404);
        JsonNode view = view(id);
        assertThat(view.get("status").asText()).isEqualTo("cancelled");
        assertThat(view.has("pending_approval")).isFalse();
        assertThat(system.post("/v1/workflows/executions/" + id + "/cancel", "").statusCode()).isEqualTo(409);
    }
}
