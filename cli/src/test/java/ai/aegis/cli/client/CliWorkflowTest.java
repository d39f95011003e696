package ai.aegis.cli.client;

import ai.aegis.cli.ApprovalWorkflows;
import ai.aegis.cli.TestSystem;
import ai.aegis.schemas.json.Json;
import ai.aegis.worker.llm.scripted.ScriptStep;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** workflow deploy/run/status/runs and approvals list/approve/reject through {@code aegis}, on a system with workflows. */
class CliWorkflowTest {

    @TempDir
    static Path dataDir;
    static TestSystem system;

    @BeforeAll
    static void start() throws Exception {
        system = new TestSystem(dataDir, Map.of("echo", List.of(ScriptStep.reply("done: {{input}}"))), null, true);
        for (String agent : ApprovalWorkflows.REVIEW_AGENTS) { // deployed through the CLI: its agent deploy runs
            Path file = Files.writeString(dataDir.resolve(agent + ".yaml"), """
                    apiVersion: 100monkeys.ai/v1
                    kind: Agent
                    metadata: {name: %s, version: "1"}
                    spec:
                      runtime: {model: echo}
                      task: {prompt_template: "{{input}}"}
                      execution: {max_iterations: 1}
                    """.formatted(agent));
            Cli.Result r = Cli.against(system, "agent", "deploy", file.toString());
            assertThat(r.code()).as(r.err()).isZero();
        }
        Path workflow = Files.writeString(dataDir.resolve("cli-review.yaml"),
                ApprovalWorkflows.draftReviewPublish("cli-review", "timeout: 120s", ApprovalWorkflows.PUBLISH_DRAFT));
        Cli.Result deployed = Cli.against(system, "workflow", "deploy", workflow.toString(), "-o", "json");
        assertThat(deployed.code()).as(deployed.err()).isZero();
        assertThat(Json.tree(deployed.out()).get("status").asText()).isEqualTo("registered");
    }

    @AfterAll
    static void stop() {
        system.close();
    }

    private static String run(String input) {
        Cli.Result r = Cli.against(system, "workflow", "run", "cli-review", "--input", input);
        assertThat(r.code()).as(r.err()).isZero();
        return r.out().strip();
    }

    private static JsonNode awaitApproval(String runId) {
        JsonNode[] found = new JsonNode[1];
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            Cli.Result list = Cli.against(system, "approvals", "list", "-o", "json");
            for (JsonNode r : Json.tree(list.out()).get("pending_requests")) {
                if (r.path("workflow_execution_id").asText().equals(runId)) {
                    found[0] = r;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    private static JsonNode awaitEnd(String runId) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
            last[0] = Json.tree(Cli.against(system, "workflow", "status", runId, "-o", "json").out());
            return List.of("completed", "failed", "cancelled").contains(last[0].path("status").asText());
        });
        return last[0];
    }

    @Test
    void anApprovedRunTakesTheApprovedPath() {
        String id = run("otters");
        assertThat(id).matches("[0-9a-f-]{36}");
        JsonNode approval = awaitApproval(id);
        assertThat(approval.get("prompt").asText()).isEqualTo("Please review: done: Draft about otters");
        String approvalId = approval.get("id").asText();
        Cli.Result table = Cli.against(system, "approvals", "list");
        assertThat(table.lines().getFirst()).startsWith("ID").contains("WORKFLOW RUN").contains("PROMPT");
        assertThat(table.lines()).anySatisfy(l -> assertThat(l).startsWith(approvalId).contains(id));

        Cli.Result approved = Cli.against(system, "approvals", "approve", approvalId, "--feedback", "Looks good");
        assertThat(approved.code()).as(approved.err()).isZero();
        assertThat(approved.out()).isEqualTo("approval " + approvalId + " approved\n");

        JsonNode end = awaitEnd(id);
        assertThat(end.get("status").asText()).isEqualTo("completed");
        assertThat(end.get("current_state").asText()).isEqualTo("publish");
        // the run is listed under its workflow; approving again is the API's 404, one line
        JsonNode runs = Json.tree(Cli.against(system, "workflow", "runs", "cli-review", "-o", "json").out());
        assertThat(runs.findValuesAsText("workflow_execution_id")).contains(id);
        Cli.Result again = Cli.against(system, "approvals", "approve", approvalId);
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.err()).isEqualTo("aegis: 404 Request not found or already completed\n");
    }

    @Test
    void aRejectedRunTakesTheRejectionPathWithTheReason() {
        String id = run("badgers");
        String approvalId = awaitApproval(id).get("id").asText();
        Cli.Result noReason = Cli.against(system, "approvals", "reject", approvalId);
        assertThat(noReason.code()).isEqualTo(2);
        assertThat(noReason.err()).contains("--reason");

        Cli.Result rejected = Cli.against(system, "approvals", "reject", approvalId, "--reason",
                "Needs more citations.", "-o", "json");
        assertThat(rejected.code()).as(rejected.err()).isZero();
        assertThat(Json.tree(rejected.out()).get("status").asText()).isEqualTo("rejected");

        JsonNode end = awaitEnd(id);
        assertThat(end.get("current_state").asText()).isEqualTo("revise");
        assertThat(end.get("state_outputs").get("revise").asText())
                .isEqualTo("done: Revise because: Needs more citations.");
        Cli.Result text = Cli.against(system, "workflow", "status", id);
        assertThat(text.out()).contains("status:").contains("completed").contains("current_state:");
    }
}
