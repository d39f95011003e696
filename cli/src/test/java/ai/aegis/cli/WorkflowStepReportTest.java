package ai.aegis.cli;

import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.workflow.WorkflowStepResult;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.worker.llm.scripted.ScriptStep;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What the workflow engine asks of workers, through the real broker: an agent named (not snapshotted) in the
 * request, a container run, and the step result each reports back on the workflow steps topic.
 */
class WorkflowStepReportTest {

    @TempDir
    static Path dataDir;
    static TestSystem system;
    static DurablePublisher publisher;

    @BeforeAll
    static void start() throws Exception {
        system = new TestSystem(dataDir, Map.of("hello", List.of(ScriptStep.reply("hello from the agent"))));
        publisher = new DurablePublisher(system.kafka, "/test");
        system.deploy(TestSystem.agent("step-agent", "hello", 1));
    }

    @AfterAll
    static void stop() {
        publisher.close();
        system.close();
    }

    private static void request(ExecutionRequest request) throws Exception {
        publisher.publish(system.kafka.topics().executionRequests().name(), request.executionId(),
                Json.writeBytes(request), "test");
    }

    private static List<WorkflowStepResult> steps(String workflowExecutionId) {
        return system.records(system.kafka.topics().workflowSteps().name()).stream()
                .filter(r -> r.key().equals(workflowExecutionId))
                .map(r -> Json.read(r.value(), WorkflowStepResult.class)).toList();
    }

    @Test
    void anAgentNamedByTheWorkflowRunsAndItsResultIsReportedToTheWorkflow() throws Exception {
        String wfex = UUID.randomUUID().toString();
        String executionId = UUID.randomUUID().toString();
        request(ExecutionRequest.forWorkflowStep(new ExecutionRequest.WorkflowLink(wfex, 3, "draft"), "step-agent")
                .setExecutionId(executionId).setInput("hi").setRequestedAt(Json.now()).build());

        await().atMost(Duration.ofSeconds(60)).until(() -> !steps(wfex).isEmpty());
        WorkflowStepResult result = steps(wfex).getFirst();
        assertThat(result.executionId()).isEqualTo(executionId);
        assertThat(result.step()).isEqualTo(3);
        assertThat(result.status().wireName()).isEqualTo("completed");
        assertThat(result.output()).isEqualTo("hello from the agent");
        assertThat(result.succeeded()).isTrue();
        assertThat(Json.tree(system.get("/v1/executions/" + executionId).body()).get("status").asText())
                .isEqualTo("completed");
    }

    @Test
    void anUnknownAgentFailsTheStepWithAClearReason() throws Exception {
        String wfex = UUID.randomUUID().toString();
        request(ExecutionRequest.forWorkflowStep(new ExecutionRequest.WorkflowLink(wfex, 1, "draft"), "nobody-here")
                .setExecutionId(UUID.randomUUID().toString()).setInput("hi").setRequestedAt(Json.now()).build());

        await().atMost(Duration.ofSeconds(60)).until(() -> !steps(wfex).isEmpty());
        WorkflowStepResult result = steps(wfex).getFirst();
        assertThat(result.status().wireName()).isEqualTo("failed");
        assertThat(result.error()).isEqualTo("agent 'nobody-here' is not deployed");
    }

    @Test
    void aContainerRunReportsItsExitCodeAndOutput() throws Exception {
        String wfex = UUID.randomUUID().toString();
        request(ExecutionRequest.forContainerRun(new ExecutionRequest.WorkflowLink(wfex, 2, "check"),
                        new ExecutionRequest.ContainerRun("agent-base:local",
                                List.of("/bin/sh", "-c", "echo checked; exit 3"), Map.of("MODE", "strict"), 500,
                                128L << 20, 30, false))
                .setExecutionId(UUID.randomUUID().toString()).setRequestedAt(Json.now()).build());

        await().atMost(Duration.ofSeconds(60)).until(() -> !steps(wfex).isEmpty());
        WorkflowStepResult result = steps(wfex).getFirst();
        assertThat(result.status().wireName()).isEqualTo("completed");
        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.output()).isEqualTo("checked\n");
        assertThat(result.succeeded()).isFalse();
    }
}
