package ai.aegis.http;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.function.Predicate;

/** Parses JSON request bodies with messages that name the problem and its field ({@link BadRequest}, 400). */
public final class JsonBodies {

    private JsonBodies() {
    }

    public static JsonNode object(String body) {
        if (body == null || body.isBlank()) {
            throw new BadRequest("Request body is required (a JSON object)");
        }
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr();
            throw new BadRequest("Malformed JSON" + where + ": " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new BadRequest("Request body must be a JSON object");
        }
        return node;
    }

    /** A required string field: refused when missing, null or not a string. */
    public static String requiredString(JsonNode body, String field) {
        String v = optionalString(body, field);
        if (v == null) {
            throw new BadRequest("Missing required field '" + field + "'");
        }
        return v;
    }

    /** A string field that may be absent (or null): null then; refused when it is not a string. */
    public static String optionalString(JsonNode body, String field) {
        JsonNode v = optional(body, field, JsonNode::isTextual, "a string");
        return v == null ? null : v.asText();
    }

    /** An object field that may be absent (or null): null then; refused when it is not an object. */
    public static JsonNode optionalObject(JsonNode body, String field) {
        return optional(body, field, JsonNode::isObject, "a JSON object");
    }

    private static JsonNode optional(JsonNode body, String field, Predicate<JsonNode> ofType, String typeName) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!ofType.test(v)) {
            throw new BadRequest("Field '" + field + "' must be " + typeName);
        }
        return v;
    }
}
