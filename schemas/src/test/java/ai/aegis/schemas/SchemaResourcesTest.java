package ai.aegis.schemas;

import ai.aegis.schemas.agent.AgentManifests;
import ai.aegis.schemas.agent.AgentRecord;
import ai.aegis.schemas.approval.ApprovalCommand;
import ai.aegis.schemas.deadletter.DeadLetter;
import ai.aegis.schemas.approval.ApprovalDecision;
import ai.aegis.schemas.approval.ApprovalReply;
import ai.aegis.schemas.approval.ApprovalRequest;
import ai.aegis.schemas.approval.ApprovalStatus;
import ai.aegis.schemas.execution.ExecutionCommand;
import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.smcp.SmcpSession;
import ai.aegis.schemas.smcp.SmcpSessionStatus;
import ai.aegis.schemas.smcp.SmcpSigningKey;
import ai.aegis.schemas.stimulus.StimulusKeys;
import ai.aegis.schemas.stimulus.StimulusClassification;
import ai.aegis.schemas.stimulus.StimulusOutcome;
import ai.aegis.schemas.stimulus.StimulusReply;
import ai.aegis.schemas.stimulus.StimulusRequest;
import ai.aegis.schemas.stimulus.StimulusStatus;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.schemas.topic.TopicSpec;
import ai.aegis.schemas.workflow.WorkflowCommand;
import ai.aegis.schemas.workflow.WorkflowEvent;
import ai.aegis.schemas.workflow.WorkflowManifests;
import ai.aegis.schemas.workflow.WorkflowRecord;
import ai.aegis.schemas.workflow.WorkflowStepResult;
import com.fasterxml.jackson.annotation.JsonTypeName;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The schema resources load, and the analysts' README agrees with the catalogue, the schemas and the records. */
class SchemaResourcesTest {

    // Surefire runs with the module directory as working directory.
    private static final Path README = Path.of("README.md");
    private static final Pattern EXAMPLE = Pattern.compile("<!-- schema: ([a-z0-9.-]+) -->\\s*```json\\n(.*?)\\n```",
            Pattern.DOTALL);

    @Test
    void everySchemaLoadsAsADraft202012DocumentNamedAfterItsFile() {
        assertThat(SchemaResources.ALL).hasSize(22).doesNotHaveDuplicates();
        for (String file : SchemaResources.ALL) {
            JsonNode schema = Json.tree(SchemaResources.load(file));
            assertThat(schema.get("$schema").asText()).as(file)
                    .isEqualTo("https://json-schema.org/draft/2020-12/schema");
            assertThat(schema.get("$id").asText()).as(file).endsWith("/" + file);
            assertThat(SchemaValidation.metaSchema().validate(schema)).as(file).isEmpty();
        }
    }

