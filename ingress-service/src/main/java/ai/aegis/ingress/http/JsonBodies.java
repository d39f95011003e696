package ai.aegis.ingress.http;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

/** Parses JSON request bodies with messages that name the problem and its field. */
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

    /** A required string field; {@code message} answers a missing or mistyped one. */
    public static String requiredString(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            throw new BadRequest("Missing required field '" + field + "'");
        }
        if (!v.isTextual()) {
            throw new BadRequest("Field '" + field + "' must be a string");
        }
        return v.asText();
    }

    public static JsonNode optionalObject(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isObject()) {
            throw new BadRequest("Field '" + field + "' must be a JSON object");
        }
        return v;
    }
}
