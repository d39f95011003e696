package ai.aegis.schemas.workflow;

import ai.aegis.schemas.RecordSchemas;
import ai.aegis.schemas.SchemaResources;
import ai.aegis.schemas.SchemaValidation;
import ai.aegis.schemas.execution.ExecutionStatus;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.workflow.WorkflowEvent.ApprovalRequested;
import ai.aegis.schemas.workflow.WorkflowEvent.StateEntered;
import ai.aegis.schemas.workflow.WorkflowEvent.StateExited;
import ai.aegis.schemas.workflow.WorkflowEvent.WorkflowCancelled;
import ai.aegis.schemas.workflow.WorkflowEvent.WorkflowCompleted;
import ai.aegis.schemas.workflow.WorkflowEvent.WorkflowFailed;
import ai.aegis.schemas.workflow.WorkflowEvent.WorkflowStarted;
import com.fasterxml.jackson.annotation.JsonTypeName;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The workflow values on the wire: literal JSON, round trip, schema, and schema-record agreement. */
class WorkflowContractTest {

    private static final String RUN = "5d3c2b1a-0f9e-4d8c-b7a6-958473625140";
    private static final String EXEC = "3f1c1a8e-6a57-4d8e-9b7a-0c1d2e3f4a5b";
    private static final String APPROVAL = "7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918";
    private static final Instant T0 = Instant.parse("2026-03-05T14:00:00Z");
    private static final String YAML = """
            apiVersion: 100monkeys.ai/v1
            kind: Workflow
            metadata: {name: tiny, version: "1.2.0", description: One step}
            spec:
              initial_state: only
              states:
                only: {kind: Agent, agent: hello-agent, transitions: []}
            """;
    private static final String MANIFEST_JSON = """
            {"apiVersion":"100monkeys.ai/v1","kind":"Workflow","metadata":{"name":"tiny","version":"1.2.0","description":"One step"},
             "spec":{"initial_state":"only","states":{"only":{"kind":"Agent","agent":"hello-agent","transitions":[]}}}}
            """;
    private static final String RECORD_JSON = """
            {"name":"tiny","version":"1.2.0","description":"One step","manifest":%s,"yaml":%s,
             "created_at":"2026-03-01T09:00:00Z","updated_at":"2026-03-04T10:30:00.500Z"}
            """.formatted(MANIFEST_JSON, Json.write(YAML));

    static WorkflowRecord record() {
        return new WorkflowRecord("tiny", "1.2.0", "One step", WorkflowManifests.parse(YAML).tree(), YAML,
                Instant.parse("2026-03-01T09:00:00Z"), Instant.parse("2026-03-04T10:30:00.5Z"));
    }

    @Test
    void aWorkflowRecordRoundTripsAndValidates() {
        String json = Json.write(record());

        assertThat(Json.tree(json)).isEqualTo(Json.tree(RECORD_JSON));
        assertThat(Json.read(json, WorkflowRecord.class)).isEqualTo(record());
        assertThat(SchemaValidation.validate(SchemaResources.WORKFLOW_RECORD, Json.tree(json))).isEmpty();
        // The kept manifest is what was registered: it parses again and passes the editor schema.
        assertThat(Json.read(json, WorkflowRecord.class).parsedManifest().spec().initialState()).isEqualTo("only");
        assertThat(SchemaValidation.validate(SchemaResources.WORKFLOW_MANIFEST, Json.tree(json).get("manifest")))
                .isEmpty();
    }

    @Test
    void theListViewLeavesManifestAndSourceOut() {
        JsonNode tree = Json.toTree(record().summary());
        assertThat(tree.has("manifest")).isFalse();
        assertThat(tree.has("yaml")).isFalse();
        assertThat(tree.get("name").asText()).isEqualTo("tiny");
        assertThat(SchemaValidation.validate(SchemaResources.WORKFLOW_RECORD, tree)).isEmpty();
    }

