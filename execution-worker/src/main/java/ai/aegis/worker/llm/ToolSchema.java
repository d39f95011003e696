package ai.aegis.worker.llm;

import com.fasterxml.jackson.databind.JsonNode;

/** A tool offered to the model: name, description and a JSON Schema for its parameters. */
public record ToolSchema(String name, String description, JsonNode parameters) {
}
