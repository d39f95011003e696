package ai.aegis.schemas;

import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.execution.ExecutionCommand;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.schemas.agent.AgentManifests;
import ai.aegis.schemas.agent.AgentRecord;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.schemas.topic.TopicSpec;
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
        assertThat(SchemaResources.ALL).hasSize(5);
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
    }

    /** Every example in the README is valid against its schema and reads into the wire records. */
    @Test
    void everyReadmeExampleIsValidAndEveryEventTypeHasOne() throws IOException {
        String readme = Files.readString(README, StandardCharsets.UTF_8);
        Matcher m = EXAMPLE.matcher(readme);
        List<String> eventTypes = new ArrayList<>();
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
                default -> throw new AssertionError("unknown schema in README: " + schema);
            }
        }
        assertThat(examples).isEqualTo(16);
        assertThat(eventTypes).containsExactlyElementsOf(Arrays.stream(ExecutionEvent.class.getPermittedSubclasses())
                .map(c -> c.getAnnotation(JsonTypeName.class).value()).toList());
    }
}
