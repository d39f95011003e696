package ai.aegis.schemas;

import ai.aegis.schemas.approval.ApprovalStatus;
import ai.aegis.schemas.execution.ExecutionStatus;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.json.WireEnum;
import ai.aegis.schemas.stimulus.StimulusStatus;
import ai.aegis.schemas.workflow.WorkflowStatus;
import ai.aegis.schemas.workflow.WorkflowStepResult;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The status enums against their JSON names and against the schemas that list them. */
class StatusesTest {

    private static final List<Class<? extends Enum<?>>> ENUMS =
            List.of(ExecutionStatus.class, WorkflowStatus.class, ApprovalStatus.class, StimulusStatus.class);

    private static List<String> schemaEnum(String schema, String property) {
        List<String> names = new ArrayList<>();
        Json.tree(SchemaResources.load(schema)).at("/properties/" + property + "/enum")
                .forEach(n -> names.add(n.asText()));
        assertThat(names).as(schema + " " + property).isNotEmpty();
        return names;
    }

    private static List<String> wireNames(Stream<? extends WireEnum> constants) {
        return constants.map(WireEnum::wireName).toList();
    }

    @Test
    void everyStatusIsWrittenAndReadAsItsLowerCaseName() {
        assertThat(wireNames(Arrays.stream(ExecutionStatus.values())))
                .containsExactly("pending", "running", "completed", "failed", "cancelled", "timed_out");
        assertThat(wireNames(Arrays.stream(WorkflowStatus.values())))
                .containsExactly("pending", "running", "completed", "failed", "cancelled");
        assertThat(wireNames(Arrays.stream(ApprovalStatus.values())))
                .containsExactly("pending", "approved", "rejected", "timed_out");
        assertThat(wireNames(Arrays.stream(StimulusStatus.values())))
                .containsExactly("accepted", "duplicate", "refused", "failed");
        for (Class<? extends Enum<?>> type : ENUMS) {
            for (Enum<?> constant : type.getEnumConstants()) {
                String json = Json.write(constant);
                assertThat(json).isEqualTo("\"" + ((WireEnum) constant).wireName() + "\"");
                assertThat(Json.read(json.getBytes(), type)).isSameAs(constant);
            }
        }
    }

    @Test
    void anUnknownOrMissingNameReadsAsNone() {
        assertThat(ExecutionStatus.fromWire("done")).isNull();
        assertThat(WorkflowStatus.fromWire("TIMED_OUT")).isNull();
        assertThat(ApprovalStatus.fromWire(null)).isNull();
        JsonNode step = Json.tree("""
                {"workflow_execution_id":"r","step":1,"execution_id":"e","status":"done"}""");
        assertThat(Json.MAPPER.convertValue(step, WorkflowStepResult.class).status())
                .isNull();
    }

    @Test
    void terminalStatusesAreTheEndsAndTheStepResultsStatuses() {
        // a step result is an end, or (running) the notice that a new run attempt of the step's execution began
        assertThat(wireNames(Stream.concat(Arrays.stream(ExecutionStatus.values()).filter(ExecutionStatus::terminal),
                Stream.of(ExecutionStatus.RUNNING))))
                .containsExactlyElementsOf(schemaEnum(SchemaResources.WORKFLOW_STEP_RESULT, "status"));
        assertThat(Arrays.stream(WorkflowStatus.values()).filter(WorkflowStatus::terminal))
                .containsExactly(WorkflowStatus.COMPLETED, WorkflowStatus.FAILED, WorkflowStatus.CANCELLED);
    }

    @Test
    void decisionsCarryTheDecidedApprovalStatusesAndRepliesTheOnesAskedFor() {
        assertThat(wireNames(Arrays.stream(ApprovalStatus.values()).filter(s -> !s.pending())))
                .containsExactlyElementsOf(schemaEnum(SchemaResources.APPROVAL_DECISION, "outcome"));
        assertThat(wireNames(Stream.of(ApprovalStatus.APPROVED, ApprovalStatus.REJECTED)))
                .containsExactlyElementsOf(schemaEnum(SchemaResources.APPROVAL_REPLY, "status"));
    }

    @Test
    void repliesCarryEveryStimulusStatusAndOutcomesTheRoutingOnesAndDuplicates() {
        assertThat(wireNames(Arrays.stream(StimulusStatus.values())))
                .containsExactlyElementsOf(schemaEnum(SchemaResources.STIMULUS_REPLY, "outcome"));
        assertThat(wireNames(Arrays.stream(StimulusStatus.values()).filter(StimulusStatus::outcomeRecord)))
                .containsExactlyElementsOf(schemaEnum(SchemaResources.STIMULUS_OUTCOME, "outcome"));
        assertThat(StimulusStatus.fromWire("in_flight")).isNull();
    }
}
