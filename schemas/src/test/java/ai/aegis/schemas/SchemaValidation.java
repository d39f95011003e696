package ai.aegis.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/** Validates JSON against the shipped schemas, the way an analyst's tool would (draft 2020-12). */
public final class SchemaValidation {

    private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
    // In 2020-12 "format" is only an annotation unless asked for; the contract promises RFC 3339 timestamps, so check them.
    private static final SchemaValidatorsConfig CONFIG = SchemaValidatorsConfig.builder()
            .formatAssertionsEnabled(true)
            .build();
    private static final ConcurrentMap<String, JsonSchema> CACHE = new ConcurrentHashMap<>();

    private SchemaValidation() {
    }

    public static Set<ValidationMessage> validate(String schemaFile, JsonNode instance) {
        return schema(schemaFile).validate(instance);
    }

    public static JsonSchema schema(String schemaFile) {
        return CACHE.computeIfAbsent(schemaFile, f -> FACTORY.getSchema(SchemaResources.load(f), CONFIG));
    }

    /** The draft 2020-12 meta-schema (bundled with the validator), to check that our schemas are schemas. */
    public static JsonSchema metaSchema() {
        return FACTORY.getSchema(SchemaLocation.of("https://json-schema.org/draft/2020-12/schema"), CONFIG);
    }
}
