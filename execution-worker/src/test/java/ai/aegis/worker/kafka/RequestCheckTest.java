package ai.aegis.worker.kafka;

import ai.aegis.schemas.agent.AgentRecord;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.schemas.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Which records a worker refuses outright (rejects and dead-letters), and which it runs. */
class RequestCheckTest {

    private static final String ID = "3f1c1a8e-6a57-4d8e-9b7a-0c1d2e3f4a5b";
    private static final String RUN = "5d3c2b1a-0f9e-4d8c-b7a6-958473625140";
    private static final Instant T = Instant.parse("2026-03-05T14:00:00Z");

    @ParameterizedTest
    @ValueSource(strings = {
            "{}",
            "[1,2,3]",
            "null",
            "\"a string\"",
            "{\"execution_id\":5,\"agent_name\":\"a\"}",
            "{\"execution_id\":\"not-a-uuid\",\"agent_name\":\"a\"}",
            "{\"execution_id\":\"" + ID + "\"}",
            "{\"execution_id\":\"" + ID + "\",\"agent_name\":\"  \"}",
            "{\"execution_id\":\"" + ID + "\",\"container_run\":{\"image\":\"x\"}}",
            "{\"execution_id\":\"" + ID + "\",\"container_run\":{\"image\":\"x\",\"command\":[]}}",
            "{\"execution_id\":\"" + ID + "\",\"agent_name\":\"a\",\"workflow\":{\"step\":1}}",
            "{\"execution_id\":\"" + ID + "\",\"agent_name\":\"a\",\"requested_at\":\"yesterday\"}",
            "{\"execution_id\":",
    })
    void recordsNoWorkerCouldRunAreRefusedWithAReason(String value) {
        assertThatThrownBy(() -> RequestCheck.read(value.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(RequestCheck.InvalidRequestException.class)
                .hasMessageNotContaining("\n")
                .satisfies(e -> assertThat(e.getMessage()).isNotBlank());
    }

    @Test
    void randomBytesAndTombstonesAreRefused() {
        byte[] noise = new byte[64];
        new java.util.Random(7).nextBytes(noise);
        assertThatThrownBy(() -> RequestCheck.read(noise)).isInstanceOf(RequestCheck.InvalidRequestException.class);
        assertThatThrownBy(() -> RequestCheck.read(null)).isInstanceOf(RequestCheck.InvalidRequestException.class)
                .hasMessageContaining("no value");
    }

    @Test
    void theThreeKindsOfRequestAreRead() {
        AgentRecord agent = Json.read("""
                {"id":"9b2e4c6d-1f3a-4b5c-8d7e-6f5a4b3c2d1e","name":"a","version":"1.0.0","status":"active",
                 "manifest":{"apiVersion":"100monkeys.ai/v1","kind":"Agent"}}""", AgentRecord.class);
        ExecutionRequest.WorkflowLink link = new ExecutionRequest.WorkflowLink(RUN, 1, "s");
        List<ExecutionRequest> requests = List.of(
                ExecutionRequest.forAgent(agent).setExecutionId(ID).setRequestedAt(T).build(),
                ExecutionRequest.forWorkflowStep(link, "a").setExecutionId(ID).setRequestedAt(T).build(),
                ExecutionRequest.forContainerRun(link, new ExecutionRequest.ContainerRun("img", List.of("echo", "hi"),
                        Map.of(), 100, 1 << 20, 10, false)).setExecutionId(ID).setRequestedAt(T).build());
        for (ExecutionRequest r : requests) {
            assertThat(RequestCheck.read(Json.writeBytes(r))).isEqualTo(r);
        }
    }
}
