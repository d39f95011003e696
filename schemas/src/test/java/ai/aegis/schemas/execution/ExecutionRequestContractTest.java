package ai.aegis.schemas.execution;

import ai.aegis.schemas.SchemaResources;
import ai.aegis.schemas.SchemaValidation;
import ai.aegis.schemas.agent.AgentManifests;
import ai.aegis.schemas.agent.AgentRecord;
import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The execution request and agent record values: literal JSON, round trip, schema. */
class ExecutionRequestContractTest {

    private static final String EXEC = "3f1c1a8e-6a57-4d8e-9b7a-0c1d2e3f4a5b";
    private static final String PARENT = "0d6f8a2b-3c4d-4e5f-a6b7-c8d9e0f1a2b3";
    private static final String AGENT = "9b2e4c6d-1f3a-4b5c-8d7e-6f5a4b3c2d1e";
    private static final String MANIFEST_YAML = """
            apiVersion: 100monkeys.ai/v1
            kind: Agent
            metadata:
              name: prime-checker
              version: "1.0.0"
            spec:
              runtime:
                language: python
                version: "3.11"
              task:
                instruction: Write a primality check
              execution:
                max_iterations: 3
            """;
    private static final String MANIFEST_JSON = """
            {"apiVersion":"100monkeys.ai/v1","kind":"Agent","metadata":{"name":"prime-checker","version":"1.0.0"},
             "spec":{"runtime":{"language":"python","version":"3.11"},"task":{"instruction":"Write a primality check"},
                     "execution":{"max_iterations":3}}}
            """;

    private static AgentRecord agent() {
        return new AgentRecord(AGENT, "prime-checker", "1.0.0", "Writes primality checks", AgentRecord.ACTIVE,
                List.of("python", "demo"), Map.of("team", "platform"), Instant.parse("2026-03-01T09:00:00Z"),
                Instant.parse("2026-03-04T10:30:00.5Z"), AgentManifests.parse(MANIFEST_YAML).tree());
    }

    private static final String AGENT_JSON = """
            {"id":"%s","name":"prime-checker","version":"1.0.0","description":"Writes primality checks",
             "status":"active","tags":["python","demo"],"labels":{"team":"platform"},
             "created_at":"2026-03-01T09:00:00Z","updated_at":"2026-03-04T10:30:00.500Z",
             "manifest":%s}
            """.formatted(AGENT, MANIFEST_JSON);

    @Test
    void anExecutionRequestRoundTripsAndValidates() {
        ExecutionRequest request = ExecutionRequest.forAgent(agent())
                .setExecutionId(EXEC)
                .setInput("is 7919 prime?")
                .setContextOverrides(Json.tree("{\"language\":\"python\",\"depth\":2}"))
                .setParentExecutionId(PARENT)
                .setRequestedAt(Instant.parse("2026-03-05T14:00:00Z"))
                .build();

        String json = Json.write(request);

        assertThat(Json.tree(json)).isEqualTo(Json.tree("""
                {"execution_id":"%s","agent_id":"%s","input":"is 7919 prime?",
                 "context_overrides":{"language":"python","depth":2},"agent":%s,
                 "parent_execution_id":"%s","requested_at":"2026-03-05T14:00:00Z"}
                """.formatted(EXEC, AGENT, AGENT_JSON, PARENT)));
        assertThat(Json.read(json, ExecutionRequest.class)).isEqualTo(request);
        assertThat(SchemaValidation.validate(SchemaResources.EXECUTION_REQUEST, Json.tree(json))).isEmpty();
        // The snapshot inside still parses as a manifest, so a worker needs no registry lookup.
        assertThat(Json.read(json, ExecutionRequest.class).agent().parsedManifest().execution().maxIterations())
                .isEqualTo(3);
    }

    @Test
    void optionalFieldsOfARequestAreLeftOutAndStillValid() {
        ExecutionRequest request = ExecutionRequest.forAgent(agent()).setExecutionId(EXEC).setInput("")
                .setRequestedAt(Instant.parse("2026-03-05T14:00:00Z")).build();
        JsonNode tree = Json.tree(Json.write(request));

        assertThat(tree.has("context_overrides")).isFalse();
        assertThat(tree.has("parent_execution_id")).isFalse();
        assertThat(SchemaValidation.validate(SchemaResources.EXECUTION_REQUEST, tree)).isEmpty();
    }