    @Test
    void aWorkflowRecordWithABadNameOrNoTimestampFailsTheSchema() {
        ObjectNode tree = (ObjectNode) Json.toTree(record());
        assertThat(SchemaValidation.validate(SchemaResources.WORKFLOW_RECORD, tree.deepCopy().put("name", "Tiny")))
                .isNotEmpty();
        assertThat(SchemaValidation.validate(SchemaResources.WORKFLOW_RECORD, tree.deepCopy().without("updated_at")))
                .isNotEmpty();
        assertThat(SchemaValidation.validate(SchemaResources.WORKFLOW_RECORD, tree.deepCopy().put("manifest", "x")))
                .isNotEmpty();
    }

    @Test
    void startAndCancelCommandsRoundTripAndValidate() {
        WorkflowCommand start = WorkflowCommand.start(RUN, record(), "our new release",
                Json.tree("{\"channel\":\"#news\"}"), T0);
        WorkflowCommand cancel = WorkflowCommand.cancel(RUN, T0.plusSeconds(5));

        assertThat(Json.tree(Json.write(start))).isEqualTo(Json.tree("""
                {"command":"start","workflow_execution_id":"%s","workflow":%s,"input":"our new release",
                 "blackboard":{"channel":"#news"},"requested_at":"2026-03-05T14:00:00Z"}
                """.formatted(RUN, RECORD_JSON)));
        assertThat(Json.tree(Json.write(cancel))).isEqualTo(Json.tree("""
                {"command":"cancel","workflow_execution_id":"%s","requested_at":"2026-03-05T14:00:05Z"}
                """.formatted(RUN)));
        for (WorkflowCommand command : List.of(start, cancel)) {
            String json = Json.write(command);
            assertThat(Json.read(json, WorkflowCommand.class)).isEqualTo(command);
            assertThat(SchemaValidation.validate(SchemaResources.WORKFLOW_COMMAND, Json.tree(json))).isEmpty();
        }
        // The snapshot inside still parses, so the engine needs no registry lookup.
        assertThat(Json.read(Json.write(start), WorkflowCommand.class).workflow().parsedManifest().name())
                .isEqualTo("tiny");
    }

    @Test
    void aStartWithoutWorkflowOrAnUnknownCommandFailsTheSchema() {
        ObjectNode start = (ObjectNode) Json.toTree(WorkflowCommand.start(RUN, record(), "x", null, T0));
        assertThat(SchemaValidation.validate(SchemaResources.WORKFLOW_COMMAND, start.deepCopy().without("workflow")))
                .isNotEmpty();
        assertThat(SchemaValidation.validate(SchemaResources.WORKFLOW_COMMAND, start.deepCopy().put("command", "pause")))
                .isNotEmpty();
        ObjectNode badSnapshot = start.deepCopy();
        ((ObjectNode) badSnapshot.get("workflow")).remove("created_at");
        assertThat(SchemaValidation.validate(SchemaResources.WORKFLOW_COMMAND, badSnapshot)).isNotEmpty();
    }

    /** The command schema inlines the workflow record so that it stands alone; the two copies must stay equal. */
    @Test
    void theInlinedWorkflowRecordEqualsTheWorkflowRecordSchema() {
        ObjectNode standalone = (ObjectNode) Json.tree(SchemaResources.load(SchemaResources.WORKFLOW_RECORD));
        ObjectNode inlined = (ObjectNode) Json.tree(SchemaResources.load(SchemaResources.WORKFLOW_COMMAND))
                .at("/$defs/workflow_record").deepCopy();
        standalone.remove(List.of("$schema", "$id"));
        inlined.remove("$comment");
        assertThat(inlined).isEqualTo(standalone);
    }