    /** Guards the check above: the meta-schema does refuse a broken schema. */
    @Test
    void theMetaSchemaCheckIsNotVacuous() {
        assertThat(SchemaValidation.metaSchema().validate(Json.tree("{\"type\":5,\"required\":\"x\"}")))
                .isNotEmpty();
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"missing.schema.json", "../json/Json.class", "ai/aegis/schemas/agent-record.schema.json",
            "agent-record.json", "AGENT-RECORD.schema.json"})
    void unknownOrPathLikeNamesAreRefused(String name) {
        assertThatThrownBy(() -> SchemaResources.load(name)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theReadmeListsEveryTopicWithItsKeyPartitionsPolicyAndSchema() throws IOException {
        String readme = Files.readString(README, StandardCharsets.UTF_8);
        for (TopicSpec spec : TopicCatalog.defaults().all()) {
            String row = readme.lines().filter(l -> l.startsWith("| `" + spec.name() + "` |")).findFirst()
                    .orElseThrow(() -> new AssertionError("no table row for " + spec.name()));
            assertThat(row).contains(spec.key(), "| " + spec.partitions() + " |", "`" + spec.valueSchema() + "`",
                    spec.configs().get("cleanup.policy"));
        }
        for (String header : List.of("ce_id", "ce_type", "ce_source", "ce_time", "ce_specversion", "ce_subject",
                "content-type")) {
            assertThat(readme).contains("| `" + header + "` |");
        }
        assertThat(readme).contains("ai.aegis.agent.agent_deployed.v1", "ai.aegis.agent.agent_deleted.v1",
                "ai.aegis.execution.execution_requested.v1", "ai.aegis.execution.execution_started.v1",
                "print.headers=true");
        // The workflow and approval ce_types the code writes are the ones documented.
        assertThat(readme).contains(WorkflowRecord.CE_REGISTERED, WorkflowRecord.CE_DELETED,
                WorkflowCommand.CE_START_REQUESTED, WorkflowCommand.CE_CANCEL_REQUESTED,
                new WorkflowEvent.StateEntered("r", "s", "Agent", 1, null).ceType(), WorkflowStepResult.CE_TYPE,
                ApprovalRequest.CE_TYPE, ApprovalDecision.CE_TYPE, ApprovalCommand.CE_APPROVE_REQUESTED,
                ApprovalCommand.CE_REJECT_REQUESTED, ApprovalReply.CE_TYPE, StimulusRequest.CE_TYPE,
                StimulusRequest.CE_ACCEPTED, StimulusOutcome.CE_TYPE, StimulusReply.CE_TYPE, SmcpSession.CE_TYPE,
                SmcpSigningKey.CE_TYPE);
        // Every schema is listed in the table at the top.
        for (String file : SchemaResources.ALL) {
            assertThat(readme).contains("| [`" + file + "`](src/main/resources/ai/aegis/schemas/" + file + ") |");
        }
    }

    /** Every example in the README is valid against its schema and reads into the wire records. */
    @Test
    void everyReadmeExampleIsValidAndEveryEventTypeHasOne() throws IOException {
        String readme = Files.readString(README, StandardCharsets.UTF_8);
        Matcher m = EXAMPLE.matcher(readme);
        List<String> eventTypes = new ArrayList<>();
        List<String> workflowEventTypes = new ArrayList<>();
        List<ApprovalStatus> approvalOutcomes = new ArrayList<>();
        List<String> stimulusKeys = new ArrayList<>();
        List<StimulusStatus> stimulusOutcomes = new ArrayList<>();
        List<Object> smcpRecords = new ArrayList<>();
        int examples = 0;
        while (m.find()) {
            examples++;
            String schema = m.group(1);
            JsonNode value = Json.tree(m.group(2));
            assertThat(SchemaValidation.validate(schema, value)).as(m.group(2)).isEmpty();
            switch (schema) {
                case SchemaResources.EXECUTION_EVENT -> {
                    ExecutionEvent event = Json.read(m.group(2), ExecutionEvent.class);
                    assertThat(Json.tree(Json.write(event))).isEqualTo(value);
                    eventTypes.add(event.type());
                }
                case SchemaResources.EXECUTION_REQUEST ->
                        assertThat(Json.tree(Json.write(Json.read(m.group(2), ExecutionRequest.class))))
                                .isEqualTo(value);
                case SchemaResources.AGENT_RECORD -> {
                    AgentRecord agent = Json.read(m.group(2), AgentRecord.class);
                    assertThat(Json.tree(Json.write(agent))).isEqualTo(value);
                    assertThat(agent.parsedManifest().metadata().name()).isEqualTo(agent.name());
                }
                case SchemaResources.EXECUTION_COMMAND ->
                        assertThat(Json.tree(Json.write(Json.read(m.group(2), ExecutionCommand.class))))
                                .isEqualTo(value);
                case SchemaResources.AGENT_MANIFEST ->
                        assertThat(AgentManifests.parse(m.group(2)).manifest().metadata().name())
                                .isEqualTo("prime-checker");
                case SchemaResources.WORKFLOW_EVENT -> {
                    WorkflowEvent event = Json.read(m.group(2), WorkflowEvent.class);
                    assertThat(Json.tree(Json.write(event))).isEqualTo(value);
                    workflowEventTypes.add(event.type());
                }
                case SchemaResources.WORKFLOW_COMMAND -> {
                    WorkflowCommand command = Json.read(m.group(2), WorkflowCommand.class);
                    assertThat(Json.tree(Json.write(command))).isEqualTo(value);
                    if (command.workflow() != null) {
                        assertThat(command.workflow().parsedManifest().name()).isEqualTo(command.workflow().name());
                    }
                }
                case SchemaResources.WORKFLOW_STEP_RESULT ->
                        assertThat(Json.tree(Json.write(Json.read(m.group(2), WorkflowStepResult.class))))
                                .isEqualTo(value);
                case SchemaResources.WORKFLOW_RECORD -> {
                    WorkflowRecord workflow = Json.read(m.group(2), WorkflowRecord.class);
                    assertThat(Json.tree(Json.write(workflow))).isEqualTo(value);
                    assertThat(workflow.parsedManifest().name()).isEqualTo(workflow.name());
                    assertThat(WorkflowManifests.parse(workflow.yaml()).tree()).isEqualTo(workflow.manifest());
                }
                case SchemaResources.WORKFLOW_MANIFEST ->
                        assertThat(WorkflowManifests.parse(m.group(2)).manifest().name())
                                .isEqualTo("review-workflow");
                case SchemaResources.APPROVAL_REQUEST ->
                        assertThat(Json.tree(Json.write(Json.read(m.group(2), ApprovalRequest.class))))
                                .isEqualTo(value);
                case SchemaResources.APPROVAL_COMMAND ->
                        assertThat(Json.tree(Json.write(Json.read(m.group(2), ApprovalCommand.class))))
                                .isEqualTo(value);
                case SchemaResources.APPROVAL_REPLY ->
                        assertThat(Json.tree(Json.write(Json.read(m.group(2), ApprovalReply.class))))
                                .isEqualTo(value);
                case SchemaResources.APPROVAL_DECISION -> {
                    ApprovalDecision decision = Json.read(m.group(2), ApprovalDecision.class);
                    assertThat(Json.tree(Json.write(decision))).isEqualTo(value);
                    approvalOutcomes.add(decision.outcome());
                }
                case SchemaResources.STIMULUS_REQUEST -> {
                    StimulusRequest request = Json.read(m.group(2), StimulusRequest.class);
                    assertThat(Json.tree(Json.write(request))).isEqualTo(value);
                    stimulusKeys.add(StimulusKeys.recordKey(request));
                }
                case SchemaResources.STIMULUS_OUTCOME -> {
                    StimulusOutcome outcome = Json.read(m.group(2), StimulusOutcome.class);
                    assertThat(Json.tree(Json.write(outcome))).isEqualTo(value);
                    stimulusKeys.add(outcome.dedupKey());
                }
                case SchemaResources.STIMULUS_REPLY -> {
                    StimulusReply reply = Json.read(m.group(2), StimulusReply.class);
                    assertThat(Json.tree(Json.write(reply))).isEqualTo(value);
                    stimulusOutcomes.add(reply.outcome());
                }
                case SchemaResources.STIMULUS_CLASSIFICATION -> {
                    StimulusClassification c = Json.read(m.group(2), StimulusClassification.class);
                    assertThat(Json.tree(Json.write(c))).isEqualTo(value);
                    assertThat(c.deadline()).isEqualTo(c.requestedAt().plusSeconds(c.timeoutSeconds()));
                }
                case SchemaResources.DEAD_LETTER ->
                        assertThat(Json.tree(Json.write(Json.read(m.group(2), DeadLetter.class)))).isEqualTo(value);
                case SchemaResources.SMCP_SESSION -> {
                    // one topic, two kinds of values: a signing key carries its JWK
                    Object record = value.has("jwk") ? Json.read(m.group(2), SmcpSigningKey.class)
                            : Json.read(m.group(2), SmcpSession.class);
                    assertThat(Json.tree(Json.write(record))).isEqualTo(value);
                    smcpRecords.add(record);
                }
                default -> throw new AssertionError("unknown schema in README: " + schema);
            }
        }
        assertThat(examples).isEqualTo(52);
        // one example of each event type, in the declared order (the run attempt's example repeats the first)
        assertThat(eventTypes.stream().distinct().toList()).containsExactlyElementsOf(Arrays.stream(ExecutionEvent.class.getPermittedSubclasses())
                .map(c -> c.getAnnotation(JsonTypeName.class).value()).toList());
        assertThat(workflowEventTypes).containsExactlyInAnyOrderElementsOf(
                Arrays.stream(WorkflowEvent.class.getPermittedSubclasses())
                        .map(c -> c.getAnnotation(JsonTypeName.class).value()).toList());
        assertThat(approvalOutcomes).containsExactly(ApprovalStatus.APPROVED, ApprovalStatus.REJECTED,
                ApprovalStatus.TIMED_OUT);
        // a reply example of each outcome; the request examples' keys are what the outcome examples carry
        assertThat(stimulusOutcomes).containsExactlyInAnyOrder(StimulusStatus.values());
        assertThat(stimulusKeys).hasSize(4);
        assertThat(stimulusKeys.subList(2, 4)).containsExactlyElementsOf(stimulusKeys.subList(0, 2));
        // a live session and a signing key, and the session's token was signed by that key
        assertThat(smcpRecords).hasSize(2);
        SmcpSession session = (SmcpSession) smcpRecords.get(0);
        SmcpSigningKey key = (SmcpSigningKey) smcpRecords.get(1);
        assertThat(session.status()).isEqualTo(SmcpSessionStatus.ACTIVE);
        assertThat(session.endedAt()).isNull();
        assertThat(session.keyId()).isEqualTo(key.keyId()).isEqualTo(key.jwk().path("kid").asText());
        assertThat(key.recordKey()).startsWith(SmcpSigningKey.KEY_PREFIX);
    }
}