    /** The workflow engine's two kinds: what they leave unset stays out of the JSON. */
    @Test
    void workflowRequestsCarryTheirStepAndNoSnapshot() {
        ExecutionRequest.WorkflowLink link = new ExecutionRequest.WorkflowLink(PARENT, 2, "draft");
        ExecutionRequest step = ExecutionRequest.forWorkflowStep(link, "prime-checker")
                .setExecutionId(EXEC)
                .setInput("is 7919 prime?")
                .setRequestedAt(Instant.parse("2026-03-05T14:00:00Z"))
                .build();
        ExecutionRequest container = ExecutionRequest.forContainerRun(link, new ExecutionRequest.ContainerRun(
                        "python:3.12", List.of("python3", "-c", "print(1)"), Map.of("MODE", "strict"), 500,
                        128L << 20, 30, false))
                .setExecutionId(EXEC)
                .setRequestedAt(Instant.parse("2026-03-05T14:00:00Z"))
                .build();

        String workflow = """
                "workflow":{"workflow_execution_id":"%s","step":2,"state_name":"draft"}""".formatted(PARENT);
        assertThat(Json.write(step)).isEqualTo("""
                {"execution_id":"%s","input":"is 7919 prime?","requested_at":"2026-03-05T14:00:00Z",\
                "agent_name":"prime-checker",%s}""".formatted(EXEC, workflow));
        assertThat(Json.write(container)).isEqualTo("""
                {"execution_id":"%s","input":"python3 -c print(1)","requested_at":"2026-03-05T14:00:00Z",%s,\
                "container_run":{"image":"python:3.12","command":["python3","-c","print(1)"],"env":{"MODE":"strict"},\
                "cpu_millicores":500,"memory_bytes":134217728,"timeout_seconds":30,"network":false}}\
                """.formatted(EXEC, workflow));
        assertThat(Json.read(Json.write(step), ExecutionRequest.class)).isEqualTo(step);
        assertThat(Json.read(Json.write(container), ExecutionRequest.class)).isEqualTo(container);
    }

    @Test
    void aWorkflowStepResolvedByTheWorkerKeepsItsStepAndGainsTheSnapshot() {
        ExecutionRequest named = ExecutionRequest.forWorkflowStep(new ExecutionRequest.WorkflowLink(PARENT, 1, "a"),
                "prime-checker").setExecutionId(EXEC).setInput("x").setRequestedAt(Instant.EPOCH).build();

        ExecutionRequest resolved = named.toBuilder().setAgent(agent()).build();

        assertThat(resolved).isEqualTo(new ExecutionRequest(EXEC, AGENT, "x", null, agent(), null, Instant.EPOCH,
                "prime-checker", named.workflow(), null));
    }

    @Test
    void aRequestWithoutAgentSnapshotOrTimestampFailsTheSchema() {
        ObjectNode tree = (ObjectNode) Json.toTree(ExecutionRequest.forAgent(agent()).setExecutionId(EXEC)
                .setInput("x").setRequestedAt(Instant.parse("2026-03-05T14:00:00Z")).build());
        assertThat(SchemaValidation.validate(SchemaResources.EXECUTION_REQUEST, tree.deepCopy().without("agent")))
                .isNotEmpty();
        assertThat(SchemaValidation.validate(SchemaResources.EXECUTION_REQUEST,
                tree.deepCopy().put("requested_at", "2026-03-05 14:00"))).isNotEmpty();
        ObjectNode badAgent = tree.deepCopy();
        ((ObjectNode) badAgent.get("agent")).remove("name");
        assertThat(SchemaValidation.validate(SchemaResources.EXECUTION_REQUEST, badAgent)).isNotEmpty();
    }

    @Test
    void anAgentRecordRoundTripsAndValidates() {
        AgentRecord agent = agent();
        String json = Json.write(agent);

        assertThat(Json.tree(json)).isEqualTo(Json.tree(AGENT_JSON));
        assertThat(Json.read(json, AgentRecord.class)).isEqualTo(agent);
        assertThat(SchemaValidation.validate(SchemaResources.AGENT_RECORD, Json.tree(json))).isEmpty();
        // The manifest kept in the record is what was deployed: it validates against the manifest schema too.
        assertThat(SchemaValidation.validate(SchemaResources.AGENT_MANIFEST, Json.tree(json).get("manifest")))
                .isEmpty();
    }

    @Test
    void theListViewWithoutManifestValidates() {
        JsonNode tree = Json.toTree(agent().withoutManifest());
        assertThat(tree.has("manifest")).isFalse();
        assertThat(SchemaValidation.validate(SchemaResources.AGENT_RECORD, tree)).isEmpty();
    }

    @Test
    void anAgentRecordWithABadNameOrNoTimestampsFailsTheSchema() {
        ObjectNode tree = (ObjectNode) Json.toTree(agent());
        assertThat(SchemaValidation.validate(SchemaResources.AGENT_RECORD, tree.deepCopy().put("name", "Bad_Name")))
                .isNotEmpty();
        assertThat(SchemaValidation.validate(SchemaResources.AGENT_RECORD, tree.deepCopy().without("created_at")))
                .isNotEmpty();
        assertThat(SchemaValidation.validate(SchemaResources.AGENT_RECORD, tree.deepCopy().put("manifest", "yaml")))
                .isNotEmpty();
    }

    /** The request schema inlines the agent record so that it stands alone; the two copies must stay equal. */
    @Test
    void theInlinedAgentRecordEqualsTheAgentRecordSchema() {
        ObjectNode standalone = (ObjectNode) Json.tree(SchemaResources.load(SchemaResources.AGENT_RECORD));
        ObjectNode inlined = (ObjectNode) Json.tree(SchemaResources.load(SchemaResources.EXECUTION_REQUEST))
                .at("/$defs/agent_record").deepCopy();
        standalone.remove(List.of("$schema", "$id"));
        inlined.remove("$comment");
        assertThat(inlined).isEqualTo(standalone);
    }

    @Test
    void bothSchemasAreValidDraft202012Schemas() {
        for (String file : List.of(SchemaResources.EXECUTION_REQUEST, SchemaResources.AGENT_RECORD)) {
            assertThat(SchemaValidation.metaSchema().validate(Json.tree(SchemaResources.load(file)))).as(file)
                    .isEmpty();
        }
    }
}