    @Test
    void stepResultsRoundTripAndValidate() {
        WorkflowStepResult agent = new WorkflowStepResult(RUN, 3, EXEC, ExecutionStatus.COMPLETED,
                "Release 2.0 is out", null, null, 0.92, T0);
        WorkflowStepResult container = new WorkflowStepResult(RUN, 4, EXEC, ExecutionStatus.FAILED, "1 failed",
                "exit code 1", 1, null, T0);

        assertThat(Json.tree(Json.write(agent))).isEqualTo(Json.tree("""
                {"workflow_execution_id":"%s","step":3,"execution_id":"%s","status":"completed",
                 "output":"Release 2.0 is out","score":0.92,"finished_at":"2026-03-05T14:00:00Z"}
                """.formatted(RUN, EXEC)));
        for (WorkflowStepResult r : List.of(agent, container)) {
            String json = Json.write(r);
            assertThat(Json.read(json, WorkflowStepResult.class)).isEqualTo(r);
            assertThat(SchemaValidation.validate(SchemaResources.WORKFLOW_STEP_RESULT, Json.tree(json))).isEmpty();
        }
        assertThat(agent.succeeded()).isTrue();
        assertThat(container.succeeded()).isFalse();
        assertThat(new WorkflowStepResult(RUN, 1, EXEC, ExecutionStatus.COMPLETED, "", null, 2, null, T0)
                .succeeded()).isFalse();
        assertThat(new WorkflowStepResult(RUN, 1, EXEC, ExecutionStatus.TIMED_OUT, "", "too slow", null, null, T0)
                .succeeded()).isFalse();
    }

