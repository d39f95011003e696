package ai.aegis.topology.workflow;

import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.workflow.WorkflowEvent;
import ai.aegis.topology.readmodel.EventReadModel;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class WorkflowReadModelTest {

    private static final String ID = "11111111-2222-4333-8444-555555555555";
    private static final Instant T = Instant.parse("2026-11-28T10:00:00Z");

    @Test
    void foldsARunIncludingAStateWithoutOutputAndKeepsTheTerminalStatus() {
        WorkflowReadModel model = new WorkflowReadModel(new EventReadModel.Limits(10, 1 << 20, 1 << 20));
        model.onEvent(ID, 0, 0, Json.writeBytes(new WorkflowEvent.WorkflowStarted(ID, "review", "1", "in", T)));
        model.onEvent(ID, 0, 1, Json.writeBytes(new WorkflowEvent.StateEntered(ID, "review", "Human", 1, T)));
        model.onEvent(ID, 0, 2, Json.writeBytes(new WorkflowEvent.ApprovalRequested(ID, "a1", "review", "ok?", 60, T)));
        assertThat(model.view(ID).orElseThrow().pendingApproval()).isEqualTo("a1");
        model.onEvent(ID, 0, 3, Json.writeBytes(new WorkflowEvent.StateExited(ID, "review", "failure", null, T)));
        model.onEvent(ID, 0, 4, Json.writeBytes(new WorkflowEvent.WorkflowFailed(ID, "human_input_timeout", "review", T)));
        model.onEvent(ID, 0, 5, Json.writeBytes(new WorkflowEvent.WorkflowCancelled(ID, "late", T)));

        WorkflowExecutionView view = model.view(ID).orElseThrow();
        assertThat(view.status().wireName()).isEqualTo("failed");
        assertThat(view.error()).isEqualTo("human_input_timeout");
        assertThat(view.pendingApproval()).isNull();
        assertThat(view.stateOutputs()).containsKey("review");
        assertThat(view.currentState()).isEqualTo("review");
    }
}
