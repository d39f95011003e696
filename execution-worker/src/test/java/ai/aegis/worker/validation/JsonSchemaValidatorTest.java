package ai.aegis.worker.validation;

import ai.aegis.schemas.json.Json;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonSchemaValidatorTest {

    private static final String SCHEMA = """
            {"type": "object",
             "required": ["name", "count"],
             "properties": {"name": {"type": "string"}, "count": {"type": "integer", "minimum": 0}},
             "additionalProperties": false}""";

    @SuppressWarnings("unchecked")
    private static Map<String, Object> spec(String schemaJson) throws Exception {
        return Map.of("type", "json_schema", "schema", Json.MAPPER.readValue(schemaJson, Map.class));
    }

    private static ValidationResult run(String output) throws Exception {
        return ValidationPipeline.from(List.of(spec(SCHEMA)), null).run(new ValidationInput("t", output, 0, "")).get(0);
    }

    @Test
    void matchingDocumentPasses() throws Exception {
        ValidationResult r = run("{\"name\": \"x\", \"count\": 3}");
        assertThat(r.passed()).isTrue();
        assertThat(r.score()).isEqualTo(1.0);
        assertThat(r.confidence()).isEqualTo(1.0);
        assertThat(r.validator()).isEqualTo("json_schema");
    }

    @Test
    void fencedBlockInProseIsExtractedFirst() throws Exception {
        ValidationResult r = run("Here is the result:\n\n```json\n{\"name\": \"x\", \"count\": 0}\n```\nHope it helps.");
        assertThat(r.passed()).as(r.reason()).isTrue();
    }

    @Test
    void schemaErrorsBecomeTheFeedback() throws Exception {
        ValidationResult r = run("{\"name\": 7, \"count\": -1, \"extra\": true}");
        assertThat(r.passed()).isFalse();
        assertThat(r.score()).isZero();
        assertThat(r.confidence()).isEqualTo(1.0);
        assertThat(r.reason()).startsWith("output does not match the JSON schema: 3 error(s)");
        assertThat(r.feedback()).startsWith("The JSON output does not match the required schema:")
                .contains("$.name").contains("$.count").contains("extra");
    }

    @Test
    void missingRequiredPropertyIsReported() throws Exception {
        ValidationResult r = run("{\"name\": \"x\"}");
        assertThat(r.passed()).isFalse();
        assertThat(r.feedback()).contains("count");
    }

    @Test
    void nonJsonOutputFailsWithAClearReason() throws Exception {
        ValidationResult r = run("Sure! The name is x and the count is 3.");
        assertThat(r.passed()).isFalse();
        assertThat(r.reason()).startsWith("output is not valid JSON: ");
        assertThat(r.feedback()).contains("could not be parsed").contains("Sure! The name");
    }

    @Test
    void trailingGarbageAfterTheDocumentIsNotJson() throws Exception {
        ValidationResult r = run("{\"name\": \"x\", \"count\": 3} and that's it");
        assertThat(r.passed()).isFalse();
        assertThat(r.reason()).startsWith("output is not valid JSON");
    }

    @Test
    void emptyOutputFails() throws Exception {
        ValidationResult r = run("  \n");
        assertThat(r.passed()).isFalse();
        assertThat(r.reason()).isEqualTo("output is empty, expected a JSON document");
    }

    @Test
    void explicitDraft7SchemaIsHonoured() throws Exception {
        String draft7 = """
                {"$schema": "http://json-schema.org/draft-07/schema#", "type": "array", "items": {"type": "number"}}""";
        ValidationPipeline p = ValidationPipeline.from(List.of(spec(draft7)), null);
        assertThat(p.run(new ValidationInput("t", "[1, 2.5]", 0, "")).get(0).passed()).isTrue();
        assertThat(p.run(new ValidationInput("t", "[1, \"2\"]", 0, "")).get(0).passed()).isFalse();
    }

    @Test
    void localRefsResolve() throws Exception {
        String withRef = """
                {"$defs": {"pos": {"type": "integer", "minimum": 1}},
                 "type": "object", "properties": {"n": {"$ref": "#/$defs/pos"}}}""";
        ValidationPipeline p = ValidationPipeline.from(List.of(spec(withRef)), null);
        assertThat(p.run(new ValidationInput("t", "{\"n\": 2}", 0, "")).get(0).passed()).isTrue();
        assertThat(p.run(new ValidationInput("t", "{\"n\": 0}", 0, "")).get(0).passed()).isFalse();
    }

    @Test
    void remoteRefsAreRefusedWhenThePipelineIsBuilt() {
        assertThatThrownBy(() -> ValidationPipeline.from(List.of(spec("""
                {"type": "object", "properties": {"a": {"$ref": "http://127.0.0.1:9/evil.json"}}}""")), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("validation[0].schema: invalid JSON Schema: ")
                .hasMessageContaining("not allowed to be loaded");
        assertThatThrownBy(() -> ValidationPipeline.from(List.of(spec("""
                {"$ref": "file:///etc/passwd"}""")), null))
                .hasMessageStartingWith("validation[0].schema: invalid JSON Schema: ")
                .hasMessageContaining("not allowed to be loaded");
    }

    @Test
    void badSchemaParametersAreRejected() {
        assertThatThrownBy(() -> ValidationPipeline.from(List.of(Map.of("type", "json_schema")), null))
                .hasMessage("validation[0].schema: is required (an inline JSON Schema object)");
        assertThatThrownBy(() -> ValidationPipeline.from(List.of(
                Map.of("type", "json_schema", "schema", "{\"type\":\"object\"}")), null))
                .hasMessage("validation[0].schema: must be a JSON Schema object (got a string)");
        assertThatThrownBy(() -> ValidationPipeline.from(List.of(
                Map.of("type", "json_schema", "schema", Map.of("$schema", "https://example.com/not-a-draft"))), null))
                .hasMessage("validation[0].schema: unsupported $schema \"https://example.com/not-a-draft\" (use the URI of "
                        + "draft 4, 6, 7, 2019-09 or 2020-12, or leave it out for 2020-12)");
    }
}