    /** A second run attempt's notice and result carry their attempt; a result of before attempts reads as the first. */
    @Test
    void attemptNoticesAndNumberedResultsRoundTripAndValidate() {
        WorkflowStepResult notice = WorkflowStepResult.attemptStarted(RUN, 3, EXEC, 2, T0);
        WorkflowStepResult result = new WorkflowStepResult(RUN, 3, EXEC, ExecutionStatus.COMPLETED, "ok", null, null,
                null, T0).withAttempt(2);

        assertThat(Json.tree(Json.write(notice))).isEqualTo(Json.tree("""
                {"workflow_execution_id":"%s","step":3,"execution_id":"%s","status":"running","output":"",
                 "finished_at":"2026-03-05T14:00:00Z","attempt":2}
                """.formatted(RUN, EXEC)));
        for (WorkflowStepResult r : List.of(notice, result)) {
            String json = Json.write(r);
            assertThat(Json.read(json, WorkflowStepResult.class)).isEqualTo(r);
            assertThat(SchemaValidation.validate(SchemaResources.WORKFLOW_STEP_RESULT, Json.tree(json))).isEmpty();
        }
        assertThat(notice.attemptNotice()).isTrue();
        assertThat(notice.succeeded()).isFalse();
        assertThat(result.attemptNotice()).isFalse();
        assertThat(result.attemptNumber()).isEqualTo(2);
        WorkflowStepResult old = Json.read("""
                {"workflow_execution_id":"%s","step":3,"execution_id":"%s","status":"completed",
                 "finished_at":"2026-03-05T14:00:00Z"}""".formatted(RUN, EXEC), WorkflowStepResult.class);
        assertThat(old.attempt()).isNull();
        assertThat(old.attemptNumber()).isEqualTo(1);
        assertThat(SchemaValidation.validate(SchemaResources.WORKFLOW_STEP_RESULT, Json.tree("""
                {"workflow_execution_id":"r","step":1,"execution_id":"e","status":"completed",
                 "finished_at":"2026-03-05T14:00:00Z","attempt":0}"""))).isNotEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"workflow_execution_id\":\"r\",\"step\":1,\"execution_id\":\"e\",\"status\":\"done\",\"finished_at\":\"2026-03-05T14:00:00Z\"}",
            "{\"workflow_execution_id\":\"r\",\"step\":0,\"execution_id\":\"e\",\"status\":\"failed\",\"finished_at\":\"2026-03-05T14:00:00Z\"}",
            "{\"workflow_execution_id\":\"r\",\"step\":1,\"execution_id\":\"e\",\"status\":\"completed\",\"score\":1.5,\"finished_at\":\"2026-03-05T14:00:00Z\"}",
            "{\"workflow_execution_id\":\"r\",\"step\":1,\"status\":\"completed\",\"finished_at\":\"2026-03-05T14:00:00Z\"}",
            "{\"workflow_execution_id\":\"r\",\"step\":1,\"execution_id\":\"e\",\"status\":\"completed\",\"finished_at\":\"now\"}"})
    void wrongStepResultsFailTheSchema(String json) {
        assertThat(SchemaValidation.validate(SchemaResources.WORKFLOW_STEP_RESULT, Json.tree(json))).isNotEmpty();
    }

    static Stream<Arguments> everyEventType() {
        JsonNode board = WorkflowTemplates.initialBlackboard("review-workflow", "1.0.0", "our new release", null,
                null);
        return Stream.of(
                Arguments.of(new WorkflowStarted(RUN, "review-workflow", "1.0.0", "our new release", T0), """
                        {"workflow_started":{"workflow_execution_id":"%s","workflow_name":"review-workflow","workflow_version":"1.0.0","input":"our new release","started_at":"2026-03-05T14:00:00Z"}}"""),
                Arguments.of(new StateEntered(RUN, "review", "Human", 2, T0), """
                        {"state_entered":{"workflow_execution_id":"%s","state_name":"review","kind":"Human","step":2,"entered_at":"2026-03-05T14:00:00Z"}}"""),
                Arguments.of(new StateExited(RUN, "drafter", "success", TextNode.valueOf("Release 2.0"), T0), """
                        {"state_exited":{"workflow_execution_id":"%s","state_name":"drafter","status":"success","output":"Release 2.0","exited_at":"2026-03-05T14:00:00Z"}}"""),
                Arguments.of(new ApprovalRequested(RUN, APPROVAL, "review", "Approve?", 3600, T0), """
                        {"approval_requested":{"workflow_execution_id":"%s","approval_id":"%s","state_name":"review","prompt":"Approve?","timeout_seconds":3600,"requested_at":"2026-03-05T14:00:00Z"}}"""
                        .replace("\"approval_id\":\"%s\"", "\"approval_id\":\"" + APPROVAL + "\"")),
                Arguments.of(new WorkflowCompleted(RUN, "publisher", board, T0), """
                        {"workflow_completed":{"workflow_execution_id":"%s","final_state":"publisher","blackboard":{"workflow":{"name":"review-workflow","version":"1.0.0","input":"our new release"},"context":{}},"completed_at":"2026-03-05T14:00:00Z"}}"""),
                Arguments.of(new WorkflowFailed(RUN, WorkflowEvent.HUMAN_INPUT_TIMEOUT, "review", T0), """
                        {"workflow_failed":{"workflow_execution_id":"%s","reason":"human_input_timeout","state_name":"review","failed_at":"2026-03-05T14:00:00Z"}}"""),
                Arguments.of(new WorkflowCancelled(RUN, "cancelled by a user", T0), """
                        {"workflow_cancelled":{"workflow_execution_id":"%s","reason":"cancelled by a user","cancelled_at":"2026-03-05T14:00:00Z"}}"""));
    }

    @ParameterizedTest
    @MethodSource("everyEventType")
    void everyEventTypeHasTheWrapperFormRoundTripsAndValidates(WorkflowEvent event, String frameTemplate) {
        String frame = frameTemplate.formatted(RUN);

        // Byte for byte: the SSE data line of a workflow stream is this.
        assertThat(Json.write(event)).isEqualTo(frame);
        assertThat(Json.read(frame, WorkflowEvent.class)).isEqualTo(event);
        assertThat(SchemaValidation.validate(SchemaResources.WORKFLOW_EVENT, Json.tree(frame))).isEmpty();
        assertThat(Json.tree(frame).fieldNames().next()).isEqualTo(event.type());
    }

    @Test
    void everyEventTypeIsCoveredAndExactlyTheLastThreeAreTerminal() {
        List<WorkflowEvent> events = everyEventType().map(a -> (WorkflowEvent) a.get()[0]).toList();
        assertThat(events).extracting(WorkflowEvent::type).containsExactlyElementsOf(typeNames());
        assertThat(events.stream().filter(WorkflowEvent::terminal).map(WorkflowEvent::type))
                .containsExactly("workflow_completed", "workflow_failed", "workflow_cancelled");
    }

    @Test
    void optionalEventFieldsAreLeftOutAndStillValid() {
        JsonNode failed = Json.toTree(new WorkflowFailed(RUN, "unknown agent 'drafter'", null, T0));
        JsonNode cancelled = Json.toTree(new WorkflowCancelled(RUN, null, T0));
        assertThat(failed.get("workflow_failed").has("state_name")).isFalse();
        assertThat(cancelled.get("workflow_cancelled").has("reason")).isFalse();
        assertThat(SchemaValidation.validate(SchemaResources.WORKFLOW_EVENT, failed)).isEmpty();
        assertThat(SchemaValidation.validate(SchemaResources.WORKFLOW_EVENT, cancelled)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"state_entered\":{\"workflow_execution_id\":\"r\",\"state_name\":\"a\",\"kind\":\"System\",\"step\":1,\"entered_at\":\"2026-03-05T14:00:00Z\"}}",
            "{\"state_entered\":{\"workflow_execution_id\":\"r\",\"state_name\":\"a\",\"kind\":\"Agent\",\"step\":1001,\"entered_at\":\"2026-03-05T14:00:00Z\"}}",
            "{\"state_exited\":{\"workflow_execution_id\":\"r\",\"state_name\":\"a\",\"status\":\"ok\",\"exited_at\":\"2026-03-05T14:00:00Z\"}}",
            "{\"workflow_failed\":{\"workflow_execution_id\":\"r\",\"failed_at\":\"2026-03-05T14:00:00Z\"}}",
            "{\"workflow_completed\":{\"workflow_execution_id\":\"r\",\"final_state\":\"a\",\"blackboard\":\"x\",\"completed_at\":\"2026-03-05T14:00:00Z\"}}",
            "{\"workflow_paused\":{\"workflow_execution_id\":\"r\",\"paused_at\":\"2026-03-05T14:00:00Z\"}}",
            "{\"workflow_execution_id\":\"r\",\"reason\":\"x\",\"cancelled_at\":\"2026-03-05T14:00:00Z\"}",
            "{}"})
    void wrongEventShapesFailTheSchema(String json) {
        assertThat(SchemaValidation.validate(SchemaResources.WORKFLOW_EVENT, Json.tree(json))).isNotEmpty();
    }

    @Test
    void anUnknownEventTypeFailsTheReader() {
        assertThatThrownBy(() -> Json.read("{\"workflow_paused\":{\"workflow_execution_id\":\"r\"}}",
                WorkflowEvent.class)).isInstanceOf(UncheckedIOException.class);
    }

    @Test
    void theEventSchemaDescribesExactlyTheRecordsFields() {
        JsonNode schema = Json.tree(SchemaResources.load(SchemaResources.WORKFLOW_EVENT));
        List<String> oneOf = new ArrayList<>();
        schema.get("oneOf").forEach(ref -> oneOf.add(ref.get("$ref").asText()));
        assertThat(oneOf).containsExactlyElementsOf(typeNames().stream().map(n -> "#/$defs/" + n + "_event").toList());
        for (Class<?> type : WorkflowEvent.class.getPermittedSubclasses()) {
            String name = type.getAnnotation(JsonTypeName.class).value();
            JsonNode wrapper = schema.at("/$defs/" + name + "_event");
            assertThat(wrapper.get("additionalProperties").asBoolean(true)).as(name).isFalse();
            assertThat(wrapper.at("/properties/" + name + "/$ref").asText()).isEqualTo("#/$defs/" + name);
            RecordSchemas.assertDescribes(schema.at("/$defs/" + name), type);
        }
    }

    @Test
    void theFlatSchemasDescribeExactlyTheRecordsFields() {
        RecordSchemas.assertDescribes(Json.tree(SchemaResources.load(SchemaResources.WORKFLOW_RECORD)),
                WorkflowRecord.class);
        RecordSchemas.assertDescribes(Json.tree(SchemaResources.load(SchemaResources.WORKFLOW_COMMAND)),
                WorkflowCommand.class);
        RecordSchemas.assertDescribes(Json.tree(SchemaResources.load(SchemaResources.WORKFLOW_STEP_RESULT)),
                WorkflowStepResult.class);
    }

    private static List<String> typeNames() {
        return Arrays.stream(WorkflowEvent.class.getPermittedSubclasses())
                .map(c -> c.getAnnotation(JsonTypeName.class).value()).toList();
    }
}
