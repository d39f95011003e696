package ai.aegis.worker.validation;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.SpecVersionDetector;
import com.networknt.schema.ValidationMessage;
import com.networknt.schema.resource.AllowSchemaLoader;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code json_schema}: the output, parsed as JSON (a fenced ```json block is taken out of the prose first), must
 * satisfy the inline {@code schema}. Score 1 or 0, confidence 1. Schemas without {@code $schema} are read as draft
 * 2020-12.
 *
 * <p>The schema comes from an agent manifest, so {@code $ref}s may only point inside it (or at the validator's
 * bundled meta-schemas): resolving an http or file reference would let a manifest make the worker fetch URLs or read
 * its files.
 */
public final class JsonSchemaValidator implements Validator {

    public static final String TYPE = "json_schema";
    private static final int MAX_ERRORS = 20;
    private static final int OUTPUT_EXCERPT_CHARS = 300;

    // Trailing tokens after the document ("{} and more") mean the answer is not one JSON document.
    private static final ObjectReader STRICT = Json.MAPPER.reader()
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final JsonSchema schema;
    private final double minScore;

    private JsonSchemaValidator(JsonSchema schema, double minScore) {
        this.schema = schema;
        this.minScore = minScore;
    }

    /** Compiles an inline schema; schema problems are {@link IllegalArgumentException}s without an index prefix. */
    public static JsonSchemaValidator of(JsonNode schemaNode, double minScore) {
        if (schemaNode == null || !(schemaNode.isObject() || schemaNode.isBoolean())) {
            throw new IllegalArgumentException("must be a JSON Schema object");
        }
        JsonNode declared = schemaNode.get("$schema");
        Optional<SpecVersion.VersionFlag> detected = SpecVersionDetector.detectOptionalVersion(schemaNode, false);
        if (declared != null && detected.isEmpty()) {
            throw new IllegalArgumentException("unsupported $schema " + declared + " (use the URI of draft 4, 6, 7, "
                    + "2019-09 or 2020-12, or leave it out for 2020-12)");
        }
        SpecVersion.VersionFlag version = detected.orElse(SpecVersion.VersionFlag.V202012);
        JsonSchemaFactory factory = JsonSchemaFactory.getInstance(version, builder -> builder
                .schemaLoaders(loaders -> loaders.add(new AllowSchemaLoader(
                        iri -> iri.toString().startsWith("classpath:")))));
        try {
            JsonSchema compiled = factory.getSchema(schemaNode);
            // Resolve every $ref now, so a bad reference is a manifest error and not a failure on every iteration.
            compiled.initializeValidators();
            return new JsonSchemaValidator(compiled, minScore);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("invalid JSON Schema: " + e.getMessage(), e);
        }
    }

    static JsonSchemaValidator from(Spec spec) {
        Object raw = spec.raw("schema");
        if (raw == null) {
            throw spec.error("schema", "is required (an inline JSON Schema object)");
        }
        if (!(raw instanceof Map<?, ?>) && !(raw instanceof Boolean)) {
            throw spec.error("schema", "must be a JSON Schema object (got " + Spec.kind(raw) + ")");
        }
        double minScore = spec.fraction("min_score", 1.0);
        try {
            return of(Json.MAPPER.valueToTree(raw), minScore);
        } catch (IllegalArgumentException e) {
            throw spec.error("schema", e.getMessage());
        }
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public ValidationResult validate(ValidationInput in) {
        String candidate = FencedJson.extract(in.output());
        JsonNode document;
        try {
            document = candidate.isEmpty() ? null : STRICT.readTree(candidate);
        } catch (JsonProcessingException e) {
            String detail = e.getOriginalMessage();
            return fail("output is not valid JSON: " + detail,
                    "The output must be a single JSON document (optionally in a ```json fenced block) that matches "
                            + "the required schema, but it could not be parsed: " + detail
                            + "\nOutput started with: " + Texts.head(candidate, OUTPUT_EXCERPT_CHARS));
        }
        if (document == null || document.isMissingNode()) {
            return fail("output is empty, expected a JSON document",
                    "The output was empty; it must be a JSON document that matches the required schema.");
        }
        List<String> errors;
        try {
            errors = problems(document);
        } catch (RuntimeException e) {
            return fail("schema validation failed: " + e.getMessage(), "The output could not be checked against "
                    + "the schema: " + e.getMessage());
        }
        if (errors.isEmpty()) {
            return new ValidationResult(TYPE, 1.0, 1.0, 1.0 >= minScore, "output matches the JSON schema", "");
        }
        String listed = errors.stream().limit(MAX_ERRORS).map(m -> "- " + m).collect(Collectors.joining("\n"));
        if (errors.size() > MAX_ERRORS) {
            listed += "\n- ... and " + (errors.size() - MAX_ERRORS) + " more";
        }
        return fail("output does not match the JSON schema: " + errors.size() + " error(s), first: " + errors.get(0),
                "The JSON output does not match the required schema:\n" + listed);
    }

    /**
     * What is wrong with {@code document} against the schema, sorted; empty when it matches. Also the check of a
     * tool call's arguments against the tool's input schema.
     */
    public List<String> problems(JsonNode document) {
        Set<ValidationMessage> messages = schema.validate(document);
        return messages.stream().map(ValidationMessage::getMessage).sorted().toList();
    }

    private ValidationResult fail(String reason, String feedback) {
        return new ValidationResult(TYPE, 0.0, 1.0, 0.0 >= minScore, reason, feedback);
    }
}
